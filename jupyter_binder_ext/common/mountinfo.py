"""The one parser of ``/proc/self/mountinfo``, and which mount holds a path.

proc(5): each line is ``id parent major:minor root mount-point options [optional...] -
fstype source super-options``; the optional fields vary in number, so the part after the
``-`` separator is found by it. The file lists the mounts as this process sees them, so
inside a container it shows the pod's volumes (an NFS persistent volume appears as ``nfs4``)
and its cgroup mounts (:mod:`..limits.cgroups` picks those out).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# mountinfo escapes space, tab, newline and backslash in paths as octal (\040 ...).
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


@dataclass(frozen=True)
class Mount:
    """One line of mountinfo."""

    mount_point: str
    fs_type: str
    source: str
    read_only: bool
    options: str
    # The path, inside the mounted file system, shown at the mount point ("/": all of it).
    root: str = "/"
    # The file system's own options (for a cgroup v1 mount: its controllers).
    super_options: str = ""


def parse_mountinfo(text: str) -> list[Mount]:
    """Parse mountinfo text; malformed lines are skipped (the kernel never writes them)."""
    mounts: list[Mount] = []
    for line in text.splitlines():
        fields = line.split()
        # id parent major:minor root mount_point options [optional...] - fstype source super
        if "-" not in fields[6:]:
            continue
        sep = fields.index("-", 6)
        if len(fields) < sep + 3:
            continue
        mount_options = fields[5].split(",")
        super_options = fields[sep + 3].split(",") if len(fields) > sep + 3 else []
        mounts.append(
            Mount(
                mount_point=_unescape(fields[4]),
                fs_type=fields[sep + 1],
                source=_unescape(fields[sep + 2]),
                read_only="ro" in mount_options or "ro" in super_options,
                options=fields[5],
                root=_unescape(fields[3]),
                super_options=fields[sep + 3] if len(fields) > sep + 3 else "",
            )
        )
    return mounts


def read_mounts(proc_root: str = "/proc") -> list[Mount]:
    """This process's mounts; an empty list when procfs is not readable."""
    try:
        text = (Path(proc_root) / "self" / "mountinfo").read_text(
            encoding="utf-8", errors="replace"
        )
    except OSError:
        return []
    return parse_mountinfo(text)


def _is_under(path: str, mount_point: str) -> bool:
    return mount_point == "/" or path == mount_point or path.startswith(mount_point + "/")


def mount_of(path: str | os.PathLike[str], proc_root: str = "/proc") -> Mount | None:
    """The mount that holds `path` (symlinks resolved): the deepest mount point above it.

    When mounts are stacked on the same point, the last one listed is the visible one.
    """
    real = os.path.realpath(path)
    best: Mount | None = None
    for mount in read_mounts(proc_root):
        if _is_under(real, mount.mount_point) and (
            best is None or len(mount.mount_point) >= len(best.mount_point)
        ):
            best = mount
    return best


def is_mount_point(path: str | os.PathLike[str], proc_root: str = "/proc") -> bool:
    """Whether `path` is a mount of its own, not just a folder on its parent's file system."""
    mount = mount_of(path, proc_root)
    return mount is not None and mount.mount_point == os.path.realpath(path)
