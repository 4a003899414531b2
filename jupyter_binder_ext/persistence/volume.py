"""The user's persistent volume: where it is and what state it is in.

The site mounts one volume per user into every notebook, so two instances writing the same
path overwrite each other. This module reports the volume's real state (mount, type,
writability, space, the instance folders on it) and makes this instance's folder and its
link on request; :mod:`.instance_dirs` names that folder and owns the link.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.answers import Warning, warning
from jupyter_binder_ext.common.mountinfo import mount_of
from jupyter_binder_ext.common.readable import gib, in_days, moment
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, InvalidInput, NotFound
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.instance_dirs import (
    InstanceChoice,
    choose_instance_dir,
    describe_link,
    exclude_from_git,
    make_instance_dir,
    make_link,
    read_marker,
)

# Entries visited while sizing the instance folders, over all of them: a volume holding
# millions of files must not stall the request.
SCAN_FILE_LIMIT = 20_000
# Seconds the walk may take (a slow network volume), and instance folders listed at most.
SCAN_TIME_LIMIT = 5.0
MAX_LISTED_INSTANCES = 200


# -- the volume ---------------------------------------------------------------------------


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


@dataclass(frozen=True)
class WriteProbe:
    ok: bool
    errno: int | None = None
    error: str | None = None


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


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()


def _space(folder: Path) -> dict[str, Any]:
    try:
        st = os.statvfs(folder)
    except OSError:
        return {"total": None, "used": None, "free": None, "used_fraction": None}
    total = st.f_blocks * st.f_frsize
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    free = st.f_bavail * st.f_frsize  # what an unprivileged user can still write
    # As df computes "Use%": the root reserve counts as neither used nor free.
    usable = used + free
    return {
        "total": total,
        "used": used,
        "free": free,
        "used_fraction": (used / usable) if usable else None,
    }


class _Budget:
    """Entries the walk may still visit, and until when."""

    def __init__(self, limit: int, seconds: float | None = None) -> None:
        self.limit = limit
        self.visited = 0
        self.deadline = time.monotonic() + (SCAN_TIME_LIMIT if seconds is None else seconds)
        self.out_of_time = False

    def take(self) -> bool:
        if self.visited >= self.limit or self.out_of_time:
            return False
        self.visited += 1
        if self.visited % 256 == 0 and time.monotonic() > self.deadline:
            self.out_of_time = True
        return True


def _size_folder(folder: Path, budget: _Budget) -> tuple[int, int, float | None, bool]:
    """(bytes, files, latest change, complete): a walk that never follows links and stops
    when the budget is spent."""
    size = 0
    files = 0
    try:
        latest: float | None = folder.lstat().st_mtime
    except OSError:
        latest = None
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    if not budget.take():
                        return size, files, latest, False
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    latest = st.st_mtime if latest is None else max(latest, st.st_mtime)
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(Path(entry.path))
                    else:
                        files += 1
                        size += st.st_size
        except OSError:
            continue
    return size, files, latest, True


def _marker_text(marker: dict[str, Any] | None, key: str) -> str | None:
    """A marker's field as text, credentials hidden: any notebook may have written it."""
    value = (marker or {}).get(key)
    return redact(value) if isinstance(value, str) else None


