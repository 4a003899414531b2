"""One scan of this server's work: where things are, what git says, what the volume holds.

Synchronous and bounded (see :mod:`.changes`); :mod:`.service` runs it off the event loop.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common import git as gitops
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.instance_dirs import choose_instance_dir
from jupyter_binder_ext.persistence.volume import volume_path, volume_user
from jupyter_binder_ext.work.answers import (
    ChangedFile,
    FileStatus,
    OutsideFiles,
    Unpushed,
    Volume,
)
from jupyter_binder_ext.work.changes import (
    MAX_CHANGED,
    OUTSIDE_LIMIT,
    OUTSIDE_TIME_BUDGET,
    OUTSIDE_VISIT_LIMIT,
    GitStatus,
    OutsideScan,
    changed_entry,
    git_changes,
    outside_files,
    unpushed_commits,
)
from jupyter_binder_ext.work.private import PrivatePaths, private_paths


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
    outside_note: str = ""  # why the folder outside the repository is not scanned
    # Keys, tokens and Jupyter's own state: never listed, never saved (work/private.py).
    private: PrivatePaths = field(default_factory=PrivatePaths)

    def outside_scan(
        self,
        limit: int | None = OUTSIDE_LIMIT,
        visit_limit: int = OUTSIDE_VISIT_LIMIT,
        time_budget: float | None = OUTSIDE_TIME_BUDGET,
    ) -> OutsideScan:
        if self.outside_note:
            return OutsideScan([], False, self.outside_note)
        skip = (self.volume,) if self.volume else ()
        found = outside_files(self.outside_root, self.repo, skip, limit, visit_limit, time_budget)
        files = [f for f in found.files if not self.private.covers(self.outside_root / f[0])]
        return replace(found, files=files)

    def work_changes(self, status: GitStatus) -> list[tuple[str, FileStatus]]:
        """git's changes without the private files among them."""
        if self.repo is None:
            return []
        repo = self.repo
        return [change for change in status.changes if not self.private.covers(repo / change[0])]

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
    repo = gitops.repo_root(site.repo_path())
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
    private = private_paths(site, home)
    return Layout(repo, outside_root, prefix, volume, instance, exists, message, note, private)


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
    """git status and the unpushed count, side by side (each is mostly waiting for git)."""
    warnings: list[str] = []
    status_job = pool.submit(git_changes, repo)
    unpushed_job = pool.submit(unpushed_commits, repo, launched_branch(launch))
    try:
        status = status_job.result()
    except gitops.GitFailed as err:
        status = GitStatus(None, [])
        warnings.append(f"git status gave no answer: {err.message}")
    try:
        unpushed = unpushed_job.result()
    except gitops.GitFailed as err:
        unpushed = _no_unpushed()
        warnings.append(f"The unpushed commits could not be counted: {err.message}")
    return status, unpushed, warnings


def _no_unpushed() -> Unpushed:
    return {"count": 0, "branch": None, "remote": None, "compared_with": "", "url": ""}


