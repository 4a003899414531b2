"""Relaunch with new resources: write ``.resources``, commit it alone, push, launch the commit.

The steps, and what each failure leaves behind:

1. check the values (or the file as it is): a problem answers 400 and nothing is written;
   the repository is checked too (a git work tree, a branch to push to, no merge or rebase
   under way): a problem answers 409 and nothing is written;
2. write ``.resources`` (atomically, see :mod:`.resources`);
3. commit that file alone on the current branch; other changes, staged or not, stay as they
   were. If git fails here the file stays written and the answer is git's own message (502);
4. push to where the branch belongs (:func:`.gitops.push_target`), never forced. A refused
   push (non-fast-forward, no permission, no network, no remote) is **not** an HTTP error:
   the commit happened and is kept, so the answer is a 200 with ``push.ok = false``, git's
   own output, a hint, and no launch;
5. launch the new commit. When only ``.resources`` differs from the running image's commit
   (:mod:`.direct`): a new named server started through the hub API with BinderHub-shaped
   ``user_options`` for the commit and the running image, so nothing is built; the new
   server's repository catches up to the commit by itself (:mod:`.catch_up`). Otherwise, or
   when the hub refuses this server's token the start: under a BinderHub its launch URL, for
   the browser to open in a new tab (BinderHub builds the new image); under a plain
   JupyterHub a named server without an image, which the hub's spawner picks. The answer's
   ``launch.rebuild`` and ``reason`` say which and why.
   ``stop_current`` stops this server once the new one is ready.

The project slots are checked with step 1: when all are taken nothing is written, committed,
pushed or started (a 200 with ``ok: false``, ``commit: null``), and the answer lists the
projects that could be deleted; the user deletes one, then relaunches.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlparse

from jupyter_binder_ext.common import git as gitops
from jupyter_binder_ext.common.text import check_text
from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.errors import BinderError, CommandFailed, Conflict, HubTimeout, InvalidInput
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.relaunch.direct import DirectStart, NoDirectStart
from jupyter_binder_ext.resources.file import (
    invalid_input,
    read_resources,
    resources_path,
    write_resources,
)
from jupyter_binder_ext.resources.model import (
    KEYS,
    format_number,
    normalize_values,
    parse_resources,
    render_resources,
)
from jupyter_binder_ext.work.commit import credential_refusal
from jupyter_binder_ext.work.secret_scan import Finding, scan_push

if TYPE_CHECKING:
    from pathlib import Path

    from jupyter_binder_ext.state import ExtensionState

READY_TIMEOUT = 120.0
# Seconds between answering and stopping this server (the answer must reach the browser).
STOP_DELAY = 2.0
_background: set[asyncio.Task[Any]] = set()


async def relaunch(
    state: ExtensionState,
    values: Mapping[str, Any] | None = None,
    message: str | None = None,
    stop_current: bool = False,
    labpath: str = "",
    ready_timeout: float = READY_TIMEOUT,
) -> dict[str, Any]:
    """Run the steps of the module docstring; the answer of ``POST binder/api/relaunch``."""
    site, launch = state.site, state.launch()
    path = resources_path(site)

    # 1. Check everything before touching anything.
    check_relaunch_text(message, labpath, values if isinstance(values, Mapping) else None)
    labpath = labpath.lstrip("/")  # BinderHub's labpath has no leading "/"; nor has lab/tree/
    current = await asyncio.to_thread(read_resources, site, launch, env=state.env)
    _check_values(state, current, values)
    root = await asyncio.to_thread(gitops.repo_root, path.parent)
    if root is None:
        raise Conflict(
            f"{path.parent} is not inside a git repository, so there is nothing to commit and "
            "push; nothing was changed.",
            path=str(path),
        )
    await asyncio.to_thread(gitops.refuse_during_operation, root, "nothing was changed")
    target, no_target = await asyncio.to_thread(_push_target, root, launch)
    if no_target is not None and no_target.details.get("reason") != "no_remote":
        raise no_target  # e.g. a detached HEAD: nowhere to push, so do not even commit
    # A launch needs a free slot: without one, a commit pushed now would wait for a launch
    # the user may never make, so nothing is written until they free one.
    slots = await _slots(state)
    if slots["full"]:
        return _no_free_slot(current, slots, stop_current)

    # 2. Write.
    if values is not None:
        resources = await asyncio.to_thread(
            lambda: write_resources(
                site, launch, values=values, if_match=current["etag"], env=state.env
            )
        )
    else:
        resources = current

    # 3. Commit that file alone.
    commit_message = (message or "").strip() or default_message(resources["values"])
    try:
        commit = await asyncio.to_thread(
            gitops.commit_file, root, path, commit_message, _fallback_identity(state, launch)
        )
    except gitops.GitFailed as err:
        saved = " was saved, but" if values is not None else ""
        raise CommandFailed(
            f"{site.resources_filename}{saved} could not be committed: {err.message} "
            "Nothing was committed or pushed.",
            **err.details,
            done={"written": values is not None, "committed": False, "pushed": False},
        ) from err
    answer: dict[str, Any] = {
        "ok": False,
        "resources": resources,
        "commit": commit.to_json(),
        "push": None,
        "launch": None,
        "slots": None,
        "stop_current": {"requested": bool(stop_current), "scheduled": False, "done": False},
        "message": "",
    }

    ahead: int | None = None  # commits the push sends, ours included
    # 4. Push.
    if target is None:
        assert no_target is not None
        answer["push"] = {
            "ok": False,
            "remote": "",
            "url": "",
            "ref": "",
            "branch": "",
            "output": "",  # git was not run: there is nowhere to push
            "reason": "no_remote",
            "hint": no_target.message + " Your commit is kept here.",
            "returncode": None,
            "command": "",
        }
    else:
        ahead = await asyncio.to_thread(gitops.commits_to_push, root, target)
        # What the push sends is scanned for credentials first (earlier commits included).
        findings = await asyncio.to_thread(scan_push, root, target.remote)
        if findings:
            answer["push"] = _held_push(target, findings)
        else:
            answer["push"] = (await asyncio.to_thread(gitops.push, root, target)).to_json()
    committed = _committed_text(commit)
    if ahead and ahead > 1 and answer["push"]["ok"]:
        # Relaunch pushes the branch: earlier commits of the user's went with this one.
        committed += f" (with {ahead - 1} earlier unpushed commit{'s' if ahead > 2 else ''})"
    if not answer["push"]["ok"]:
        answer["message"] = (
            f"{committed}, but it was not pushed, so nothing was launched. {answer['push']['hint']}"
        )
        return answer

    # 5. Launch.
    branch = target.branch if target else ""
    answer["slots"] = slots
    await _launch(
        state, launch, root, commit.sha, branch, labpath, stop_current, ready_timeout, answer
    )
    answer["message"] = (
        f"{committed} and pushed to {answer['push']['branch']}. " + answer["message"]
    )
    return answer


# A commit message and a path in the new server: generous, but not unbounded.
MAX_MESSAGE_LENGTH = 10_000
MAX_LABPATH_LENGTH = 4096


def _held_push(target: gitops.PushTarget, findings: list[Finding]) -> dict[str, Any]:
    """The push that was not run because what it would send holds a credential."""
    refusal = credential_refusal(findings, "Not pushed")
    return {
        "ok": False,
        "remote": target.remote,
        "url": target.url,
        "ref": target.ref,
        "branch": target.branch,
        "output": "",  # git was not run
        "reason": "credential_found",
        "hint": refusal.message + " It is in an earlier unpushed commit: take it out of that "
        "commit (`git rebase -i`), then relaunch again. Your commit is kept here.",
        "returncode": None,
        "command": "",
    }


def check_relaunch_text(
    message: str | None, labpath: str, values: Mapping[str, Any] | None = None
) -> None:
    """The texts of a relaunch, checked before anything is written: a NUL character or a
    lone surrogate would fail only at the commit or the launch, after the file was saved."""
    if message is not None:
        check_text("message", message, max_length=MAX_MESSAGE_LENGTH)
    check_text("labpath", labpath, max_length=MAX_LABPATH_LENGTH)
    for key, value in (values or {}).items():
        check_text("a key of values", key)
        if isinstance(value, str):
            check_text(f"values.{key}", value)
    if ".." in PurePosixPath(labpath).parts:
        raise InvalidInput(
            "labpath is a path in the new server's files and cannot hold '..'; nothing was "
            "changed.",
            field="labpath",
        )


def _check_values(
    state: ExtensionState, current: Mapping[str, Any], values: Mapping[str, Any] | None
) -> None:
    site = state.site
    if values is None:
        errors = [p for p in current["problems"] if p["severity"] == "error"]
        if errors:
            raise InvalidInput(
                f"{site.resources_filename} has problems; fix them before relaunching: "
                + "; ".join(
                    f"line {p['line']}: {p['message']}" if p["line"] else p["message"]
                    for p in errors
                ),
                problems=errors,
            )
        return
    if not isinstance(values, Mapping):
        raise InvalidInput('values must be an object, such as {"meml": 8}.')
    clean, problems = normalize_values(values, site.resources)
    if problems:
        raise invalid_input(site, problems)
    parsed = parse_resources(render_resources(current["text"], clean), site.resources)
    if parsed.has_errors:
        raise invalid_input(site, parsed.errors)


def _push_target(
    root: Path, launch: LaunchInfo
) -> tuple[gitops.PushTarget | None, gitops.NoPushTarget | None]:
    launched = launch.ref if launch.under_binder else ""
    try:
        return gitops.push_target(root, launched or None), None
    except gitops.NoPushTarget as err:
        return None, err


def _fallback_identity(state: ExtensionState, launch: LaunchInfo) -> tuple[str, str]:
    """Who signs the commit when git has no identity: the hub user at the hub's host."""
    name = launch.user or state.env.get("USER", "") or "jovyan"
    hosts = (urlparse(url).hostname for url in (launch.hub_url, launch.launch_host))
    host = next((h for h in hosts if h), "localhost")
    return name, f"{name}@{host}"


