"""This instance's own folder on the persistent volume, and its link in the server's root.

Each instance gets a folder named after the repository and the server, marked with a small
ownership file so that no other instance adopts it. A link in the server's root folder makes
that folder reachable from the file browser (the volume lies outside the root).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.files import UnsafeFile, read_text, write_atomic
from jupyter_binder_ext.common.git_runner import GitFailed, run_git
from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, Forbidden, InvalidInput, NotFound
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.answers import InstanceLink

MARKER_NAME = ".binder-instance.json"
# A marker is a few hundred bytes; git's exclude file a few lines.
MARKER_MAX_BYTES = 64 * 1024
EXCLUDE_MAX_BYTES = 1024 * 1024
NAME_MAX_LENGTH = 64
# How many suffixed names (-2, -3, ...) to try before giving up on a free one.
MAX_NAME_SUFFIX = 100

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_DOT_RUNS = re.compile(r"\.{2,}")
_DASH_RUNS = re.compile(r"-{2,}")


# -- names --------------------------------------------------------------------------------


def sanitize_name(raw: str, max_length: int = NAME_MAX_LENGTH) -> str:
    """A single safe path component: ``[A-Za-z0-9._-]``, starting and ending with a letter or
    digit, no ``..``.

    Names cut to `max_length` keep a short hash of the full text, so two long names that
    share a prefix stay distinct.
    """
    name = _UNSAFE_CHARS.sub("-", raw)
    name = _DOT_RUNS.sub(".", name)
    name = _DASH_RUNS.sub("-", name).strip("._-")
    if not name:
        return "instance"
    if len(name) > max_length:
        digest = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        name = name[: max_length - 9].rstrip("._-") + "-" + digest
    return name


def instance_base_name(launch: LaunchInfo) -> str:
    """``owner-repo`` plus what the server name adds to it (BinderHub names servers
    ``owner-repo-xxxxxxxx``), sanitised."""
    base = "-".join(part for part in (launch.owner, launch.repo) if part)
    server = launch.server_name
    if base and server.lower().startswith(base.lower() + "-"):
        suffix = server[len(base) + 1 :]
    elif server.lower() == base.lower():
        suffix = ""
    else:
        suffix = server
    raw = "-".join(part for part in (base, suffix) if part) or "default"
    return sanitize_name(raw)


# -- the ownership marker -----------------------------------------------------------------


def _instance_identity(launch: LaunchInfo, user: str) -> dict[str, str]:
    # The marker lies on the volume, which every notebook of the user shows: never a token.
    return {"user": user, "server_name": launch.server_name, "repo_url": redact(launch.repo_url)}


def _is_ours(marker: dict[str, Any] | None, identity: dict[str, str]) -> bool:
    if marker is None:
        return False
    return all(marker.get(key) == value for key, value in identity.items())


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The ownership record inside an instance folder (None when absent or unreadable).

    Read through :mod:`..common.files`: a FIFO, device, link or oversized file there is
    not a marker (and never blocks the reader).
    """
    try:
        text = read_text(folder / MARKER_NAME, limit=MARKER_MAX_BYTES)
        data = json.loads(text) if text is not None else None
    except (OSError, ValueError, RecursionError, UnsafeFile):
        return None
    return data if isinstance(data, dict) else None


def _write_marker(folder: Path, launch: LaunchInfo, user: str) -> None:
    record = {
        **_instance_identity(launch, user),
        "owner": launch.owner,
        "repo": launch.repo,
        "created": datetime.now(timezone.utc).isoformat(),
        "written_by": "jupyter_binder_ext",
    }
    write_atomic(folder / MARKER_NAME, json.dumps(record, indent=1) + "\n")


# -- choosing and making the folder -------------------------------------------------------


def _candidate_names(base: str) -> Iterator[str]:
    yield base
    for index in range(2, MAX_NAME_SUFFIX + 1):
        yield sanitize_name(f"{base}-{index}")


