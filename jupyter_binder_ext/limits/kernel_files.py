"""Kernel files read again and again through descriptors kept open.

Every limits answer reads the same dozen cgroup and ``/proc`` files. They are kernel memory,
not disk: the cost of reading one is mostly opening it (path lookup, a Python file object),
several times the read itself. An open descriptor read again from offset 0 (``pread``) makes
the kernel produce the file anew, as a fresh open would. A descriptor is opened again when
its file went away or was replaced (a removed cgroup, a test's file tree rewritten), and at
most :data:`MAX_OPEN` are kept.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import OrderedDict
from pathlib import Path

MAX_OPEN = 64
READ_SIZE = 64 * 1024  # memory.stat is the largest read here: under 2 KiB


class KernelFiles:
    def __init__(self, max_open: int = MAX_OPEN) -> None:
        self._open: OrderedDict[str, int] = OrderedDict()
        self._max_open = max_open
        self._lock = threading.Lock()

    def read(self, path: Path | str) -> str | None:
        """The file's text now; None when it cannot be read."""
        key = str(path)
        for _ in range(2):  # a stale descriptor is dropped and the file opened once more
            fd = self._kept(key)
            if fd is None:
                return self._open_and_read(key)
            try:
                if os.fstat(fd).st_nlink == 0:  # replaced or removed since it was opened
                    raise FileNotFoundError(key)
                return os.pread(fd, READ_SIZE, 0).decode("utf-8", errors="replace")
            except OSError:
                self._forget(key, fd)
        return None

    def close(self) -> None:
        with self._lock:
            while self._open:
                os.close(self._open.popitem()[1])

    def _kept(self, key: str) -> int | None:
        with self._lock:
            fd = self._open.get(key)
            if fd is not None:
                self._open.move_to_end(key)
            return fd

    def _open_and_read(self, key: str) -> str | None:
        """Open `key` (outside the lock: a pipe waits for its writer), read it, and keep the
        descriptor of a regular file; a pipe or device is read to its end once, not kept."""
        try:
            fd = os.open(key, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return _read_to_end(fd)
            text = os.pread(fd, READ_SIZE, 0).decode("utf-8", errors="replace")
        except OSError:
            os.close(fd)
            return None
        self._keep(key, fd)
        return text

    def _keep(self, key: str, fd: int) -> None:
        with self._lock:
            if key in self._open:  # another thread kept one meanwhile
                os.close(fd)
                return
            self._open[key] = fd
            if len(self._open) > self._max_open:
                os.close(self._open.popitem(last=False)[1])

    def _forget(self, key: str, fd: int) -> None:
        with self._lock:
            if self._open.get(key) == fd:
                del self._open[key]
                os.close(fd)


def _read_to_end(fd: int) -> str:
    """All a pipe gives until its writer closes it; the descriptor is closed."""
    with os.fdopen(fd, "rb") as stream:
        return stream.read(READ_SIZE).decode("utf-8", errors="replace")


# One per process: the server reads its own cgroup's files (a test, many trees; MAX_OPEN caps).
KERNEL_FILES = KernelFiles()