def default_message(values: Mapping[str, Any]) -> str:
    asked = " ".join(f"{k}={format_number(values[k])}" for k in KEYS if k in values)
    return f"Update .resources: {asked}" if asked else "Update .resources: site defaults"


def _committed_text(commit: gitops.CommitResult) -> str:
    if commit.created:
        return f"Committed {short_sha(commit.sha)} ({commit.message})"
    return f"Nothing new to commit; {short_sha(commit.sha)} is the commit to launch"


# -- launching --------------------------------------------------------------------------------


def user_options_for(
    launch: LaunchInfo, sha: str, branch: str, repo_url: str = "", plan: Any = None
) -> dict[str, Any]:
    """BinderHub's ``user_options`` for a launch of commit `sha` (of `branch`), any provider;
    with a :class:`.direct.DirectStart` plan, the running image and the commit to catch up
    to. Without one, no image: the hub's spawner picks (builds) the new commit's own."""
    from jupyter_binder_ext.launch.binderhub import user_options_for as binderhub_options
    from jupyter_binder_ext.relaunch.direct import CATCH_UP_OPTION, DirectStart

    if not isinstance(plan, DirectStart):
        return binderhub_options(launch, sha, branch, repo_url=repo_url)
    options = binderhub_options(launch, sha, branch, repo_url=repo_url, image=plan.image)
    options[CATCH_UP_OPTION] = plan.catch_up
    return options