@dataclass(frozen=True)
class InstanceChoice:
    name: str
    path: Path
    exists: bool  # True: the folder is there and its marker says it is this instance's
    skipped: tuple[str, ...]  # names held by other instances (or by unmarked folders)


def choose_instance_dir(volume: Path, launch: LaunchInfo, user: str) -> InstanceChoice:
    """This instance's folder: an existing one marked as ours, else the first free name.

    A folder without our marker is never adopted: it may hold another instance's data.
    """
    identity = _instance_identity(launch, user)
    base = instance_base_name(launch)
    skipped: list[str] = []
    first_free: str | None = None
    for name in _candidate_names(base):
        path = volume / name
        if not os.path.lexists(path):
            if first_free is None:
                first_free = name
            continue
        if path.is_dir() and not path.is_symlink() and _is_ours(read_marker(path), identity):
            return InstanceChoice(name, path, True, tuple(skipped))
        if first_free is None:
            skipped.append(name)
    if first_free is None:
        raise Conflict(
            f"Every folder name from {base} to {base}-{MAX_NAME_SUFFIX} on {volume} belongs "
            "to another instance; remove old instance folders you no longer need.",
            reason="no_free_name",
            path=str(volume),
        )
    return InstanceChoice(first_free, volume / first_free, False, tuple(skipped))


def _os_error(err: OSError, action: str, path: Path) -> BinderError:
    """An OSError as the specific error a user can act on."""
    details = {"path": str(path), "errno": err.errno}
    if err.errno == errno.EROFS:
        return Conflict(
            f"Cannot {action}: {path} is on a read-only file system.",
            reason="volume_read_only",
            **details,
        )
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return Conflict(
            f"Cannot {action}: the volume is full or over quota.", reason="volume_full", **details
        )
    if err.errno in (errno.EACCES, errno.EPERM):
        return Forbidden(
            f"Cannot {action}: permission denied on {path}.",
            reason="permission_denied",
            **details,
        )
    return Conflict(f"Cannot {action}: {err.strerror or err}.", reason="os_error", **details)


def make_instance_dir(volume: Path, launch: LaunchInfo, user: str) -> tuple[InstanceChoice, bool]:
    # mkdir is atomic: when another instance takes the same free name at the same moment,
    # the loser looks again and moves on to the next name.
    for _attempt in range(5):
        choice = choose_instance_dir(volume, launch, user)
        if choice.exists:
            return choice, False
        try:
            choice.path.mkdir()
        except FileExistsError:
            continue
        except OSError as err:
            raise _os_error(err, "create the instance folder", choice.path) from err
        try:
            _write_marker(choice.path, launch, user)
        except BinderError as err:
            # Leave no unmarked folder behind: it would block this name for everyone.
            (choice.path / MARKER_NAME).unlink(missing_ok=True)
            choice.path.rmdir()
            cause = err.__cause__
            if isinstance(cause, OSError):
                raise _os_error(cause, "record the instance folder's owner", choice.path) from err
            raise
        return InstanceChoice(choice.name, choice.path, True, choice.skipped), True
    raise Conflict("Another instance kept taking the same folder name; try again.", reason="race")


# -- the link in the server's root --------------------------------------------------------


def _link_name(site: SiteConfig) -> str:
    name = site.instance_link_name
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise InvalidInput(
            f"c.BinderExt.instance_link_name ({name!r}) must be a plain file name.",
            reason="bad_link_name",
        )
    return name


