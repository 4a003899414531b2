"""The one walk of a folder tree: bounded, and never through a link.

A folder the user fills (the persistent volume, the home folder) may hold millions of
entries, sit on a slow network volume, or hold a link to ``/``. Every walk in the package
goes through :class:`Walk`: entries come one at a time, a folder is entered only when the
caller asks (and never when it is a link), and a :class:`WalkBudget` stops it after a number
of entries or seconds, which it then says (``complete`` is False).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

# The clock is read once per this many entries: a cheap check, and a slow volume still
# stops within a few hundred entries of its deadline.
CLOCK_EVERY = 256


@dataclass
class WalkBudget:
    """Entries the walks sharing it may still visit, and until when (``time.monotonic``)."""

    limit: int
    deadline: float | None = None
    visited: int = 0
    spent: bool = field(default=False, init=False)

    @classmethod
    def lasting(cls, limit: int, seconds: float | None) -> WalkBudget:
        """A budget of `limit` entries and, unless None, `seconds` from now."""
        return cls(limit, None if seconds is None else time.monotonic() + seconds)

    def take(self) -> bool:
        """One more entry; False (for good) once the count or the time is spent."""
        if self.spent or self.visited >= self.limit:
            self.spent = True
            return False
        self.visited += 1
        if (
            self.deadline is not None
            and self.visited % CLOCK_EVERY == 0
            and time.monotonic() > self.deadline
        ):
            self.spent = True
        return True


class Walk:
    """The entries below `root` (not `root` itself), one folder after the other.

    Only the folders passed to :meth:`enter` are listed in turn; `sort` lists each folder
    by name (it then reads a whole folder at once). A folder that cannot be listed goes in
    `unreadable` (one removed meanwhile is simply passed over); `complete` turns False when
    the budget stopped the walk.
    """

    def __init__(self, root: str | os.PathLike[str], budget: WalkBudget, *, sort: bool = False):
        self.budget = budget
        self.sort = sort
        self.complete = True
        self.unreadable: list[tuple[str, OSError]] = []
        self._stack = [os.fspath(root)]

    def enter(self, entry: os.DirEntry[str]) -> bool:
        """List `entry` later if it is a folder itself (a link to one never is)."""
        try:
            is_folder = entry.is_dir(follow_symlinks=False)
        except OSError:
            return False
        if is_folder:
            self._stack.append(entry.path)
        return is_folder

    def __iter__(self) -> Iterator[os.DirEntry[str]]:
        while self._stack:
            folder = self._stack.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=_name) if self.sort else listing
                    for entry in entries:
                        if not self.budget.take():
                            self.complete = False
                            return
                        yield entry
            except FileNotFoundError:
                continue  # removed while the walk ran: nothing left there
            except OSError as err:
                self.unreadable.append((folder, err))


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name
