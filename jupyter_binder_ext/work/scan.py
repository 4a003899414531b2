"""One scan of this server's work: where things are, what git says, what the volume holds.

Synchronous and bounded (see :mod:`.changes`); :mod:`.service` runs it off the event loop.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from jupyter_binder_ext.common.git_repo import current_branch, repo_folders
from jupyter_binder_ext.common.git_runner import GitFailed
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.instance_dirs import choose_instance_dir
from jupyter_binder_ext.persistence.volume import volume_path, volume_user
from jupyter_binder_ext.work.answers import (
    ChangedFile,
    FileStatus,
    HeldBackFile,
    OutsideFiles,
    Unpushed,
    Volume,
    WorkScan,
)
from jupyter_binder_ext.work.changes import (
    MAX_CHANGED,
    GitStatus,
    OutsideBounds,
    OutsideScan,
    changed_entry,
    git_changes,
    outside_files,
    unpushed_commits,
    unreadable_folders,
)
from jupyter_binder_ext.work.private import LeaveRule, Refusal, held_back_entries, leave_rule


@dataclass(frozen=True)
class Layout:
    """Where this server's work lies and where its copies go."""

    repo: Path | None  # the git work tree (None when the folder is not in one)
    outside_root: Path  # the server's folder, scanned for files outside the repository
    repo_prefix: str  # the repository's place under outside_root ("" when it is the root)
    volume: Path | None
    instance: Path | None  # this instance's folder on the volume (it may not exist yet)
    instance_exists: bool
    volume_message: str
    outside_note: str  # why the folder outside the repository is not scanned ("" if it is)
    # What may leave: keys, credentials, histories, Jupyter's own state never do
    # (work/private.py).
    rule: LeaveRule

    def outside_scan(self, bounds: OutsideBounds | None = None) -> OutsideScan:
        if self.outside_note:
            return OutsideScan([], False, self.outside_note)
        skip = (self.volume,) if self.volume else ()
        found = outside_files(self.outside_root, self.repo, skip, bounds or OutsideBounds())
        files = [f for f in found.files if not self.rule.covers(self.outside_root / f[0])]
        return replace(found, files=files)

    def split_changes(
        self, status: GitStatus, read_limit: int | None = None
    ) -> tuple[list[tuple[str, FileStatus]], list[HeldBackFile]]:
        """git's changes that are work, and those the rule holds back (work/private.py).

        The first `read_limit` files (all when None) are read to find private keys by
        content; past them only names and places decide (a listing that shows 1000 files
        does not read 20,000).
        """
        if self.repo is None:
            return [], []
        work: list[tuple[str, FileStatus]] = []
        held: list[tuple[str, Refusal]] = []
        root = str(self.repo)
        folders: dict[str, str] = {}  # resolved once for all the files in each
        for index, (path, state) in enumerate(status.changes):
            read = state != "deleted" and (read_limit is None or index < read_limit)
            refusal = self.rule.check(f"{root}/{path}", read=read, folders=folders)
            if refusal is None:
                work.append((path, state))
            else:
                held.append((path, refusal))
        return work, held_back_entries(held)

    def work_changes(self, status: GitStatus) -> list[tuple[str, FileStatus]]:
        """git's changes without the files that may not leave."""
        return self.split_changes(status)[0]

    def copy_of_repo_file(self, path: str) -> Path | None:
        if self.instance is None:
            return None
        return self.instance / self.repo_prefix / path if self.repo_prefix else self.instance / path

    def copy_of_outside_file(self, path: str) -> Path | None:
        return None if self.instance is None else self.instance / path


# Changed files compared with their copy on the volume (a stat each); beyond, unknown.
MAX_CHECKED = 20_000
# A save walks the folder outside the repository to the end, within this many entries.
SAVE_VISIT_LIMIT = 1_000_000


def launched_branch(launch: LaunchInfo) -> str | None:
    """The branch BinderHub launched (a push goes there), when launched from a Binder."""
    return (launch.ref or None) if launch.under_binder else None