def describe_link(site: SiteConfig, instance_path: Path, volume: Path) -> InstanceLink:
    name = _link_name(site)
    link = site.repo_path() / name
    exists = os.path.lexists(link)
    is_symlink = exists and link.is_symlink()
    real = os.path.realpath(link) if is_symlink else ""
    return {
        "name": name,
        "path": str(link),
        # Path for the file browser / contents API: the server's root is the repository.
        "browser_path": name,
        "exists": exists,
        "is_symlink": is_symlink,
        "target": str(link.readlink()) if is_symlink else None,
        "points_to_instance": is_symlink and real == os.path.realpath(instance_path),
        # A dangling link resolves as far as it can, which still tells where it aims.
        "points_into_volume": is_symlink and is_inside(real, os.path.realpath(volume)),
        "blocked": exists and not is_symlink,
    }


def make_link(site: SiteConfig, instance: Path, volume: Path) -> tuple[InstanceLink, bool]:
    info = describe_link(site, instance, volume)
    link = Path(info["path"])
    if info["points_to_instance"]:
        return info, False
    if info["blocked"]:
        raise Conflict(
            f"{link} already exists and is a real {'folder' if link.is_dir() else 'file'}; it "
            "was left untouched. Rename or move it, or choose another link name with "
            "c.BinderExt.instance_link_name.",
            reason="link_blocked",
            path=str(link),
        )
    if info["is_symlink"] and not info["points_into_volume"]:
        raise Conflict(
            f"{link} is already a link to {info['target']}, which is not on the persistent "
            "volume; it was left untouched. Remove it, or choose another link name with "
            "c.BinderExt.instance_link_name.",
            reason="link_exists",
            path=str(link),
            target=info["target"],
        )
    if not link.parent.is_dir():
        raise NotFound(
            f"The server's root folder {link.parent} does not exist.",
            reason="root_missing",
            path=str(link.parent),
        )
    # Made under a temporary name and renamed over: an old link into the volume is
    # replaced in one step, and a real file appearing meanwhile is never clobbered
    # (rename over a directory fails).
    tmp = link.parent / f".{link.name}.binder-tmp-{os.getpid()}"
    try:
        if os.path.lexists(tmp):
            tmp.unlink()
        tmp.symlink_to(instance)
        if os.path.lexists(link) and not link.is_symlink():
            raise Conflict(
                f"{link} appeared meanwhile as a real file or folder; it was left untouched.",
                reason="link_blocked",
                path=str(link),
            )
        tmp.replace(link)
    except OSError as err:
        if os.path.lexists(tmp):
            tmp.unlink()
        raise _os_error(err, "create the link in the server's root folder", link) from err
    return describe_link(site, instance, volume), True


def exclude_from_git(root: Path, name: str) -> bool:
    """Keep the link out of `git status` (and out of commits) via ``.git/info/exclude``.

    git is run by the common runner; the exclude file is read and rewritten through
    :mod:`..common.files`, and only when it lies inside the repository's own git folder (an
    ``info`` folder or exclude file that is a link elsewhere is left alone). False when the
    line could not be added.
    """
    try:
        exclude_text = run_git(root, "rev-parse", "--git-path", "info/exclude").stdout.strip()
        common_dir = run_git(root, "rev-parse", "--git-common-dir").stdout.strip()
        prefix = run_git(root, "rev-parse", "--show-prefix").stdout.strip()
    except GitFailed:
        return False
    exclude = Path(exclude_text)
    if not exclude.is_absolute():
        exclude = root / exclude
    git_dir = Path(common_dir) if Path(common_dir).is_absolute() else root / common_dir
    pattern = "/" + prefix + name
    try:
        exclude.parent.mkdir(parents=True, exist_ok=True)
        if not is_inside(os.path.realpath(exclude.parent), os.path.realpath(git_dir)):
            return False  # info/ is a link out of the git folder: not ours to write
        text = read_text(exclude, limit=EXCLUDE_MAX_BYTES) or ""
        lines = text.splitlines()
        if pattern not in lines:
            addition = "# link to the persistent instance folder (jupyter_binder_ext)\n"
            separator = "\n" if text and not text.endswith("\n") else ""
            write_atomic(exclude, text + separator + addition + pattern + "\n")
    except (OSError, BinderError):
        return False
    return True
