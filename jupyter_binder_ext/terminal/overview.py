"""``jupyter binder`` / ``%binder`` with no command: one line per domain.

Each line is read from the same core the commands use; a domain that fails says so on its
own line instead of hiding the others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from jupyter_binder_ext.common.readable import byte_size
from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.errors import BinderError
from jupyter_binder_ext.launch.answers import LaunchAnswer
from jupyter_binder_ext.state import ExtensionState
from jupyter_binder_ext.terminal.run_sync import run_sync

HINT = "Details: `jupyter binder COMMAND` (or `%binder COMMAND`); `--help` lists the commands."


def _bytes(value: Any) -> str:
    return byte_size(value, "GiB") if isinstance(value, (int, float)) else "?"


def _cores(value: Any) -> str:
    return f"{round(value, 2):g}" if isinstance(value, (int, float)) else "?"


def _launch_line(answer: LaunchAnswer) -> str:
    if not answer["repo_url"]:
        return answer["message"] or "not launched from a BinderHub"
    what = f"{answer['owner']}/{answer['repo']}" if answer["owner"] else answer["repo_url"]
    if answer["ref"]:
        what += f" @ {answer['ref']}"
    if answer["resolved_ref"]:
        what += f" ({short_sha(answer['resolved_ref'])})"
    return what


def _limits_line(data: dict[str, Any]) -> str:
    cpu, memory, gpu = data["cpu"], data["memory"], data["gpu"]
    ram = memory.get("working_set") if memory.get("working_set") is not None else memory["used"]
    line = (
        f"CPU {_cores(cpu.get('used_cores'))} of {_cores(cpu.get('limit'))} cores, "
        f"RAM {_bytes(ram)} of {_bytes(memory.get('limit'))}"
    )
    return line + (f", {gpu['count']} GPU" if gpu.get("count") else ", no GPU")


def _persistence_line(data: dict[str, Any]) -> str:
    state = "writable" if data.get("writable") else "not writable"
    folder = data.get("instance_dir") or {}
    mine = "this instance has a folder" if folder.get("exists") else "no folder for this instance"
    return f"{data.get('path')} ({state}; {mine})"


# The state of ssh/status.py's git_over_ssh, in a few words.
_GIT_OVER_SSH = {
    "ready": "git push over SSH set up",
    "not_set_up": "git not set up yet",
    "not_on_github": "origin not on GitHub: git over SSH not used",
    "no_remote": "no origin remote: git over SSH not used",
}


def _ssh_line(data: dict[str, Any]) -> str:
    if not data.get("public_key"):
        return "no public key found"
    usable = "usable" if data.get("private_key_usable") else "private key not usable"
    git = _GIT_OVER_SSH.get(str((data.get("git_over_ssh") or {}).get("state")), "git unknown")
    return f"{data.get('key_type') or 'key'} ({usable}; {git})"


def _projects_line(data: dict[str, Any]) -> str:
    if not data.get("available", True):
        return str(data.get("message") or "not available here")
    return f"{data.get('used')} of {data.get('limit')} slots used"


def overview(state: ExtensionState) -> tuple[dict[str, Any], str]:
    readers: list[
        tuple[str, str, Callable[[], Awaitable[Mapping[str, Any]]], Callable[..., str]]
    ] = [
        ("launch", "Launch", state.launch_answer, _launch_line),
        ("limits", "Limits", state.limits, _limits_line),
        ("persistence", "Persistence", state.persistence, _persistence_line),
        ("ssh", "SSH key", state.ssh, _ssh_line),
        ("projects", "Projects", state.projects, _projects_line),
    ]
    data: dict[str, Any] = {}
    lines: list[str] = []
    for key, title, read, line in readers:
        try:
            answer = run_sync(read())
        except BinderError as err:
            data[key] = err.to_json()
            lines.append(f"{title + ':':<13}{err.message}")
            continue
        data[key] = answer
        lines.append(f"{title + ':':<13}{line(answer)}")
        for warning in answer.get("warnings") or []:
            if isinstance(warning, dict) and warning.get("level") in ("warning", "error"):
                lines.append(f"{'':<13}! {warning.get('message')}")
    lines.append(HINT)
    return data, "\n".join(lines)