def locate(site: SiteConfig, launch: LaunchInfo, home: Path) -> Layout:
    folders = repo_folders(site.repo_path())
    repo, git_dir = folders if folders else (None, None)
    # Outside a repository nothing of the server's folder is in git: all of it is scanned.
    outside_root = home if repo is not None else site.repo_path()
    prefix = ""
    note = ""
    if repo is not None:
        real_repo, real_home = os.path.realpath(repo), os.path.realpath(home)
        if real_repo.startswith(real_home.rstrip("/") + "/"):
            prefix = os.path.relpath(real_repo, real_home)
        elif not real_home.startswith(real_repo.rstrip("/") + "/") and real_home != real_repo:
            note = (
                f"The repository is not in your home folder ({home}): only its own changes "
                "are listed."
            )
    volume: Path | None = None
    instance: Path | None = None
    exists = False
    message = ""
    try:
        user, _source = volume_user(launch)
        volume = volume_path(site, user)
        if volume.is_dir():
            choice = choose_instance_dir(volume, launch, user)
            instance, exists = choice.path, choice.exists
        else:
            message = f"The persistent volume {volume} is not there: nothing can be saved on it."
    except BinderError as err:
        message = err.message
    rule = leave_rule(site, home, git_dir)
    return Layout(repo, outside_root, prefix, volume, instance, exists, message, note, rule)


def _volume_facts(layout: Layout, saved: int) -> Volume:
    if layout.instance is None:
        return {
            "available": False,
            "folder": None,
            "exists": False,
            "saved": 0,
            "message": layout.volume_message,
        }
    where = "" if layout.instance_exists else " (made on the first save)"
    return {
        "available": True,
        "folder": str(layout.instance),
        "exists": layout.instance_exists,
        "saved": saved,
        "message": f"Copies go to {layout.instance}{where}.",
    }


def _git_facts(
    repo: Path, launch: LaunchInfo, pool: ThreadPoolExecutor
) -> tuple[GitStatus, Unpushed, list[str]]:
    """git status and the unpushed count, side by side (each is mostly waiting for git),
    and what git could not check: a failed or stopped git is a reason, never "no changes"."""
    not_checked: list[str] = []
    status_job = pool.submit(git_changes, repo)
    unpushed_job = pool.submit(unpushed_commits, repo, launched_branch(launch))
    try:
        status = status_job.result()
    except GitFailed as err:
        # The branch is still known without the index (a broken index breaks only status).
        status = GitStatus(current_branch(repo), [])
        not_checked.append(err.message)
    not_checked.extend(status.unchecked)
    try:
        unpushed = unpushed_job.result()
    except GitFailed as err:
        unpushed = _no_unpushed()
        not_checked.append(f"the unpushed commits could not be counted ({err.message})")
    return status, unpushed, not_checked


def _no_unpushed() -> Unpushed:
    return {
        "count": 0,
        "branch": None,
        "remote": None,
        "compared_with": "",
        "url": "",
        "other_branches": [],
        "stashes": 0,
    }


@dataclass
class _RepoScan:
    """The repository's side of a scan: git's facts, its changed files beside the volume."""

    status: GitStatus = field(default_factory=lambda: GitStatus(None, []))
    unpushed: Unpushed = field(default_factory=lambda: _no_unpushed())
    changed: list[ChangedFile] = field(default_factory=list)  # the listed ones
    held_back: list[HeldBackFile] = field(default_factory=list)
    # What could not be checked at all (git failed, a folder unreadable): never "nothing".
    not_checked: list[str] = field(default_factory=list)
    # Changed files past the listed ones, on the volume or not (they count all the same).
    saved_unlisted: int = 0
    unsaved_unlisted: int = 0


def _scan_repo(
    repo: Path, layout: Layout, launch: LaunchInfo, pool: ThreadPoolExecutor
) -> _RepoScan:
    status, unpushed, not_checked = _git_facts(repo, launch, pool)
    work, held_back = layout.split_changes(status, read_limit=MAX_CHANGED)
    found = _RepoScan(replace(status, changes=work), unpushed, [], held_back, not_checked)
    for index, (path, state) in enumerate(work[:MAX_CHECKED]):
        copy = layout.copy_of_repo_file(path) if layout.instance_exists else None
        entry = changed_entry(path, state, repo / path, copy)
        if index < MAX_CHANGED:
            found.changed.append(entry)
        elif entry["on_volume"] == "same":
            found.saved_unlisted += 1
        else:
            found.unsaved_unlisted += 1
    return found


