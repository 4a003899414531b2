"""``POST work/save {"to": "persistent"}``: copy the work to this instance's folder.

Synchronous (the service runs it off the event loop). A copy never replaces a different file
unless asked to (``overwrite``). A failure half-way says what was done.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.common.readable import byte_size
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, NotFound
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.instance_dirs import make_instance_dir
from jupyter_binder_ext.persistence.volume import volume_user
from jupyter_binder_ext.work.answers import CopiedFile, SaveAnswer, SkippedFile
from jupyter_binder_ext.work.private import held_back_text
from jupyter_binder_ext.work.scan import Layout, locate
from jupyter_binder_ext.work.selection import MAX_SAVE_FILES, Item, Selection, chosen, everything
from jupyter_binder_ext.work.volume_copy import (
    Copied,
    Destination,
    NotCopied,
    copy_file,
    open_folder,
)


@dataclass
class Made:
    """What the save created before copying, for every message (a failure's too)."""

    folder: Path
    folder_created: bool
    link: str | None = None  # the link's path for the file browser, when this save made it
    link_note: str = ""  # why no link was made

    def text(self) -> str:
        if not self.folder_created:
            return ""
        if self.link:
            return f"Created {self.folder} and the link {self.link} to it in your files."
        return f"Created {self.folder}." + (f" {self.link_note}" if self.link_note else "")


# Saves run side by side (two tabs, the save pool's threads): the first ones must agree on
# one instance folder, not each make its own ("o-r-ab12cd34" and "o-r-ab12cd34-2").
_FOLDER_LOCK = threading.Lock()


def _make_folder_and_link(site: SiteConfig, launch: LaunchInfo, volume: Path) -> Made:
    from jupyter_binder_ext.persistence.instance_dirs import exclude_from_git, make_link

    user, _source = volume_user(launch)
    with _FOLDER_LOCK:
        choice, created = make_instance_dir(volume, launch, user)
    made = Made(choice.path, created)
    if not created:
        return made
    # The first save also makes the folder reachable from the file browser.
    try:
        link, link_created = make_link(site, choice.path, volume)
    except BinderError as err:
        made.link_note = f"No link to it was made in your files: {err.message}"
        return made
    if link_created:
        made.link = str(link.get("browser_path") or link.get("name"))
        exclude_from_git(site.repo_path(), str(link["name"]))
    return made


@dataclass
class _Copies:
    """What the copies of one save did, file by file."""

    copied: list[CopiedFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    used: int = 0  # bytes copied, against the cap


def save_to_persistent(
    site: SiteConfig,
    launch: LaunchInfo,
    home: Path,
    paths: list[str] | None,
    overwrite: bool,
    max_files: int = MAX_SAVE_FILES,
) -> SaveAnswer:
    layout = locate(site, launch, home)
    if layout.volume is None or not layout.volume.is_dir():
        raise NotFound(
            layout.volume_message or "There is no persistent volume to save to.",
            reason="volume_missing",
        )
    selection = everything(layout) if paths is None else chosen(layout, site.repo_path(), paths)
    made = _make_folder_and_link(site, launch, layout.volume)
    cap = site.max_save_bytes if site.max_save_bytes > 0 else None
    tried = selection.items[:max_files]
    try:
        folder_fd = open_folder(made.folder)
    except OSError as err:
        raise _not_opened(err, made) from err
    into = Destination(folder_fd, made.folder, overwrite, _approval(layout, site.repo_path()))
    copies = _Copies(skipped=list(selection.skipped))
    try:
        _copy_all(tried, into, cap, made, copies)
    except _CopyFailed as failed:
        left = len(selection.items) - failed.index - 1
        item = tried[failed.index]
        raise _failed_after(failed.err, item, made, copies, left) from failed.err
    finally:
        os.close(folder_fd)
    return _copy_answer(made, selection, copies, cap, max_files)


class _CopyFailed(Exception):
    """A copy's OSError, with the index of the file it stopped at."""

    def __init__(self, err: OSError, index: int) -> None:
        super().__init__(str(err))
        self.err = err
        self.index = index


def _copy_all(
    items: list[Item], into: Destination, cap: int | None, made: Made, copies: _Copies
) -> None:
    """Copy `items` in order into `copies`, within `cap` bytes; stops at the first OSError."""
    for index, item in enumerate(items):
        room = None if cap is None else cap - copies.used
        try:
            outcome = copy_file(item.source, item.target, into, room)
        except OSError as err:
            raise _CopyFailed(err, index) from err
        if isinstance(outcome, Copied):
            copies.used += outcome.size
            copies.copied.append({"path": item.path, "size": outcome.size})
        else:
            copies.skipped.append(_skipped(item, outcome, cap, room))


def _copy_answer(
    made: Made, selection: Selection, copies: _Copies, cap: int | None, max_files: int
) -> SaveAnswer:
    """The answer of a save to the volume, with its sentences."""
    not_tried = max(len(selection.items) - max_files, 0)
    message = _copy_message(made, copies.copied, copies.skipped, cap)
    message += held_back_text(selection.held_back, [])
    if not_tried:
        message += (
            f" {not_tried} more file{'s' if not_tried != 1 else ''} not tried (at most "
            f"{max_files} a save): save again to go on."
        )
    if selection.incomplete:
        message += (
            f" Not every file could be looked at ({selection.incomplete}): there may be more."
        )
    return {
        "to": "persistent",
        "ok": not not_tried and not selection.incomplete and not _failures(copies.skipped),
        "message": message,
        "folder": str(made.folder),
        "created_folder": made.folder_created,
        "copied": copies.copied,
        "skipped": copies.skipped,
        "held_back": selection.held_back,
        "commit": None,
        "push": None,
        "new_branch": None,
        "left_uncommitted": [],
        "created_link": made.link,
        "not_tried": not_tried,
    }


def _approval(layout: Layout, server_root: Path) -> Callable[[str], str | None]:
    """The check of each file as it is opened for its copy: chosen, then swapped for a link
    (a folder above it made a link to .git, say), it would be another file."""
    roots = [os.path.realpath(p) for p in (layout.repo, server_root, layout.outside_root) if p]
    volume = os.path.realpath(layout.volume) if layout.volume else None

    def approve(real: str) -> str | None:
        if not real:
            return None
        if (volume and is_inside(real, volume)) or not any(is_inside(real, r) for r in roots):
            return "It was replaced by a link out of the project while the save ran: not copied."
        refusal = layout.rule.check(real, named=True)
        if refusal is not None:
            return (
                f"While the save ran, a link made it {refusal.message}: not copied, it never "
                "leaves."
            )
        return None

    return approve


def _failures(skipped: list[SkippedFile]) -> list[SkippedFile]:
    """What was asked for and is not on the volume: all but "same" (already there) and
    "not_a_file" (links and special files, never copied by design, and said so)."""
    return [s for s in skipped if s["reason"] not in ("same", "not_a_file")]


def _skipped(item: Item, outcome: NotCopied, cap: int | None, room: int | None) -> SkippedFile:
    message = outcome.message
    if outcome.reason == "too_large" and cap is not None and room is not None:
        message = _too_large_message(outcome.size, cap, room)
    return {"path": item.path, "reason": outcome.reason, "message": message}


def _too_large_message(size: int, cap: int, room: int) -> str:
    if size > cap:
        return (
            f"It holds {_amount(size)}, more than one save may copy ({_amount(cap)}); the "
            "site's administrators can raise c.BinderExt.max_save_bytes."
        )
    return (
        f"It holds {_amount(size)}; this save had {_amount(room)} left of the "
        f"{_amount(cap)} a save may copy. Save again to copy it."
    )


def _amount(size: int) -> str:
    return byte_size(size)


def _not_opened(err: OSError, made: Made) -> BinderError:
    created = made.text()
    return Conflict(
        (created + " " if created else "")
        + f"Could not open {made.folder} to copy into it ({_why(err)}); nothing was copied.",
        reason="copy_failed",
        folder=str(made.folder),
        created_folder=made.folder_created,
        created_link=made.link,
    )


def _why(err: OSError) -> str:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the volume is full or over quota"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "the volume is read-only"
    if err.errno in (errno.ELOOP, errno.ENOTDIR):
        return "it is a link or a file, not a folder"
    return err.strerror or str(err)


def _failed_after(err: OSError, item: Item, made: Made, copies: _Copies, left: int) -> BinderError:
    copied, skipped = copies.copied, copies.skipped
    done = f"{len(copied)} file{'s' if len(copied) != 1 else ''} copied before it"
    if skipped:
        done += f", {len(skipped)} skipped"
    created = made.text()
    return Conflict(
        (created + " " if created else "")
        + f"Copying {item.path} to {made.folder} failed ({_why(err)}); {done}, the rest ({left}) "
        "not tried.",
        reason="copy_failed",
        folder=str(made.folder),
        created_folder=made.folder_created,
        created_link=made.link,
        failed=item.path,
        copied=copied,
        skipped=skipped,
        not_tried=left,
    )


# A few words for each reason, in the save's message (the answer's skipped says more).
_WHY_SKIPPED: dict[str, str] = {
    "missing": "gone",
    "not_a_file": "a link or not a plain file",
    "blocked": "something in the way",
    "changed_during_copy": "it changed while it was copied",
    "bad_name": "its name is not UTF-8",
    "nested_repository": "a repository of its own",
}


def _copy_message(
    made: Made, copied: list[CopiedFile], skipped: list[SkippedFile], cap: int | None
) -> str:
    folder = made.folder
    parts = [made.text()]
    if copied:
        parts.append(f"Copied {len(copied)} file{'s' if len(copied) != 1 else ''} to {folder}.")
    elif not skipped:
        parts.append("Nothing to copy: no changed files.")
    kept = [s for s in skipped if s["reason"] == "differs"]
    same = [s for s in skipped if s["reason"] == "same"]
    large = [s for s in skipped if s["reason"] == "too_large"]
    other = [s for s in skipped if s["reason"] not in ("differs", "same", "too_large")]
    if same:
        parts.append(f"{len(same)} already there unchanged.")
    if kept:
        parts.append(
            f"{len(kept)} not copied because a different file is there "
            f"({', '.join(s['path'] for s in kept[:5])}); save with overwrite to replace."
        )
    if large and cap is not None:
        parts.append(_over_cap(large, cap))
    if other:
        why = [_WHY_SKIPPED.get(s["reason"], s["reason"]) for s in other[:5]]
        named = ", ".join(f"{s['path']}: {words}" for s, words in zip(other, why))
        parts.append(f"{len(other)} skipped ({named}).")
    return " ".join(p for p in parts if p)


def _over_cap(large: list[SkippedFile], cap: int) -> str:
    return (
        f"{len(large)} not copied ({', '.join(s['path'] for s in large[:5])}): a save copies at "
        f"most {_amount(cap)}. Save again to copy more; for a file larger than that, the "
        "site's administrators can raise c.BinderExt.max_save_bytes (0: no cap)."
    )
