"""Why a start failed: the hub's words, tidied, and a plain hint from the real messages.

The hub says "Spawn failed: {the spawner's exception}" (jupyterhub apihandlers/users.py:1073-
1078 and 1113-1118 in 6.1.1). Under KubeSpawner that exception is often the Kubernetes
client's ApiException, whose text carries the API's Status JSON ("(403)\\nReason: Forbidden
\\n...HTTP response body: {...}"): the ``message`` in that body is what a person needs.
Pure functions: no hub calls here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.projects.answers import SpawnFailure

SPAWN_FAILED = "Spawn failed: "
_K8S_BODY = re.compile(r"HTTP response body:\s*(\{.*\})", re.DOTALL)

# JupyterHub handlers/base.py:1677 (6.1.1); BinderHub's launcher.py:223-235 says the same.
_LIMIT = re.compile(r"already has the maximum of (\d+) named servers")
# The LimitRanger admission plugin ("maximum memory usage per Container is 4Gi, but limit is
# 8589934592"), a ResourceQuota ("exceeded quota: ..."), the scheduler's FailedScheduling event
# that KubeSpawner relays as progress ("0/3 nodes are available: 3 Insufficient memory.").
_ABOVE_MAX = re.compile(r"maximum (\S+) usage per (?:Container|Pod) is (\S+), but limit is (\S+)")
_RESOURCES = re.compile(r"exceeded quota|Insufficient (?:cpu|memory|nvidia\.com/gpu)", re.I)
# The kubelet's waiting reasons and events (ErrImagePull, ImagePullBackOff, "Failed to pull
# image ...", "Back-off pulling image ...").
_IMAGE_PULL = re.compile(
    r"ErrImagePull|ImagePullBackOff|Failed to pull image|Back-off pulling image|"
    r"manifest unknown|pull access denied",
    re.I,
)
# A container killed by the kernel's OOM killer: the reason OOMKilled, exit code 137.
_OOM = re.compile(r"OOMKilled|out of memory|exit(?:ed)? (?:code|status)[ =:]*137|status=137", re.I)
# KubeSpawner "pod ... did not start in N seconds!" (spawner.py:3349 at 4161d54), JupyterHub's
# "failed to start in N seconds" / "never showed up at ... after N seconds" (user.py:1058-1061,
# 1118-1121) and tornado's bare "Timeout".
_TIMEOUT = re.compile(
    r"did not start in \d+ seconds|failed to start in|never showed up|didn't respond|"
    r"\bTimeout\b|timed out",
    re.I,
)
# BinderHub's build failure ("Failed to build image", builder.py) and repo2docker's errors.
# Docker's "The command '...' returned a non-zero code: N", which repo2docker logs as its
# "failed" phase and BinderHub relays as the build's last event.
_BUILD = re.compile(
    r"Failed to build|build failed|Error during build|repo2docker|returned a non-zero code", re.I
)
_BUILD_FILE = re.compile(
    r"(requirements\.txt|environment\.ya?ml|postBuild|apt\.txt|Dockerfile|runtime\.txt|"
    r"install\.R|Project\.toml|setup\.py|start)\b(?:[^\n]*?line (\d+))?"
)


def tidy_message(message: str) -> str:
    """The hub's message with a Kubernetes Status body reduced to its ``message``."""
    text = redact(str(message)).strip()
    match = _K8S_BODY.search(text)
    if match:
        try:
            body = json.loads(match.group(1))
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            head = text[: text.find("(")] if "(" in text else ""
            text = f"{head}{body['message']}".strip()
    return text


def _gb(value: str) -> str:
    """A Kubernetes quantity as GB for people ("8589934592" -> "8 GB", "4Gi" -> "4 GB")."""
    units = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "G": 1000**3, "M": 1000**2}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?)?", value)
    if not match:
        return value
    number = float(match.group(1)) * units.get(match.group(2) or "", 1)
    return f"{number / 1024**3:g} GB"


def _resources_hint(text: str) -> str | None:
    above = _ABOVE_MAX.search(text)
    if above:
        what, most, asked = above.groups()
        if what == "memory":
            return (
                f"The memory asked for ({_gb(asked)}) is above this site's maximum of "
                f"{_gb(most)}. Lower meml= in .resources (and memr= with it) and relaunch."
            )
        return (
            f"The {what} asked for ({asked}) is above this site's maximum of {most}. Lower "
            f"the matching line of .resources (cpul=, gpu=) and relaunch."
        )
    if _RESOURCES.search(text):
        return (
            "The resources asked for in .resources are more than this site can give now "
            "(its quota or its nodes). Ask for less (cpur=, memr=, gpu=) and relaunch, or try "
            "again later."
        )
    return None


def _limit_hint(text: str, deletable: Sequence[str]) -> str | None:
    match = _LIMIT.search(text)
    if not match:
        return None
    which = f" Delete one you no longer need: {', '.join(deletable[:5])}." if deletable else ""
    return (
        f"You already have {match.group(1)} projects, the most this hub allows; stopped "
        f"projects count too.{which} Stopping alone does not free a slot."
    )


def _build_hint(text: str) -> str | None:
    if not _BUILD.search(text):
        return None
    where = ""
    # The log's line that names a line number (pip's "(from -r file (line N))") says most.
    matches = list(_BUILD_FILE.finditer(text))
    found = next((m for m in matches if m.group(2)), matches[0] if matches else None)
    if found:
        where = f" The log points at {found.group(1)}" + (
            f", line {found.group(2)}." if found.group(2) else "."
        )
    return (
        "BinderHub could not build the image for this commit." + where + " Fix the file and "
        "push, or relaunch an earlier commit."
    )


def hint_for(message: str, log_lines: Sequence[str] = (), deletable: Sequence[str] = ()) -> str:
    """A plain-words likely cause for a failed start, from the hub's message and the log."""
    text = "\n".join([message, *log_lines])
    for hint in (
        _limit_hint(text, deletable),
        _resources_hint(text),
        _OOM.search(text)
        and "The server ran out of memory while starting. Raise meml= in .resources (within "
        "the site's maximum) and relaunch.",
        _IMAGE_PULL.search(text)
        and "The server's image could not be pulled. Relaunch through the BinderHub link so "
        "it is built again; if it fails again, send the report to the service desk.",
        _build_hint(text),
        _TIMEOUT.search(text)
        and "The server did not start in time: the site may be busy or the image large. Try "
        "again in a few minutes; if it keeps failing, send the report to the service desk.",
    ):
        if hint:
            return str(hint)
    return (
        "The hub gave no reason this extension recognises. Use Copy report and send it to "
        "the service desk."
    )


def failure_entry(
    event_message: str,
    *,
    at: str | None,
    phase: str,
    log_lines: Sequence[str] = (),
    deletable: Sequence[str] = (),
) -> SpawnFailure:
    """The ``failure`` of a ``GET projects`` row from the hub's failed event."""
    message = tidy_message(event_message)
    tail = [redact(line) for line in log_lines if line][-20:]
    if event_message and (not tail or tail[-1] != redact(event_message)):
        tail.append(redact(event_message))
    return {
        "message": message,
        "at": at,
        "phase": phase,
        "log_tail": tail,
        "hint": hint_for(message, tail, deletable),
    }