async def _slots(state: ExtensionState) -> dict[str, Any]:
    try:
        data = await state.projects_service.list()
    except BinderError as err:
        return {
            "available": False,
            "limit": None,
            "used": None,
            "free": None,
            "full": False,
            "deletable": [],
            "control_panel_url": None,
            "message": err.message,
        }
    return {
        "available": bool(data.get("available", True)),
        "limit": data.get("limit"),
        "used": data.get("used"),
        "free": data.get("free"),
        "full": bool(data.get("full")),
        # In the order to offer them, never this notebook (projects/listing.py decides).
        "deletable": data.get("deletable", []),
        "control_panel_url": data.get("control_panel_url"),
        "message": data.get("message", ""),
    }


def _full_message(slots: Mapping[str, Any], pushed: bool) -> str:
    names = [d["name"] for d in slots["deletable"]]
    stopped = [d["name"] for d in slots["deletable"] if d["stopped"]]
    candidates = stopped or names
    which = f" (for example {', '.join(candidates[:3])})" if candidates else ""
    done = (
        "nothing was started (the commit is already pushed)"
        if pushed
        else "nothing was written, committed or pushed"
    )
    return (
        f"All {slots['limit']} project slots are taken, stopped projects included, so {done}. "
        f"Delete a project you no longer need{which}, then relaunch again. Stopping this "
        "notebook would not free a slot; deleting it would."
    )


