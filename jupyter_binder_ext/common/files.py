"""Reading and writing the small files of the user's tree and volume, safely.

Every file the extension reads or writes in a place the user (or a cloned repository)
controls goes through here: ``.resources``, the instance markers, git's exclude file, the
ssh config, the pinned known_hosts and the private key copy. The rules:

* only regular files: a FIFO, socket or device is refused, and is opened ``O_NONBLOCK`` so
  that even a FIFO swapped in at the last moment cannot block the reader;
* links: a file that is a symbolic link is refused (``links="never"``), or followed only when
  its real target stays inside the folder the file belongs to (``links="within"``: Kubernetes
  mounts secrets as links into a hidden sub-folder of the mount); a write never goes through
  a link, it is refused;
* hard links: a file with more than one name is refused where its bytes are shown or
  published (``hard_links="refuse"``: ``.resources``, whose text the panel shows and a
  relaunch commits), since its other name may be a private key the user hard-linked to it.
  Files read only for the extension's own use (the key pair, markers, ssh config,
  known_hosts, git's exclude) accept one: they are parsed or used as what their name says,
  never handed out, and backups or images made with hard links must not break them;
* a size cap, checked before reading and while reading (the file may grow);
* one atomic writer: a temporary file in the same folder, fsync'd, renamed over the name,
  and the folder fsync'd; the file's mode is kept.

The caller runs these in a worker thread (they are plain blocking I/O).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.errors import BinderError, Conflict, Forbidden

LinkPolicy = Literal["never", "within"]
HardLinkPolicy = Literal["allow", "refuse"]

# The most any of these files may hold unless the caller says otherwise.
DEFAULT_LIMIT = 1024 * 1024

_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class UnsafeFile(Conflict):
    """The file is not a plain regular file the extension may use; it was not touched.

    ``reason`` is one of ``symlink``, ``link_outside``, ``hard_link``, ``not_regular``,
    ``too_large``.
    """

    code = "unsafe_file"


class WriteFailed(BinderError):
    """The file system refused the write (other than permissions); the file is unchanged."""

    status = 500
    code = "write_failed"


class NoSpace(WriteFailed):
    """The file system is full (or the user over quota); the file is unchanged."""

    status = 507
    code = "no_space"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def describe_link(path: Path) -> str:
    """Where a link points, for messages (its text, never what it points to)."""
    try:
        return str(path.readlink())
    except OSError:
        return "?"


@contextlib.contextmanager
def _folder_fd(folder: Path) -> Iterator[int]:
    fd = os.open(folder, _DIR_FLAGS)
    try:
        yield fd
    finally:
        os.close(fd)


def _resolve(path: Path, links: LinkPolicy) -> tuple[Path, str]:
    """(the folder to open, the name in it) after applying the link policy."""
    folder, name = path.parent, path.name
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return folder, name
    if not stat.S_ISLNK(st.st_mode):
        return folder, name
    if links == "never":
        raise UnsafeFile(
            f"{path} is a symbolic link (to {describe_link(path)}); the extension neither "
            "reads nor writes through links. Replace it with a regular file.",
            reason="symlink",
            path=str(path),
        )
    real = os.path.realpath(path)
    if not is_inside(real, os.path.realpath(folder)):
        raise UnsafeFile(
            f"{path} is a link to {describe_link(path)}, outside {folder}; it is not followed.",
            reason="link_outside",
            path=str(path),
        )
    return Path(real).parent, Path(real).name


def read_bytes(
    path: Path | str,
    *,
    limit: int = DEFAULT_LIMIT,
    links: LinkPolicy = "never",
    hard_links: HardLinkPolicy = "allow",
) -> bytes | None:
    """The file's bytes, or None when it does not exist.

    Raises :class:`UnsafeFile` for a link (see `links`), a file with other names (see
    `hard_links`), anything but a regular file, or a file over `limit` bytes; OSError for
    the rest (permissions, I/O).
    """
    path = Path(path)
    folder, name = _resolve(path, links)
    fd = _open_in(folder, name, path)
    if fd is None:
        return None
    try:
        _check_open_file(fd, path, limit, hard_links)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb", buffering=0) as handle:
        return _read_at_most(handle, path, limit)


def _open_in(folder: Path, name: str, path: Path) -> int | None:
    """`name` in `folder` opened for reading without following a link; None when absent."""
    try:
        with _folder_fd(folder) as dir_fd:
            try:
                return os.open(name, _READ_FLAGS, dir_fd=dir_fd)
            except OSError as err:
                if err.errno == errno.ELOOP:  # became a link after we looked
                    raise UnsafeFile(
                        f"{path} is a symbolic link; it is not followed.",
                        reason="symlink",
                        path=str(path),
                    ) from err
                if err.errno == errno.ENXIO:  # a socket
                    raise _not_regular(path, stat.S_IFSOCK) from err
                raise
    except FileNotFoundError:
        return None


def _check_open_file(fd: int, path: Path, limit: int, hard_links: HardLinkPolicy) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, st.st_mode)
    # Checked on the open file: a link made after the check leaves these bytes the
    # file's own, and the other name of a link made before is seen here.
    if hard_links == "refuse" and st.st_nlink > 1:
        raise _hard_link(path, st.st_nlink)
    if st.st_size > limit:
        raise _too_large(path, st.st_size, limit)


def _read_at_most(handle: BinaryIO, path: Path, limit: int) -> bytes:
    # The size was checked, but a file can grow while it is read.
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = handle.read(min(65536, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _too_large(path, total, limit)
    return b"".join(chunks)


def read_text(
    path: Path | str,
    *,
    limit: int = DEFAULT_LIMIT,
    links: LinkPolicy = "never",
    hard_links: HardLinkPolicy = "allow",
) -> str | None:
    """:func:`read_bytes` as UTF-8 text (undecodable bytes replaced)."""
    data = read_bytes(path, limit=limit, links=links, hard_links=hard_links)
    return None if data is None else data.decode("utf-8", errors="replace")


def _not_regular(path: Path, mode: int) -> UnsafeFile:
    return UnsafeFile(
        f"{path} is {_kind(mode)}, not a regular file; it was left alone.",
        reason="not_regular",
        path=str(path),
    )


def _hard_link(path: Path, names: int) -> UnsafeFile:
    return UnsafeFile(
        f"{path} is a hard link: the same file has {names - 1} other name"
        f"{'s' if names > 2 else ''} elsewhere (perhaps a key or another private file), so "
        "the extension does not read it. Replace it with a file of its own: remove this "
        "name and write the file anew.",
        reason="hard_link",
        path=str(path),
        links=names,
    )


def _too_large(path: Path, size: int, limit: int) -> UnsafeFile:
    return UnsafeFile(
        f"{path} is larger than {limit} bytes ({size} or more), far more than such a file "
        "ever needs; it was not read.",
        reason="too_large",
        path=str(path),
        size=size,
        limit=limit,
    )


def check_writable_name(path: Path | str) -> None:
    """Raise :class:`UnsafeFile` when `path` exists as anything but a regular file."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeFile(
            f"{path} is a symbolic link (to {describe_link(path)}); the extension never "
            "writes through links, so it was left unchanged. Replace it with a regular file.",
            reason="symlink",
            path=str(path),
        )
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, st.st_mode)


