"""What sets one of the user's projects apart from the others: its resources, the part of its
server name that differs, its ref and commit.

BinderHub names every server of one repository ``{repository path}-{8 random characters}``
(binderhub ``launcher.py:143-169``), so five launches of one repository share a title; these
words are what the panel, the slot dialog and the terminal's ``projects`` show to tell them
apart. Pure: computed from the hub's model, once, here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.projects.answers import Project, StartedResources
from jupyter_binder_ext.projects.names import binderhub_server_name, new_server_name
from jupyter_binder_ext.resources.model import RESOURCES_OPTION

_SUFFIX = re.compile(r"-([a-z0-9]{8})")
# Past this many characters a name that is not repository + suffix is cut in its middle.
_SHORT_MAX = 24


def resources_of(options: Mapping[str, Any]) -> StartedResources | None:
    """The resources the hub's hook recorded at the server's last start; None without."""
    recorded = options.get(RESOURCES_OPTION)
    if not isinstance(recorded, Mapping):
        return None
    try:
        return {
            "cpu_guarantee": float(recorded["cpu_guarantee"]),
            "cpu_limit": float(recorded["cpu_limit"]),
            "mem_guarantee_gb": int(recorded["mem_guarantee_gb"]),
            "mem_limit_gb": int(recorded["mem_limit_gb"]),
            "gpu": int(recorded.get("gpu") or 0),
            "from_file": bool(recorded.get("from_file")),
        }
    except (KeyError, TypeError, ValueError):
        return None  # written by something else: say nothing rather than something wrong


def _range(low: float, high: float, unit: str) -> str:
    return f"{high:g} {unit}" if low == high else f"{low:g}-{high:g} {unit}"


def resources_text(resources: StartedResources | None) -> str:
    """``1-8 CPU · 1-16 GB`` (guaranteed-limit), ``· 1 GPU`` when it has any; "" unknown."""
    if resources is None:
        return ""
    parts = [
        _range(resources["cpu_guarantee"], resources["cpu_limit"], "CPU"),
        _range(resources["mem_guarantee_gb"], resources["mem_limit_gb"], "GB"),
    ]
    if resources["gpu"]:
        parts.append(f"{resources['gpu']} GPU")
    return " · ".join(parts)


def short_name(name: str, repo_url: str) -> str:
    """The part of `name` that differs between launches of one repository: ``…-x7k2m9q1``
    when the rest is what BinderHub (or this extension) derives from `repo_url`."""
    match = _SUFFIX.search(name)
    if match and match.end() == len(name) and repo_url:
        suffix = match.group(1)
        if name in (binderhub_server_name(repo_url, suffix), _new_name(repo_url, suffix)):
            return f"…-{suffix}"
    if len(name) <= _SHORT_MAX:
        return name
    half = (_SHORT_MAX - 1) // 2
    return f"{name[:half]}…{name[-half:]}"


def _new_name(repo_url: str, suffix: str) -> str:
    try:
        return new_server_name(repo_url, suffix)
    except ValueError:  # InvalidInput: a URL no name can be built from
        return ""


def launched(ref: str, commit: str) -> str:
    """``main @ 2cad9b8``; the commit alone when the ref is that commit."""
    ref_text = short_sha(ref) if ref else ""
    if commit and ref and not ref.startswith(commit):
        return f"{ref_text} @ {commit}"
    return commit or ref_text


def tells_apart(entry: Mapping[str, Any], typed_ref: str = "") -> str:
    """``main @ 2cad9b871958 · 1-8 CPU · 1-16 GB · …-x7k2m9q1``: each part that is known;
    `typed_ref` is the ref as the launch typed it, when `entry`'s ref is its resolved commit."""
    ref = typed_ref or entry["ref"]
    parts = [launched(ref, entry["commit"]), entry["resources_text"], entry["short_name"]]
    return " · ".join(part for part in parts if part)


def mark_name_needed(entries: list[Project]) -> None:
    """Set ``name_needed`` where another project reads the same but for its name."""

    def reads_as(entry: Project) -> tuple[str, ...]:
        return (
            entry["display_name"],
            entry["repo"],
            entry["ref"],
            entry["commit"],
            entry["resources_text"],
        )

    counts = Counter(reads_as(entry) for entry in entries)
    for entry in entries:
        entry["name_needed"] = counts[reads_as(entry)] > 1