def _no_free_slot(
    current: Mapping[str, Any], slots: dict[str, Any], stop_current: bool
) -> dict[str, Any]:
    """The answer when every slot is taken before the relaunch began: nothing was done."""
    return {
        "ok": False,
        "resources": current,  # the file as it is: not written
        "commit": None,
        "push": None,
        "launch": None,
        "slots": slots,
        "stop_current": {"requested": bool(stop_current), "scheduled": False, "done": False},
        "message": _full_message(slots, pushed=False),
    }


async def _launch(
    state: ExtensionState,
    launch: LaunchInfo,
    root: Path,
    sha: str,
    branch: str,
    labpath: str,
    stop_current: bool,
    ready_timeout: float,
    answer: dict[str, Any],
) -> None:
    from jupyter_binder_ext.relaunch.direct import plan_direct_start

    link = launch.launch_url_for(sha, labpath)  # gh, gl, git, gist under a BinderHub
    if not link and not launch.under_hub:
        answer["message"] = (
            "This server runs neither under a BinderHub nor under JupyterHub, so nothing was "
            "launched."
        )
        return
    plan = await plan_direct_start(state, launch, root, resources_path(state.site), sha, branch)
    if not link or isinstance(plan, DirectStart):
        fallback = await _start_named_server(
            state,
            launch,
            sha,
            branch,
            labpath,
            stop_current,
            ready_timeout,
            answer,
            plan,
            can_fall_back=bool(link),
        )
        if fallback is None:
            return
        plan = fallback
    _link_answer(launch, link, plan, stop_current, answer)


def _link_answer(
    launch: LaunchInfo, link: str, plan: NoDirectStart, stop_current: bool, answer: dict[str, Any]
) -> None:
    """BinderHub's launch link, for the browser: BinderHub builds the new commit's image."""
    answer["launch"] = {
        "kind": "binderhub",
        "url": link,
        "open": True,
        "started": False,
        "server_name": None,
        "ready": False,
        "rebuild": True,
        "reason_code": plan.code,
        "reason": plan.reason,
    }
    answer["ok"] = True  # the slots had room when the relaunch began
    answer["message"] = (
        "Open the launch link in a new tab: BinderHub builds and starts the new commit "
        f"(not started without a rebuild: {plan.reason})."
    )
    if stop_current:
        answer["stop_current"]["message"] = (
            "BinderHub starts the new server from your browser; stop this one from the "
            "projects list once the new one runs."
        )


async def _remove_quietly(service: Any, name: str) -> bool:
    """Delete a server a failed start left behind; whether it is gone."""
    try:
        await service.stop(name, remove=True)
    except BinderError:
        return False
    return True


