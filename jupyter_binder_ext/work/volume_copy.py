"""Copy one regular file into a folder tree on the persistent volume, safely.

Every step on the volume goes through folder descriptors opened without following links,
from the instance folder down, so a link swapped in for a folder while a save runs can never
send a write elsewhere: it stops that file ("blocked"). The bytes go to a temporary file in
the target's own folder, renamed into place only once the source is known not to have
changed during the copy; the temporary file never outlives a failure. Holes of a sparse file
stay holes.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jupyter_binder_ext.work.answers import SkipReason

# The scan's own rule for "this is the copy" (size and modification time, at the precision
# the volume keeps), so a copy made here reads "same" in GET work too.
from jupyter_binder_ext.work.changes import _same_time

TEMP_PREFIX = ".binder-save-"
# A file still being written is copied again this many times in all, then reported.
COPY_TRIES = 3
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO swapped in after the check never hangs the open.
_SOURCE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_LINK_MESSAGE = "It is a link; the file it points to is not copied."


@dataclass(frozen=True)
class Copied:
    size: int


@dataclass(frozen=True)
class NotCopied:
    reason: SkipReason
    message: str
    size: int = 0  # the source's size, for "too_large"


def open_folder(folder: Path) -> int:
    """A descriptor of the instance folder (never of a link put in its place); the caller
    closes it."""
    return os.open(folder, _FOLDER_FLAGS)


def _approve_any(_real: str) -> str | None:
    return None


@dataclass(frozen=True)
class Destination:
    """The instance folder a save copies into, and what every copy into it obeys.

    `approve`: asked with the real path of the file actually opened (a folder above it may
    have become a link since the file was chosen), it gives the reason not to copy it, or
    None.
    """

    fd: int  # the folder, open (see open_folder); the caller closes it
    folder: Path  # its path, for messages only
    overwrite: bool  # replace a different file already there
    approve: Callable[[str], str | None] = _approve_any


def copy_file(source: Path, target: str, into: Destination, room: int | None) -> Copied | NotCopied:
    """Copy `source` to `target` (relative) under the folder `into`.

    `room`: the bytes this copy may take at most (None: no cap). An ``OSError`` while
    writing (volume full, read-only) is raised, with nothing of this file left on the volume.
    """
    folder = into.folder
    parts = PurePosixPath(target).parts
    if not parts or PurePosixPath(target).is_absolute() or {"..", "."} & set(parts):
        return NotCopied("blocked", f"{target!r} is not a path inside {folder}.")
    opened = _open_source(source)
    if isinstance(opened, NotCopied):
        return opened
    refused = into.approve(_opened_path(opened))
    if refused is not None:
        os.close(opened)
        return NotCopied("blocked", refused)
    try:
        parent = _open_parents(into.fd, folder, parts[:-1])
        if isinstance(parent, NotCopied):
            return parent
        try:
            shown = folder.joinpath(*parts)
            return _copy_into(opened, parent, parts[-1], shown, overwrite=into.overwrite, room=room)
        finally:
            os.close(parent)
    finally:
        os.close(opened)


def _open_source(source: Path) -> int | NotCopied:
    """The source, open for reading, when it is a regular file; else why not."""
    try:
        # Looked at before it is opened: a device is never opened at all.
        info = os.lstat(source)
        if stat.S_ISLNK(info.st_mode):
            return NotCopied("not_a_file", _LINK_MESSAGE)
        if not stat.S_ISREG(info.st_mode):
            return _special()
        handle = os.open(source, _SOURCE_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return NotCopied("missing", "It is not here any more.")
    except OSError as err:
        if err.errno == errno.ELOOP:  # made a link after the look
            return NotCopied("not_a_file", _LINK_MESSAGE)
        raise
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        return _special()
    return handle


def _opened_path(handle: int) -> str:
    """The real path of the file open as `handle`, as the kernel resolved it."""
    try:
        return str(Path(f"/proc/self/fd/{handle}").readlink())
    except OSError:  # no /proc: the path as given is all there is to go by
        return ""


def _special() -> NotCopied:
    return NotCopied("not_a_file", "It is not a plain file (a pipe, socket or device).")


def _open_parents(folder_fd: int, folder: Path, names: tuple[str, ...]) -> int | NotCopied:
    """The target's folder, each level made when missing and opened without following a
    link; a link or a file on the way blocks the copy."""
    current = os.dup(folder_fd)
    for depth, name in enumerate(names):
        try:
            step = _open_or_make(current, name)
        except OSError as err:
            os.close(current)
            if err.errno in (errno.ELOOP, errno.ENOTDIR):
                way = folder.joinpath(*names[: depth + 1])
                return NotCopied(
                    "blocked", f"{way} is in the way (a file or a link, not a folder)."
                )
            raise
        os.close(current)
        current = step
    return current


def _open_or_make(parent: int, name: str) -> int:
    try:
        return os.open(name, _FOLDER_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        pass
    # Made by another save at the same moment: fine, it is opened the same way.
    with suppress(FileExistsError):
        os.mkdir(name, dir_fd=parent)
    return os.open(name, _FOLDER_FLAGS, dir_fd=parent)


def _copy_into(
    source: int, parent: int, name: str, shown: Path, *, overwrite: bool, room: int | None
) -> Copied | NotCopied:
    before = os.fstat(source)
    try:
        there = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        there = None
    if there is not None:
        if not stat.S_ISREG(there.st_mode):
            return NotCopied("blocked", f"{shown} is not a plain file; it was left as it is.")
        if there.st_size == before.st_size and _same_time(before.st_mtime_ns, there.st_mtime_ns):
            return NotCopied("same", "Already there, unchanged.")
        if not overwrite:
            return NotCopied(
                "differs",
                f"A different {name} is already there; it was kept. Save with overwrite to "
                "replace it.",
            )
    for _try in range(COPY_TRIES):
        # The apparent size counts, holes included: what the user sees in the file browser,
        # and what the copy takes where the volume's file system cannot keep holes.
        if room is not None and before.st_size > room:
            return NotCopied("too_large", "Over what this save may copy.", before.st_size)
        try:
            if _copy_once(source, parent, name, before):
                return Copied(before.st_size)
        except IsADirectoryError:  # a folder made under that name since the look above
            return NotCopied("blocked", f"{shown} is a folder; it was left as it is.")
        before = os.fstat(source)
    return NotCopied(
        "changed_during_copy",
        f"It changed while it was being copied ({COPY_TRIES} tries); nothing was replaced. "
        "Save again once it is no longer being written.",
    )


def _copy_once(source: int, parent: int, name: str, before: os.stat_result) -> bool:
    """One copy through a temporary file; False (and nothing left) when the source changed
    meanwhile. The temporary file is removed on any failure."""
    temporary = TEMP_PREFIX + secrets.token_hex(8)
    handle = os.open(temporary, _TEMP_FLAGS, 0o600, dir_fd=parent)
    placed = False
    try:
        try:
            _copy_data(source, handle, before.st_size)
            os.fchmod(handle, stat.S_IMODE(before.st_mode) & 0o777)
            # The source's times, as shutil.copy2 kept them: how the scan knows the copy.
            os.utime(handle, ns=(before.st_atime_ns, before.st_mtime_ns))
        finally:
            os.close(handle)
        if not _unchanged(before, os.fstat(source)):
            return False
        # Inside the folder held open: a link swapped in for it meanwhile changes nothing.
        os.rename(temporary, name, src_dir_fd=parent, dst_dir_fd=parent)
        placed = True
        return True
    finally:
        if not placed:
            with suppress(OSError):
                os.unlink(temporary, dir_fd=parent)


def _unchanged(before: os.stat_result, after: os.stat_result) -> bool:
    # ctime too: a write that puts the modification time back still moves it.
    return (before.st_size, before.st_mtime_ns, before.st_ctime_ns) == (
        after.st_size,
        after.st_mtime_ns,
        after.st_ctime_ns,
    )


def _copy_data(source: int, target: int, size: int) -> None:
    """The first `size` bytes of `source`, its holes left as holes (copy_file_range and
    sendfile fill them in on ext4: each data stretch is found with SEEK_DATA/SEEK_HOLE)."""
    offset = 0
    while offset < size:
        try:
            start = os.lseek(source, offset, os.SEEK_DATA)
            end = os.lseek(source, start, os.SEEK_HOLE)
        except OSError as err:
            if err.errno == errno.ENXIO:  # a hole up to the end (or the file shrank)
                break
            if err.errno != errno.EINVAL:
                raise
            start, end = offset, size  # no hole-finding on this file system: all of it
        end = min(end, size)
        if start >= end:
            break
        if not _send(source, target, start, end - start):
            break  # shorter than it was: the check after the copy sees it
        offset = end
    # The holes between stretches and at the end.
    os.ftruncate(target, size)


def _send(source: int, target: int, offset: int, count: int) -> bool:
    """`count` bytes at `offset` to the same place in `target`; False when the source ended
    first."""
    os.lseek(target, offset, os.SEEK_SET)
    while count > 0:
        sent = os.sendfile(target, source, offset, count)
        if sent == 0:
            return False
        offset += sent
        count -= sent
    return True