def scan_instances(
    volume: Path, current: InstanceChoice | None, file_limit: int = SCAN_FILE_LIMIT
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The top-level folders of the volume with size and latest change (bounded)."""
    budget = _Budget(file_limit)
    names: list[str] = []
    complete_listing = True
    try:
        with os.scandir(volume) as entries:
            for entry in entries:
                if not budget.take():
                    complete_listing = False
                    break
                if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                    continue
                names.append(entry.name)
    except OSError:
        return [], {"files_visited": 0, "limit": file_limit, "capped": False}
    current_name = current.name if current and current.exists else None
    # This instance's folder first, so that its size is the one most likely complete.
    names.sort(key=lambda name: (name != current_name, name.lower()))
    if len(names) > MAX_LISTED_INSTANCES:
        complete_listing = False
        names = names[:MAX_LISTED_INSTANCES]
    instances = []
    for name in names:
        path = volume / name
        size, files, latest, complete = _size_folder(path, budget)
        marker = read_marker(path)
        instances.append(
            {
                "name": name,
                "path": str(path),
                "size": size,
                "files": files,
                "size_complete": complete,
                "modified": _iso(latest),
                "is_current": name == current_name,
                "managed": marker is not None,
                "server_name": _marker_text(marker, "server_name"),
                "repo_url": _marker_text(marker, "repo_url"),
                "created": _marker_text(marker, "created"),
            }
        )
    capped = not complete_listing or any(not item["size_complete"] for item in instances)
    scan = {"files_visited": budget.visited, "limit": file_limit, "capped": capped}
    return instances, scan


# -- the answer ---------------------------------------------------------------------------


def read_persistence(
    site: SiteConfig, launch: LaunchInfo, *, file_limit: int = SCAN_FILE_LIMIT
) -> dict[str, Any]:
    """The answer of ``GET binder/api/persistence``."""
    user, user_source = volume_user(launch)
    volume = volume_path(site, user)
    warnings: list[Warning] = []
    if user_source != "hub" and "{username}" in site.persistent_volume_template:
        warnings.append(
            warning(
                "not_under_hub",
                "info",
                f"Not running under JupyterHub: the volume path uses the system user "
                f"{user!r} in place of a hub user name.",
            )
        )
    exists = volume.exists()
    is_dir = volume.is_dir()
    data: dict[str, Any] = {
        "path": str(volume),
        "user": user,
        "user_source": user_source,
        "exists": exists,
        "is_dir": is_dir,
        "mounted": False,
        "fs_type": None,
        "mount": None,
        "read_only": False,
        "writable": False,
        "write_error": None,
        "total": None,
        "used": None,
        "free": None,
        "used_fraction": None,
        "instance_dir": None,
        "instances": [],
        "scan": {"files_visited": 0, "limit": file_limit, "capped": False},
        "link": None,
        "inactivity_timeout": site.inactivity_timeout,
        "warnings": warnings,
    }
    choice: InstanceChoice | None = None
    if not is_dir:
        what = "is not a folder" if exists else "does not exist"
        warnings.append(
            warning(
                "volume_missing",
                "error",
                f"The persistent volume {volume} {what}: nothing written in this notebook "
                "will outlive it. Ask the site's administrators, or check "
                "c.BinderExt.persistent_volume_template.",
            )
        )
    else:
        mount = mount_of(volume, site.proc_root)
        real = os.path.realpath(volume)
        data["mounted"] = mount is not None and mount.mount_point == real
        if mount is not None:
            data["mount"] = mount.to_json()
            data["fs_type"] = mount.fs_type
        probe = probe_writable(volume)
        writable, write_error = probe.ok, probe.error
        data["writable"] = writable
        data["write_error"] = write_error
        data["read_only"] = bool(mount and mount.read_only) or probe.errno == errno.EROFS
        data.update(_space(volume))
        if not data["mounted"]:
            holder = f" (it lies on {mount.mount_point}, {mount.fs_type})" if mount else ""
            warnings.append(
                warning(
                    "not_a_mount",
                    "warning",
                    f"{volume} is a plain folder, not a volume of its own{holder}: it may "
                    "not persist beyond this notebook.",
                )
            )
        if data["read_only"]:
            warnings.append(
                warning(
                    "read_only",
                    "error",
                    f"The persistent volume {volume} is read-only: results cannot be saved there.",
                )
            )
        elif not writable:
            warnings.append(
                warning(
                    "not_writable",
                    "error",
                    f"Cannot write to {volume}: {write_error}.",
                )
            )
        fraction = data["used_fraction"]
        if fraction is not None and fraction > site.nearly_full_fraction:
            warnings.append(
                warning(
                    "nearly_full",
                    "warning",
                    f"The persistent volume is {fraction:.0%} full ({gib(data['free'])} "
                    "free): delete what you no longer need before results fail to save.",
                    figure="used",
                )
            )
        choice = choose_instance_dir(volume, launch, user)
        instances, scan = scan_instances(volume, choice, file_limit)
        data["instances"] = instances
        data["scan"] = scan
        if scan["capped"]:
            warnings.append(
                warning(
                    "scan_capped",
                    "info",
                    f"Sizes are partial: the scan stopped after {scan['files_visited']} "
                    f"entries (at most {scan['limit']} files, {SCAN_TIME_LIMIT:g} s and "
                    f"{MAX_LISTED_INSTANCES} folders are looked at).",
                )
            )
        data["instance_dir"] = {
            "name": choice.name,
            "path": str(choice.path),
            "exists": choice.exists,
            "skipped_names": list(choice.skipped),
        }
        data["link"] = describe_link(site, choice.path, volume)
        if data["link"]["blocked"]:
            warnings.append(
                warning(
                    "link_blocked",
                    "warning",
                    f"{data['link']['path']} is a real file or folder, so no link to the "
                    "instance folder can be made there; rename it, or set "
                    "c.BinderExt.instance_link_name.",
                )
            )
    target = (
        f"this instance's folder {data['instance_dir']['path']}"
        if data["instance_dir"]
        else "the persistent volume"
    )
    warnings.append(
        warning(
            "inactivity",
            "info",
            f"Notebooks are deleted after {in_days(site.inactivity_timeout)} of inactivity, "
            f"with every file outside the persistent volume: keep your work in {target}.",
        )
    )
    return data


# -- creating the folder and the link -----------------------------------------------------


def create_instance_dir(site: SiteConfig, launch: LaunchInfo) -> dict[str, Any]:
    """``POST binder/api/persistence/instance-dir``: the folder (idempotent) and the link."""
    user, _source = volume_user(launch)
    volume = volume_path(site, user)
    if not volume.exists():
        raise NotFound(
            f"The persistent volume {volume} does not exist, so no instance folder can be "
            "made on it. Ask the site's administrators, or check "
            "c.BinderExt.persistent_volume_template.",
            reason="volume_missing",
            path=str(volume),
        )
    if not volume.is_dir():
        raise Conflict(f"{volume} is not a folder.", reason="volume_not_a_folder", path=str(volume))
    mount = mount_of(volume, site.proc_root)
    if mount is not None and mount.read_only:
        raise Conflict(
            f"The persistent volume {volume} is mounted read-only: no folder can be made on it.",
            reason="volume_read_only",
            path=str(volume),
        )
    choice, created = make_instance_dir(volume, launch, user)
    try:
        link, link_created = make_link(site, choice.path, volume)
    except BinderError as err:
        # The folder stays (it is marked as this instance's); say so, then what failed.
        done = f"Created {choice.path}, but" if created else f"{choice.path} exists, but"
        err.message = f"{done} no link to it was made: {err.message}"
        err.details["done"] = {"folder_created": created, "folder": str(choice.path)}
        raise
    git_excluded = exclude_from_git(site.repo_path(), link["name"])
    data = read_persistence(site, launch)
    parts = [
        f"Created {choice.path}." if created else f"{choice.path} already exists.",
        f"Linked it as {link['name']} in the server's root folder."
        if link_created
        else f"The link {link['name']} already points to it.",
    ]
    data["action"] = {
        "created": created,
        "link_created": link_created,
        "git_excluded": git_excluded,
        "message": " ".join(parts),
    }
    return data


# -- text for the magics and the CLI ------------------------------------------------------


def describe_persistence(data: dict[str, Any]) -> str:
    lines = [f"Persistent volume: {data['path']}"]
    if data["exists"] and data["is_dir"]:
        kind = f"a mount of its own ({data['fs_type']})" if data["mounted"] else "a plain folder"
        access = "writable" if data["writable"] else "NOT writable"
        lines.append(f"  {kind}, {access}")
        if data["total"] is not None:
            lines.append(
                f"  {gib(data['used'])} used of {gib(data['total'])}, {gib(data['free'])} free"
            )
    instance = data.get("instance_dir")
    if instance:
        state = "exists" if instance["exists"] else "not created yet (`--create` makes it)"
        lines.append(f"This instance's folder: {instance['path']} ({state})")
    link = data.get("link")
    if link and link["points_to_instance"]:
        lines.append(f"Link in the file browser: {link['browser_path']}")
    if data["instances"]:
        lines.append("Instance folders on the volume:")
        for item in data["instances"]:
            mark = "*" if item["is_current"] else " "
            size = gib(item["size"]) + ("" if item["size_complete"] else "+")
            changed = moment(item["modified"]) if item["modified"] else "?"
            lines.append(f" {mark} {item['name']}  {size}  changed {changed}")
    action = data.get("action")
    if action:
        lines.append(action["message"])
    for item in data["warnings"]:
        lines.append(f"{item['level'].upper()}: {item['message']}")
    return "\n".join(lines)