async def _start_named_server(
    state: ExtensionState,
    launch: LaunchInfo,
    sha: str,
    branch: str,
    labpath: str,
    stop_current: bool,
    ready_timeout: float,
    answer: dict[str, Any],
    plan: DirectStart | NoDirectStart,
    can_fall_back: bool = False,
) -> NoDirectStart | None:
    """Start the new commit as a named server through the hub; None once the answer says
    what happened. Where BinderHub's link can do instead (`can_fall_back`), a start the hub
    refuses or fails gives the reason to fall back to it, and no launch in the answer."""
    from jupyter_binder_ext.errors import MissingScopes
    from jupyter_binder_ext.projects.names import new_server_name
    from jupyter_binder_ext.relaunch.direct import CATCH_UP_OPTION, NO_START_SCOPE, START_FAILED

    slots = answer["slots"]
    service = state.projects_service
    push_url = str(answer["push"].get("url") or "")
    repo_url = "" if "***" in push_url else push_url
    options = user_options_for(launch, sha, branch, repo_url=repo_url, plan=plan)
    direct = isinstance(plan, DirectStart)
    entry: dict[str, Any] = {
        "kind": "hub",
        "url": "",
        "open": False,
        "started": False,
        "server_name": None,
        "ready": False,
        # Shown without the carried objects (bytes of git, not for reading).
        "user_options": {k: v for k, v in options.items() if k != CATCH_UP_OPTION},
        "rebuild": not direct,
        "reason_code": plan.code if isinstance(plan, NoDirectStart) else "",
        "reason": (
            f"only {_resources_name(state)} changed since the running image's commit "
            f"{short_sha(plan.image_commit)}: the new server runs that image"
            if isinstance(plan, DirectStart)
            else plan.reason
        ),
        "catch_up": (
            {
                "image_commit": plan.image_commit,
                "commit": sha,
                "objects": len(plan.catch_up.get("objects", [])),
            }
            if isinstance(plan, DirectStart)
            else None
        ),
    }
    answer["launch"] = entry
    name = new_server_name(options["repo_url"] or f"{launch.owner}/{launch.repo}")
    try:
        started = await service.start(name, options)
    except MissingScopes as err:
        if can_fall_back:
            answer["launch"] = None
            return NoDirectStart(
                NO_START_SCOPE,
                "the hub does not let this server's token start servers (it needs "
                "servers!user or start:servers!user)",
            )
        entry["error"] = err.to_json()
        answer["message"] = f"The hub did not start the new project: {err.message}"
        return None
    except Conflict as err:
        if "limit" in err.details:  # the slots filled up while the commit was pushed
            slots["full"] = True
            answer["message"] = (
                _full_message(slots, pushed=True) if slots["deletable"] else err.message
            )
        else:
            answer["message"] = f"The hub did not start the new project: {err.message}"
        entry["error"] = err.to_json()
        return None
    except BinderError as err:
        if can_fall_back:
            # A server the failed spawn left behind would hold a slot: delete it.
            removed = await _remove_quietly(service, name)
            answer["launch"] = None
            return NoDirectStart(
                START_FAILED,
                f"the hub could not start it with the running image ({err.message})"
                + ("; the server it made was deleted" if removed else ""),
            )
        entry["error"] = err.to_json()
        answer["message"] = f"The hub did not start the new project: {err.message}"
        return None
    entry.update(started=True, server_name=name)
    base_url = str(started.get("url") or "")
    entry["url"] = base_url + (f"lab/tree/{quote(labpath, safe='/')}" if labpath else "")
    try:
        await service.wait_ready(name, ready_timeout)
    except HubTimeout as err:
        answer["ok"] = True
        answer["message"] = err.message
        if stop_current:
            answer["stop_current"]["message"] = (
                "This server keeps running: the new one is not ready yet."
            )
        return None
    except BinderError as err:
        entry["error"] = err.to_json()
        answer["message"] = err.message
        return None
    entry.update(ready=True, open=True)
    answer["ok"] = True
    answer["message"] = f"The new project {name} is ready."
    if direct:
        answer["message"] += (
            f" It runs this server's image, without a rebuild ({entry['reason']}); its "
            f"repository moves to {short_sha(sha)} in the background."
        )
    if stop_current and launch.server_name:
        answer["stop_current"] = await _stop_current(state, launch.server_name)
        answer["message"] += " " + answer["stop_current"]["message"]
    return None