def _outside_entries(layout: Layout, scan: OutsideScan) -> OutsideFiles:
    files = [
        changed_entry(
            path,
            "untracked",
            layout.outside_root / path,
            layout.copy_of_outside_file(path) if layout.instance_exists else None,
        )
        for path, _size in scan.files
    ]
    return {
        "root": str(layout.outside_root),
        "files": files,
        "truncated": scan.truncated,
        "note": scan.note,
    }


def scan_work(site: SiteConfig, launch: LaunchInfo, home: Path) -> WorkScan:
    """Everything of ``GET work`` that this server knows by itself (no hub facts)."""
    started = time.monotonic()
    layout = locate(site, launch, home)
    warnings: list[str] = []
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="binder-work") as pool:
        outside_job = pool.submit(layout.outside_scan)
        if layout.repo is None:
            warnings.append(
                f"{site.repo_path()} is not in a git repository: git has no changes to list."
            )
            repo = _RepoScan()
        else:
            repo = _scan_repo(layout.repo, layout, launch, pool)
        outside_scan = outside_job.result()
    outside = _outside_entries(layout, outside_scan)
    every = repo.changed + outside["files"]
    saved = sum(1 for entry in every if entry["on_volume"] == "same") + repo.saved_unlisted
    unsaved = sum(1 for e in every if e["on_volume"] != "same") + repo.unsaved_unlisted
    unreadable = unreadable_folders(outside_scan.unreadable)
    total = len(repo.status.changes)
    incomplete = _incomplete(
        repo.not_checked + ([unreadable] if unreadable else []), total, outside_scan
    )
    unpushed = repo.unpushed
    return {
        "repository": str(layout.repo) if layout.repo else None,
        "branch": repo.status.branch,
        "changed": repo.changed,
        "changed_total": total,
        "truncated": total > len(repo.changed),
        "unpushed": unpushed,
        "outside": outside,
        "volume": _volume_facts(layout, saved),
        # Not knowing is not "nothing to lose": a scan that stopped early counts as at risk.
        "at_risk": bool(unsaved)
        or unpushed["count"] > 0
        or bool(unpushed["other_branches"] or unpushed["stashes"])
        or bool(incomplete),
        "unsaved_files": unsaved,
        "incomplete": incomplete,
        "held_back": repo.held_back,
        "scanned_in": round(time.monotonic() - started, 3),
        "warnings": warnings,
    }


def limits_reached(total_changed: int, outside_truncated: bool, outside_note: str) -> str:
    """The scan's own limits it reached (the files past them were not looked at)."""
    reasons = []
    if total_changed > MAX_CHECKED:
        reasons.append(
            f"{total_changed} changed files, of which only the first {MAX_CHECKED} were "
            "compared with the volume"
        )
    if outside_truncated:
        reasons.append(
            "the walk of the folder outside the repository stopped early "
            f"({outside_note.removeprefix('Partial: ').rstrip('.')})"
        )
    return "; ".join(reasons)


def _incomplete(not_checked: list[str], total_changed: int, outside: OutsideScan) -> str:
    """Why the scan could not look at every file ("" when it did): what could not be
    checked at all first, then the limits the scan reached."""
    limits = limits_reached(total_changed, outside.truncated, outside.note)
    # git's own sentences end with a period; these are clauses of one sentence.
    return "; ".join([reason.rstrip(".") for reason in not_checked] + ([limits] if limits else []))


@dataclass(frozen=True)
class ToSave:
    """Every file a save acts on, without the caps of the panel's list."""

    changes: list[tuple[str, FileStatus]]  # the repository's changed files that may leave
    held_back: list[HeldBackFile]  # those the rule keeps (work/private.py)
    outside: OutsideScan  # the files outside the repository
    not_checked: list[str]  # what could not be looked at ("" reasons, as GET work words them)


def files_to_save(layout: Layout) -> ToSave:
    changes: list[tuple[str, FileStatus]] = []
    held_back: list[HeldBackFile] = []
    not_checked: list[str] = []
    if layout.repo is not None:
        status = git_changes(layout.repo)
        changes, held_back = layout.split_changes(status)
        not_checked.extend(status.unchecked)
    outside = layout.outside_scan(OutsideBounds(None, SAVE_VISIT_LIMIT, None))
    if outside.unreadable:
        not_checked.append(unreadable_folders(outside.unreadable))
    if outside.truncated:
        not_checked.append(outside.note)
    return ToSave(changes, held_back, outside, not_checked)
