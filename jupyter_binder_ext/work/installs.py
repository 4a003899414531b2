"""Packages installed while the server ran that its environment files do not ask for.

They live in the running container only: a relaunch (a new image built from the environment
files) or the idle deletion loses them. The facts are the environment domain's own (its
cached, shared scan of ``GET environment``): this module only counts them for ``GET work``
and points at the Environment section's keep action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jupyter_binder_ext.work.answers import RuntimeInstall, RuntimeInstalls

# Names shown in the sentence; the answer lists them all.
SHOWN = 5
KEEP_POINTER = (
    "Keep them in the environment files with the Environment section's Keep action "
    "(`jupyter binder environment keep NAME...`)."
)


def runtime_installs(environment: Mapping[str, Any]) -> RuntimeInstalls:
    """What ``GET environment`` lists as installed since launch and not in the files."""
    packages: list[RuntimeInstall] = [
        {"name": p["name"], "version": p["version"], "manager": p["manager"]}
        for p in environment.get("installed") or []
        if p.get("in_files") is None
    ]
    return {
        "known": True,
        "count": len(packages),
        "packages": packages,
        "keep_file": environment.get("keep_file"),
        "message": _message(packages) if packages else "",
    }


def unknown_installs(reason: str) -> RuntimeInstalls:
    """The environment could not be scanned: said so, never counted as none."""
    return {
        "known": False,
        "count": 0,
        "packages": [],
        "keep_file": None,
        "message": f"Packages installed since launch are unknown: {reason}",
    }


def installs_phrase(count: int) -> str:
    """The part of the loss summary, e.g. "2 packages installed since launch"."""
    return f"{count} package{'s' if count != 1 else ''} installed since launch"


def _message(packages: list[RuntimeInstall]) -> str:
    names = ", ".join(f"{p['name']} {p['version']}" for p in packages[:SHOWN])
    more = len(packages) - SHOWN
    return (
        f"{installs_phrase(len(packages))} and not in your environment files ({names}"
        + (f" and {more} more" if more > 0 else "")
        + f"): a relaunch or the idle deletion loses them. {KEEP_POINTER}"
    )