def _resources_name(state: ExtensionState) -> str:
    return state.site.resources_filename


async def _stop_current(state: ExtensionState, name: str) -> dict[str, Any]:
    """Stop this server. Inside the server itself, only after the answer has gone out."""
    if _inside_jupyter_server():
        task = asyncio.get_running_loop().create_task(_stop_later(state, name, STOP_DELAY))
        _background.add(task)
        task.add_done_callback(_background.discard)
        return {
            "requested": True,
            "scheduled": True,
            "done": False,
            "server_name": name,
            "delay_s": STOP_DELAY,
            "message": f"This server ({name}) stops in {STOP_DELAY:g} s; it keeps its slot "
            "until you delete it.",
        }
    try:
        result = await state.projects_service.stop(name, remove=False, force=True)
    except BinderError as err:
        return {
            "requested": True,
            "scheduled": False,
            "done": False,
            "server_name": name,
            "message": f"This server was not stopped: {err.message}",
        }
    return {
        "requested": True,
        "scheduled": False,
        "done": True,
        "server_name": name,
        "message": str(result.get("message") or f"Stopped {name}."),
    }


async def _stop_later(state: ExtensionState, name: str, delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await state.projects_service.stop(name, remove=False, force=True)
    except BinderError as err:
        state.log.warning("Could not stop %s after the relaunch: %s", name, err.message)


def _inside_jupyter_server() -> bool:
    module = sys.modules.get("jupyter_server.serverapp")
    return bool(module and module.ServerApp.initialized())


# -- readable text ----------------------------------------------------------------------------


def describe_relaunch(data: Mapping[str, Any]) -> str:
    """Readable text for ``%binder relaunch`` and ``jupyter binder relaunch``."""
    lines: list[str] = []
    commit = data.get("commit") or {}
    if commit:
        what = "Committed" if commit.get("created") else "Nothing new to commit; launching"
        lines.append(
            f"{what} {commit.get('short_sha', '')} on {commit.get('branch') or '(detached)'}"
            + (f": {commit['message']}" if commit.get("created") else "")
        )
        if commit.get("note"):
            lines.append(f"  {commit['note']}")
    push = data.get("push") or {}
    if push:
        if push.get("ok"):
            lines.append(f"Pushed to {push.get('remote')} {push.get('branch')} ({push.get('url')})")
        else:
            lines.append(f"Not pushed ({push.get('reason')}):")
            lines.extend(f"  {ln}" for ln in str(push.get("output", "")).splitlines())
    launch = data.get("launch") or {}
    if launch:
        if launch.get("kind") == "binderhub":
            lines.append(f"Launch link: {launch.get('url')}")
            if launch.get("reason"):
                lines.append(f"  BinderHub builds the new commit: {launch['reason']}")
        elif launch.get("server_name"):
            state = "ready" if launch.get("ready") else "starting"
            lines.append(f"New project {launch['server_name']} ({state}): {launch.get('url')}")
            if launch.get("rebuild") is False:
                lines.append(f"  Started with the running image, no rebuild: {launch['reason']}")
    slots = data.get("slots") or {}
    if slots.get("full"):
        for item in slots.get("deletable", []):
            mark = "stopped" if item.get("stopped") else "running"
            lines.append(f"  could delete: {item.get('name')} ({mark}, {item.get('repo') or ''})")
    if data.get("message"):
        lines.append(str(data["message"]))
    return "\n".join(line for line in lines if line)