def default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path | str, data: bytes | str, *, mode: int | None = None) -> None:
    """Replace the file with `data` in one step: readers see the old or the new bytes.

    The file keeps its mode (or gets `mode` when given; new files get the umask's default).
    A link or a non-regular file at `path` raises :class:`UnsafeFile` and nothing is written.
    Permission and read-only errors raise :class:`Forbidden`, others :class:`WriteFailed`;
    either way the file is unchanged and no temporary file is left.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    check_writable_name(path)
    tmp_name = f".{path.name}.{secrets.token_hex(4)}.tmp"
    dir_fd: int | None = None
    created = False
    try:
        dir_fd = _open_parent(path)
        if mode is None:
            mode = _mode_of(path.name, dir_fd)
        _write_new(tmp_name, dir_fd, payload, mode)
        created = True
        # Looked at again just before the rename: a link swapped in meanwhile is refused.
        check_writable_name(path)
        os.rename(tmp_name, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        created = False
        with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
            os.fsync(dir_fd)
    except OSError as err:
        raise _write_error(path, err) from err
    finally:
        if created and dir_fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name, dir_fd=dir_fd)
        if dir_fd is not None:
            os.close(dir_fd)


def _open_parent(path: Path) -> int:
    try:
        # The folder itself is no link either: a repository can ship `.ssh` as a link
        # to anywhere (git stores links), and the key copy must not follow it.
        return os.open(path.parent, _DIR_FLAGS | os.O_NOFOLLOW)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR) and path.parent.is_symlink():
            raise UnsafeFile(
                f"{path.parent} is a symbolic link (to {describe_link(path.parent)}); the "
                f"extension never writes through links, so {path.name} was not written "
                "there. Replace the link with a folder.",
                reason="symlink",
                path=str(path.parent),
            ) from None
        raise


def _mode_of(name: str, dir_fd: int) -> int:
    try:
        return stat.S_IMODE(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return default_file_mode()


def _write_new(name: str, dir_fd: int, payload: bytes, mode: int) -> None:
    """A new file `name` (never an existing one, never through a link), synced to disk;
    removed again when writing it fails (a full disk), so no half-written file is left."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fchmod(fd, mode)
            os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)
        raise


def _write_error(path: Path, err: OSError) -> BinderError:
    reason = err.strerror or str(err)
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Forbidden(
            f"Cannot write {path}: {reason}. The folder is read-only for this server; "
            "the file was not changed.",
            path=str(path),
        )
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return NoSpace(
            f"Cannot write {path}: the disk is full or over quota. The file was not "
            "changed; free some space and try again.",
            path=str(path),
        )
    return WriteFailed(f"Cannot write {path}: {reason}. The file was not changed.", path=str(path))
