"""The terminal text of ``%binder work`` and ``jupyter binder work``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jupyter_binder_ext.common.readable import local_date

_MARK = {"same": "saved", "differs": "volume copy differs", "absent": ""}


def _size(value: int | None) -> str:
    if value is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024  # type: ignore[assignment]
    return ""


def _file_line(entry: Mapping[str, Any]) -> str:
    parts = [f"  {entry['status']:<10}", entry["path"], _size(entry.get("size"))]
    mark = _MARK.get(str(entry.get("on_volume")), "")
    if mark:
        parts.append(f"[{mark}]")
    return "  ".join(p for p in parts if p)


def describe_work(data: Mapping[str, Any]) -> str:
    lines = [str(data.get("message", ""))]
    repo = data.get("repository")
    if repo:
        lines.append(f"Repository: {repo} (branch {data.get('branch') or 'detached HEAD'})")
    changed = data.get("changed") or []
    if changed:
        lines.append(f"Changed files ({data.get('changed_total', len(changed))}):")
        lines.extend(_file_line(e) for e in changed)
        if data.get("truncated"):
            lines.append("  ... (list cut short)")
    elif repo:
        # An incomplete scan found none; it does not know there are none.
        lines.append(
            "Changed files: none found" if data.get("incomplete") else "Changed files: none"
        )
    unpushed = data.get("unpushed") or {}
    if unpushed.get("count"):
        lines.append(
            f"Unpushed commits: {unpushed['count']} on {unpushed.get('branch')} "
            f"(not on {unpushed.get('compared_with')})"
        )
    outside = data.get("outside") or {}
    if outside.get("files"):
        lines.append(f"Files outside the repository (in {outside.get('root')}):")
        lines.extend(_file_line(e) for e in outside["files"])
    if outside.get("note"):
        lines.append(f"  {outside['note']}")
    volume = data.get("volume") or {}
    if volume.get("message"):
        lines.append(f"Persistent volume: {volume['message']}")
    deletion = data.get("deletion") or {}
    # The summary above already ends with the deletion's words when there is work at risk.
    if deletion.get("message") and str(deletion["message"]) not in lines[0]:
        lines.append(str(deletion["message"]))
    if deletion.get("expires_at"):
        lines.append(f"  Deletion date: {local_date(deletion['expires_at'])}")
    reminder = data.get("reminder") or {}
    for project in reminder.get("projects") or []:
        lines.append(f"! {project['display_name']} ({project['name']}): {project['mark']}")
    lines.extend(_held_back_lines(data))
    for warning in data.get("warnings") or []:
        lines.append(f"WARNING: {warning}")
    if data.get("at_risk"):
        lines.append(
            "Save it: `jupyter binder work save --to persistent` (copies to the volume) or "
            '`jupyter binder work save --to github -m "message"` (commits and pushes).'
        )
    return "\n".join(line for line in lines if line)


def _held_back_lines(data: Mapping[str, Any]) -> list[str]:
    """What the rule held back (never saved), and credentials found, one line each."""
    held = data.get("held_back") or []
    if not held:
        return []
    lines = ["Never saved (not work, or holding a credential):"]
    lines.extend(f"  held     {entry['path']}: {entry['message']}" for entry in held)
    return lines


def describe_save(data: Mapping[str, Any]) -> str:
    lines = [str(data.get("message", ""))]
    for entry in data.get("copied") or []:
        lines.append(f"  copied   {entry['path']}")
    for entry in data.get("skipped") or []:
        lines.append(f"  skipped  {entry['path']}: {entry['message']}")
    lines.extend(_held_back_lines(data))
    for key in ("push", "new_branch"):
        push = data.get(key)
        if push and push.get("output"):
            lines.append(f"git {'push' if key == 'push' else 'push (new branch)'}:")
            lines.extend("  " + line for line in str(push["output"]).splitlines()[-6:])
    return "\n".join(lines)


def describe_sibling(data: Mapping[str, Any]) -> str:
    head = f"Project {data.get('name')}: {data.get('message', '')}".rstrip(": ")
    return head + "\n" + describe_work(data.get("work") or {})
