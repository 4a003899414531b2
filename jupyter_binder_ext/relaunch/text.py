"""The relaunch answer as text, for ``%binder relaunch`` and ``jupyter binder relaunch``."""

from __future__ import annotations

from jupyter_binder_ext.common.answers import CommitFacts, PushFacts
from jupyter_binder_ext.relaunch.answers import BinderHubLaunch, HubLaunch, RelaunchAnswer


def describe_relaunch(answer: RelaunchAnswer) -> str:
    lines: list[str] = []
    if answer["commit"]:
        lines.extend(_commit_lines(answer["commit"]))
    if answer["push"]:
        lines.extend(_push_lines(answer["push"]))
    if answer["launch"]:
        lines.extend(_launch_lines(answer["launch"]))
    slots = answer["slots"]
    if slots and slots["full"]:
        for item in slots["deletable"]:
            mark = "stopped" if item["stopped"] else "running"
            lines.append(f"  could delete: {item['name']} ({mark}, {item['repo'] or ''})")
    lines.append(answer["message"])
    return "\n".join(line for line in lines if line)


def _commit_lines(commit: CommitFacts) -> list[str]:
    what = "Committed" if commit["created"] else "Nothing new to commit; launching"
    subject = f": {commit['message']}" if commit["created"] else ""
    branch = commit["branch"] or "(detached)"
    note = f"  {commit['note']}" if commit["note"] else ""
    return [f"{what} {commit['short_sha']} on {branch}{subject}", note]


def _push_lines(push: PushFacts) -> list[str]:
    if push["ok"]:
        return [f"Pushed to {push['remote']} {push['branch']} ({push['url']})"]
    return [f"Not pushed ({push['reason']}):", *(f"  {ln}" for ln in push["output"].splitlines())]


def _launch_lines(launch: BinderHubLaunch | HubLaunch) -> list[str]:
    if launch["kind"] == "binderhub":
        reason = f"  BinderHub builds the new commit: {launch['reason']}"
        return [f"Launch link: {launch['url']}", reason if launch["reason"] else ""]
    if not launch["server_name"]:
        return []
    state = "ready" if launch["ready"] else "starting"
    lines = [f"New project {launch['server_name']} ({state}): {launch['url']}"]
    if launch["rebuild"] is False:
        lines.append(f"  Started with the running image, no rebuild: {launch['reason']}")
    return lines
