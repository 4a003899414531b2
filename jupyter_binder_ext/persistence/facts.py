"""What the persistence routes read from the system, as plain values.

:func:`gather_persistence` does the I/O of ``GET binder/api/persistence`` (stat, mountinfo,
a probe write, statvfs, the bounded walk of the instance folders, the link) and says
nothing to the user: :mod:`.builders` turns these facts into the answer and its sentences.
It is synchronous; callers run it in a thread.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.mountinfo import Mount, mount_of
from jupyter_binder_ext.common.walk import Walk, WalkBudget
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.answers import InstanceLink
from jupyter_binder_ext.persistence.instance_dirs import (
    InstanceChoice,
    choose_instance_dir,
    describe_link,
    read_marker,
)


@dataclass(frozen=True)
class ScanBounds:
    """How far the walk of the instance folders goes (the values: :mod:`.volume`)."""

    files: int  # entries visited, over all the folders
    seconds: float
    folders: int  # top-level folders listed


@dataclass(frozen=True)
class WriteProbe:
    ok: bool
    errno: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Space:
    """statvfs, in bytes: `free` is what an unprivileged user can still write."""

    total: int
    used: int
    free: int


@dataclass(frozen=True)
class FolderFacts:
    """One top-level folder of the volume, sized by the bounded walk."""

    name: str
    path: str
    size: int
    files: int
    latest_change: float | None
    complete: bool
    marker: dict[str, Any] | None  # its ownership record, as any notebook may have written it


@dataclass(frozen=True)
class InstanceScan:
    folders: tuple[FolderFacts, ...]
    visited: int
    bounds: ScanBounds
    listing_complete: bool  # every top-level folder was listed


@dataclass(frozen=True)
class VolumeState:
    """What is read of a volume that is a folder."""

    real_path: str
    mount: Mount | None
    probe: WriteProbe
    space: Space | None
    choice: InstanceChoice
    scan: InstanceScan
    link: InstanceLink


@dataclass(frozen=True)
class PersistenceFacts:
    user: str
    user_source: str  # "hub", "os" (outside a hub), "none"
    path: Path
    exists: bool
    is_dir: bool
    bounds: ScanBounds
    volume: VolumeState | None  # None when the path is not a folder


# -- the volume's path ----------------------------------------------------------------------


def volume_user(launch: LaunchInfo) -> tuple[str, str]:
    """(user name, where it came from): the hub user, else this process's OS user."""
    if launch.user:
        return launch.user, "hub"
    # Outside a hub there is no hub user; the OS account is the best guess for a
    # `{username}` template, and the answer says it is a guess.
    try:
        return getpass.getuser(), "os"
    except (KeyError, OSError):
        return "", "none"


def volume_path(site: SiteConfig, user: str) -> Path:
    if user in ("", ".", "..") or "/" in user or "\0" in user:
        raise InvalidInput(
            f"Cannot build the persistent volume path from the user name {user!r}.",
            reason="bad_user",
        )
    try:
        return site.persistent_volume_path(user)
    except (KeyError, IndexError, ValueError) as err:
        raise InvalidInput(
            f"c.BinderExt.persistent_volume_template ({site.persistent_volume_template!r}) "
            f"is not a valid template: only {{username}} may appear in braces ({err}).",
            reason="bad_template",
        ) from err


# -- reading the volume ---------------------------------------------------------------------


def probe_writable(folder: Path) -> WriteProbe:
    """Write and remove a small file: the only sure test (mount flags, ACLs, quotas, NFS
    export options all have a say)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".binder-write-probe-", dir=folder)
    except OSError as err:
        return WriteProbe(False, err.errno, err.strerror or str(err))
    try:
        os.write(fd, b"probe")
    except OSError as err:
        return WriteProbe(False, err.errno, err.strerror or str(err))
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            Path(name).unlink()
    return WriteProbe(True)


def read_space(folder: Path) -> Space | None:
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    return Space(
        total=st.f_blocks * st.f_frsize,
        used=(st.f_blocks - st.f_bfree) * st.f_frsize,
        free=st.f_bavail * st.f_frsize,
    )


def size_folder(folder: Path, budget: WalkBudget) -> FolderFacts:
    """Bytes, files and latest change under `folder`, within the shared budget."""
    size = files = 0
    try:
        latest: float | None = folder.lstat().st_mtime
    except OSError:
        latest = None
    walk = Walk(folder, budget)
    for entry in walk:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        latest = st.st_mtime if latest is None else max(latest, st.st_mtime)
        if not walk.enter(entry):
            files += 1
            size += st.st_size
    return FolderFacts(
        folder.name, str(folder), size, files, latest, walk.complete, read_marker(folder)
    )


def scan_instances(
    volume: Path, current: InstanceChoice | None, bounds: ScanBounds
) -> InstanceScan:
    """The top-level folders of the volume with size and latest change (bounded)."""
    budget = WalkBudget.lasting(bounds.files, bounds.seconds)
    top = Walk(volume, budget)
    names = [
        entry.name
        for entry in top
        if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False)
    ]
    if top.unreadable:
        return InstanceScan((), 0, bounds, True)
    current_name = current.name if current and current.exists else None
    # This instance's folder first, so that its size is the one most likely complete.
    names.sort(key=lambda name: (name != current_name, name.lower()))
    listed = names[: bounds.folders]
    folders = tuple(size_folder(volume / name, budget) for name in listed)
    complete = top.complete and len(names) == len(listed)
    return InstanceScan(folders, budget.visited, bounds, complete)


def gather_persistence(
    site: SiteConfig, launch: LaunchInfo, bounds: ScanBounds
) -> PersistenceFacts:
    """Everything ``GET binder/api/persistence`` reports, read once."""
    user, user_source = volume_user(launch)
    volume = volume_path(site, user)
    is_dir = volume.is_dir()
    state: VolumeState | None = None
    if is_dir:
        choice = choose_instance_dir(volume, launch, user)
        state = VolumeState(
            real_path=os.path.realpath(volume),
            mount=mount_of(volume, site.proc_root),
            probe=probe_writable(volume),
            space=read_space(volume),
            choice=choice,
            scan=scan_instances(volume, choice, bounds),
            link=describe_link(site, choice.path, volume),
        )
    return PersistenceFacts(user, user_source, volume, volume.exists(), is_dir, bounds, state)
