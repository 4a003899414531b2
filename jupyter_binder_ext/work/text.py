"""The terminal text of ``%binder work`` and ``jupyter binder work``, from the typed answers."""

from __future__ import annotations

from jupyter_binder_ext.common.readable import byte_size, local_date
from jupyter_binder_ext.work.answers import (
    ChangedFile,
    HeldBackFile,
    RuntimeInstalls,
    SaveAnswer,
    SiblingWorkAnswer,
    WorkAnswer,
)

_MARK = {"same": "saved", "differs": "volume copy differs", "absent": ""}


def _file_line(entry: ChangedFile) -> str:
    size = "" if entry["size"] is None else byte_size(entry["size"])
    parts = [f"  {entry['status']:<10}", entry["path"], size]
    mark = _MARK.get(entry["on_volume"], "")
    if mark:
        parts.append(f"[{mark}]")
    return "  ".join(p for p in parts if p)


def describe_work(answer: WorkAnswer) -> str:
    lines = [answer["message"], *_repository_lines(answer), *_outside_lines(answer)]
    if answer["volume"]["message"]:
        lines.append(f"Persistent volume: {answer['volume']['message']}")
    deletion = answer["deletion"]
    # The summary above already ends with the deletion's words when there is work at risk.
    if deletion["message"] and deletion["message"] not in lines[0]:
        lines.append(deletion["message"])
    if deletion["expires_at"]:
        lines.append(f"  Deletion date: {local_date(deletion['expires_at'])}")
    for project in answer["reminder"]["projects"]:
        lines.append(f"! {project['display_name']} ({project['name']}): {project['mark']}")
    lines.extend(_held_back_lines(answer["held_back"]))
    lines.extend(_installs_lines(answer["runtime_installs"]))
    lines.extend(f"WARNING: {warning}" for warning in answer["warnings"])
    if answer["at_risk"]:
        lines.append(
            "Save it: `jupyter binder work save --to persistent` (copies to the volume) or "
            '`jupyter binder work save --to github -m "message"` (commits and pushes).'
        )
    return "\n".join(line for line in lines if line)


def _repository_lines(answer: WorkAnswer) -> list[str]:
    """The repository, its changed files and its unpushed commits."""
    repo, changed = answer["repository"], answer["changed"]
    lines = []
    if repo:
        lines.append(f"Repository: {repo} (branch {answer['branch'] or 'detached HEAD'})")
    if changed:
        lines.append(f"Changed files ({answer['changed_total']}):")
        lines.extend(_file_line(e) for e in changed)
        if answer["truncated"]:
            lines.append("  ... (list cut short)")
    elif repo:
        # An incomplete scan found none; it does not know there are none.
        lines.append("Changed files: none found" if answer["incomplete"] else "Changed files: none")
    unpushed = answer["unpushed"]
    if unpushed["count"]:
        lines.append(
            f"Unpushed commits: {unpushed['count']} on {unpushed['branch']} "
            f"(not on {unpushed['compared_with']})"
        )
    return lines


def _outside_lines(answer: WorkAnswer) -> list[str]:
    outside = answer["outside"]
    lines = []
    if outside["files"]:
        lines.append(f"Files outside the repository (in {outside['root']}):")
        lines.extend(_file_line(e) for e in outside["files"])
    if outside["note"]:
        lines.append(f"  {outside['note']}")
    return lines


def _held_back_lines(held: list[HeldBackFile]) -> list[str]:
    """What the rule held back (never saved), and credentials found, one line each."""
    if not held:
        return []
    lines = ["Never saved (not work, or holding a credential):"]
    lines.extend(f"  held     {entry['path']}: {entry['message']}" for entry in held)
    return lines


def _installs_lines(installs: RuntimeInstalls) -> list[str]:
    """Packages installed since launch that the environment files lack (work/installs.py)."""
    if not installs["count"]:
        return []
    lines = [installs["message"]]
    lines.extend(
        f"  installed  {p['name']} {p['version']} ({p['manager']})" for p in installs["packages"]
    )
    return lines


def describe_save(answer: SaveAnswer) -> str:
    lines = [answer["message"]]
    lines.extend(f"  copied   {entry['path']}" for entry in answer["copied"])
    lines.extend(f"  skipped  {entry['path']}: {entry['message']}" for entry in answer["skipped"])
    lines.extend(_held_back_lines(answer["held_back"]))
    for label, push in (("push", answer["push"]), ("push (new branch)", answer["new_branch"])):
        if push and push["output"]:
            lines.append(f"git {label}:")
            lines.extend("  " + line for line in push["output"].splitlines()[-6:])
    return "\n".join(lines)


def describe_sibling(answer: SiblingWorkAnswer) -> str:
    head = f"Project {answer['name']}: {answer['message']}".rstrip(": ")
    return head + "\n" + describe_work(answer["work"])