def scan_work(site: SiteConfig, launch: LaunchInfo, home: Path) -> dict[str, Any]:
    """Everything of ``GET work`` that this server knows by itself (no hub facts)."""
    started = time.monotonic()
    layout = locate(site, launch, home)
    warnings: list[str] = []
    changed: list[ChangedFile] = []
    # Changed files past the listed ones, on the volume or not (they count all the same).
    saved_unlisted = unsaved_unlisted = 0
    status = GitStatus(None, [])
    unpushed = _no_unpushed()
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="binder-work") as pool:
        outside_job = pool.submit(layout.outside_scan)
        if layout.repo is None:
            warnings.append(
                f"{site.repo_path()} is not in a git repository: git has no changes to list."
            )
        else:
            status, unpushed, git_warnings = _git_facts(layout.repo, launch, pool)
            status = replace(status, changes=layout.work_changes(status))
            warnings.extend(git_warnings)
            for index, (path, state) in enumerate(status.changes[:MAX_CHECKED]):
                copy = layout.copy_of_repo_file(path) if layout.instance_exists else None
                entry = changed_entry(path, state, layout.repo / path, copy)
                if index < MAX_CHANGED:
                    changed.append(entry)
                elif entry["on_volume"] == "same":
                    saved_unlisted += 1
                else:
                    unsaved_unlisted += 1
        outside_scan = outside_job.result()
    total = len(status.changes)
    outside: OutsideFiles = {
        "root": str(layout.outside_root),
        "files": [],
        "truncated": outside_scan.truncated,
        "note": outside_scan.note,
    }
    for path, _size in outside_scan.files:
        copy = layout.copy_of_outside_file(path) if layout.instance_exists else None
        outside["files"].append(changed_entry(path, "untracked", layout.outside_root / path, copy))
    every = changed + outside["files"]
    saved = sum(1 for entry in every if entry["on_volume"] == "same") + saved_unlisted
    unsaved = sum(1 for e in every if e["on_volume"] != "same") + unsaved_unlisted
    incomplete = _incomplete(total, outside_scan)
    return {
        "repository": str(layout.repo) if layout.repo else None,
        "branch": status.branch,
        "changed": changed,
        "changed_total": total,
        "truncated": total > len(changed),
        "unpushed": unpushed,
        "outside": outside,
        "volume": _volume_facts(layout, saved),
        # Not knowing is not "nothing to lose": a scan that stopped early counts as at risk.
        "at_risk": bool(unsaved) or unpushed["count"] > 0 or bool(incomplete),
        "unsaved_files": unsaved,
        "incomplete": incomplete,
        "scanned_in": round(time.monotonic() - started, 3),
        "warnings": warnings,
    }


def _incomplete(total_changed: int, outside: OutsideScan) -> str:
    """Why the scan could not look at every file ("" when it did)."""
    reasons = []
    if total_changed > MAX_CHECKED:
        reasons.append(
            f"{total_changed} changed files, of which only the first {MAX_CHECKED} were "
            "compared with the volume"
        )
    if outside.truncated:
        reasons.append(
            "the walk of the folder outside the repository stopped early "
            f"({outside.note.removeprefix('Partial: ').rstrip('.')})"
        )
    return "; ".join(reasons)


def loss_summary(scan: dict[str, Any]) -> str:
    """What idle deletion would lose, in one sentence; "at least" when the scan stopped early."""
    parts = []
    outside = sum(1 for e in scan["outside"]["files"] if e["on_volume"] != "same")
    changed = scan["unsaved_files"] - outside
    if changed:
        parts.append(f"{changed} changed file{'s' if changed != 1 else ''}")
    count = scan["unpushed"]["count"]
    if count:
        parts.append(f"{count} unpushed commit{'s' if count != 1 else ''}")
    if outside:
        parts.append(f"{outside} file{'s' if outside != 1 else ''} outside the repository")
    incomplete = scan["incomplete"]
    if incomplete:
        if not parts:
            return (
                "Nothing unsaved among the files the scan looked at, but it could not look at "
                f"all of them ({incomplete}): there may be more. A copy to persistent storage "
                "saves every file."
            )
        return (
            "Idle deletion would lose at least "
            + ", ".join(parts)
            + f"; the scan could not look at every file ({incomplete}), so there may be more."
        )
    if not parts:
        return "Nothing here would be lost: every change is committed and pushed or on the volume."
    return "Idle deletion would lose " + ", ".join(parts) + "."


def files_to_save(layout: Layout) -> tuple[list[tuple[str, FileStatus]], OutsideScan]:
    """Every changed file of the repository and every file outside it, without the caps of
    the panel's list: a save acts on all of them."""
    changes = layout.work_changes(git_changes(layout.repo)) if layout.repo is not None else []
    outside = layout.outside_scan(limit=None, visit_limit=SAVE_VISIT_LIMIT, time_budget=None)
    return changes, outside
