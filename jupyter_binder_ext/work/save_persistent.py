"""``POST work/save {"to": "persistent"}``: copy the work to this instance's folder.

Synchronous (the service runs it off the event loop). A copy never replaces a different file
unless asked to (``overwrite``). A failure half-way says what was done.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, NotFound
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.instance_dirs import make_instance_dir
from jupyter_binder_ext.persistence.volume import volume_user
from jupyter_binder_ext.work.answers import CopiedFile, SaveAnswer, SkippedFile
from jupyter_binder_ext.work.changes import on_volume
from jupyter_binder_ext.work.scan import locate
from jupyter_binder_ext.work.selection import Item, chosen, everything



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


def _make_folder_and_link(site: SiteConfig, launch: LaunchInfo, volume: Path) -> Made:
    from jupyter_binder_ext.persistence.instance_dirs import exclude_from_git, make_link

    user, _source = volume_user(launch)
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
    folder = made.folder
    copied: list[CopiedFile] = []
    skipped: list[SkippedFile] = list(selection.skipped)
    tried = selection.items[:max_files]
    not_tried = len(selection.items) - len(tried)
    for item in tried:
        try:
            outcome = _copy(item, folder, overwrite)
        except OSError as err:
            raise _failed_after(err, item, made, copied, skipped, len(selection.items)) from err
        if isinstance(outcome, int):
            copied.append({"path": item.path, "size": outcome})
        else:
            skipped.append(outcome)
    message = _copy_message(made, copied, skipped)
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
        "ok": not not_tried and not selection.incomplete,
        "message": message,
        "folder": str(folder),
        "created_folder": made.folder_created,
        "copied": copied,
        "skipped": skipped,
        "commit": None,
        "push": None,
        "new_branch": None,
        "left_uncommitted": [],
        "created_link": made.link,
        "not_tried": not_tried,
    }


def _copy(item: Item, folder: Path, overwrite: bool) -> int | SkippedFile:
    """Copy one file; its size, or why it was skipped."""
    target = folder / item.target
    if item.source.is_symlink():
        return {
            "path": item.path,
            "reason": "not_a_file",
            "message": "It is a link; the file it points to is not copied.",
        }
    if not item.source.is_file():
        what = "a plain file" if item.source.exists() else "here any more"
        return {"path": item.path, "reason": "missing", "message": f"It is not {what}."}
    # A link or file on the way (a/b where a is a file) would send the copy elsewhere.
    for parent in reversed(target.relative_to(folder).parents):
        step = folder / parent
        if step.is_symlink() or (step.exists() and not step.is_dir()):
            return {
                "path": item.path,
                "reason": "blocked",
                "message": f"{step} is in the way (a file or a link, not a folder).",
            }
    if os.path.lexists(target):
        if target.is_symlink() or not target.is_file():
            return {
                "path": item.path,
                "reason": "blocked",
                "message": f"{target} is not a plain file; it was left as it is.",
            }
        if on_volume(item.source, target) == "same":
            return {"path": item.path, "reason": "same", "message": "Already there, unchanged."}
        if not overwrite:
            return {
                "path": item.path,
                "reason": "differs",
                "message": f"A different {target.name} is already there; it was kept. Save "
                "with overwrite to replace it.",
            }
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own for each copy: two saves at once (two tabs, threads of one server
    # process) never write into the same temporary file.
    handle, name = tempfile.mkstemp(prefix=".binder-save-", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        shutil.copy2(item.source, temporary)
        temporary.replace(target)
    finally:
        if os.path.lexists(temporary):
            temporary.unlink()
    return target.stat().st_size


def _failed_after(
    err: OSError,
    item: Item,
    made: Made,
    copied: list[CopiedFile],
    skipped: list[SkippedFile],
    total: int,
) -> BinderError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the volume is full or over quota"
    elif err.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    elif err.errno == errno.EROFS:
        why = "the volume is read-only"
    else:
        why = err.strerror or str(err)
    done = f"{len(copied)} file{'s' if len(copied) != 1 else ''} copied before it"
    left = total - len(copied) - len(skipped) - 1
    created = made.text()
    return Conflict(
        (created + " " if created else "")
        + f"Copying {item.path} to {made.folder} failed ({why}); {done}, the rest ({left}) "
        "not tried.",
        reason="copy_failed",
        folder=str(made.folder),
        created_folder=made.folder_created,
        created_link=made.link,
        failed=item.path,
        copied=copied,
        skipped=skipped,
        not_tried=max(left, 0),
    )


def _copy_message(made: Made, copied: list[CopiedFile], skipped: list[SkippedFile]) -> str:
    folder = made.folder
    parts = [made.text()]
    if copied:
        parts.append(f"Copied {len(copied)} file{'s' if len(copied) != 1 else ''} to {folder}.")
    elif not skipped:
        parts.append("Nothing to copy: no changed files.")
    kept = [s for s in skipped if s["reason"] == "differs"]
    same = [s for s in skipped if s["reason"] == "same"]
    other = [s for s in skipped if s["reason"] not in ("differs", "same")]
    if same:
        parts.append(f"{len(same)} already there unchanged.")
    if kept:
        parts.append(
            f"{len(kept)} not copied because a different file is there "
            f"({', '.join(s['path'] for s in kept[:5])}); save with overwrite to replace."
        )
    if other:
        parts.append(f"{len(other)} skipped ({', '.join(s['path'] for s in other[:5])}).")
    return " ".join(p for p in parts if p)

