"""The persistence answers as text, for ``%binder persistence`` and the ``jupyter binder`` CLI."""

from __future__ import annotations

from typing import cast

from jupyter_binder_ext.common.readable import byte_size, moment
from jupyter_binder_ext.persistence.answers import InstanceDirAnswer, PersistenceAnswer


def describe_persistence(answer: PersistenceAnswer | InstanceDirAnswer) -> str:
    lines = [f"Persistent volume: {answer['path']}"]
    if answer["exists"] and answer["is_dir"]:
        kind = (
            f"a mount of its own ({answer['fs_type']})" if answer["mounted"] else "a plain folder"
        )
        access = "writable" if answer["writable"] else "NOT writable"
        lines.append(f"  {kind}, {access}")
        if answer["total"] is not None:
            used, total = byte_size(answer["used"]), byte_size(answer["total"])
            lines.append(f"  {used} used of {total}, {byte_size(answer['free'])} free")
    instance = answer["instance_dir"]
    if instance:
        state = "exists" if instance["exists"] else "not created yet (`--create` makes it)"
        lines.append(f"This instance's folder: {instance['path']} ({state})")
    link = answer["link"]
    if link and link["points_to_instance"]:
        lines.append(f"Link in the file browser: {link['browser_path']}")
    if answer["instances"]:
        lines.append("Instance folders on the volume:")
        for item in answer["instances"]:
            mark = "*" if item["is_current"] else " "
            size = byte_size(item["size"]) + ("" if item["size_complete"] else "+")
            changed = moment(item["modified"]) if item["modified"] else "?"
            lines.append(f" {mark} {item['name']}  {size}  changed {changed}")
    if "action" in answer:  # the answer of POST .../instance-dir (mypy cannot narrow on it)
        lines.append(cast(InstanceDirAnswer, answer)["action"]["message"])
    lines.extend(f"{item['level'].upper()}: {item['message']}" for item in answer["warnings"])
    return "\n".join(lines)
