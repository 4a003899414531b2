"""What idle deletion would lose here: git's changes, unpushed commits, files outside the repo.

Plain and synchronous (callers run it off the event loop, see :mod:`.service`). Every part is
bounded: git status within a time limit, at most :data:`MAX_CHANGED` files listed, and the
walk outside the repository stops after :data:`OUTSIDE_VISIT_LIMIT` entries or
:data:`OUTSIDE_TIME_BUDGET` seconds. Remote branches are compared as the last fetch left
them: nothing here touches the network.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_binder_ext.common.git_push import NoPushTarget, PushTarget, push_target
from jupyter_binder_ext.common.git_repo import current_branch, has_remote_branch, head_sha
from jupyter_binder_ext.common.git_runner import GitFailed, run_git
from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.common.walk import Walk, WalkBudget
from jupyter_binder_ext.work.answers import BranchAhead, ChangedFile, FileStatus, OnVolume, Unpushed

MAX_CHANGED = 1000
OUTSIDE_LIMIT = 200
OUTSIDE_VISIT_LIMIT = 20_000
OUTSIDE_TIME_BUDGET = 2.0
STATUS_TIMEOUT = 15.0


# -- git status ------------------------------------------------------------------------------


def status_word(xy: str) -> FileStatus:
    """One word for git's two-letter porcelain status (index, work tree)."""
    if xy == "??":
        return "untracked"
    if "U" in xy or xy in ("AA", "DD"):
        return "conflicted"
    for letter, word in (
        ("D", "deleted"),
        ("R", "renamed"),
        ("C", "copied"),
        ("A", "added"),
        ("T", "type_changed"),
    ):
        if letter in xy:
            return word  # type: ignore[return-value]
    return "modified"


@dataclass
class GitStatus:
    branch: str | None  # None when HEAD is detached
    changes: list[tuple[str, FileStatus]]
    # What git could not look at though it answered (it exits 0 past an unreadable folder).
    unchecked: list[str] = field(default_factory=list)


# The fields before the path in each kind of porcelain v2 record.
_V2_FIELDS = {"1": 8, "2": 9, "u": 10}


def parse_porcelain(output: str) -> GitStatus:
    """``git status --porcelain=v2 -z --branch``: the branch, and (path, status) for every
    change; a rename names its new path."""
    records = output.split("\0")
    branch: str | None = None
    found: list[tuple[str, FileStatus]] = []
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        kind = record[:1]
        if record.startswith("# branch.head "):
            head = record.removeprefix("# branch.head ")
            branch = None if head == "(detached)" else head
        elif kind == "?":
            found.append((record[2:], "untracked"))
        elif kind in _V2_FIELDS:
            fields = record.split(" ", _V2_FIELDS[kind])
            if len(fields) <= _V2_FIELDS[kind]:
                continue
            status: FileStatus = "conflicted" if kind == "u" else status_word(fields[1])
            found.append((fields[-1], status))
            if kind == "2":
                index += 1  # the original path follows as a record of its own
    return GitStatus(branch, found)


def git_changes(root: Path) -> GitStatus:
    """Every modified, added, deleted and untracked file (untracked folders file by file,
    .gitignore honoured), and the branch, in one ``git status``."""
    done = run_git(
        root,
        "status",
        "--porcelain=v2",
        "-z",
        "--branch",
        "--untracked-files=all",
        timeout=STATUS_TIMEOUT,
        # A read in the background never takes the index lock: the user's own git commands
        # in a terminal must not fail with "index.lock exists" because of it.
        env={"GIT_OPTIONAL_LOCKS": "0"},
    )
    status = parse_porcelain(done.stdout)
    status.unchecked = status_complaints(root, done.stderr)
    return status


# git's words for a folder it could not list: it leaves the folder out and still exits 0.
_UNREADABLE_FOLDER = re.compile(r"^warning: could not open directory '(.*?)/?': ")
# The most folders one reason names; past them, a count.
NAMED_FOLDERS = 5


def unreadable_folders(folders: list[str]) -> str:
    """ "could not read folder x" (or "folders x, y and 3 more"); "" for none."""
    if not folders:
        return ""
    if len(folders) == 1:
        return f"could not read folder {folders[0]}"
    named = ", ".join(folders[:NAMED_FOLDERS])
    more = len(folders) - NAMED_FOLDERS
    return f"could not read folders {named}" + (f" and {more} more" if more > 0 else "")


def status_complaints(root: Path, stderr: str) -> list[str]:
    """What a ``git status`` that exited 0 said on stderr, as reasons it did not see every
    file: each unreadable folder (by its full path), and any other line as git wrote it."""
    folders: list[str] = []
    others: list[str] = []
    for line in stderr.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _UNREADABLE_FOLDER.match(line)
        if match:
            folders.append(str(root / match.group(1)))
        else:
            others.append(f"git status: {redact(line)}")
    named = unreadable_folders(folders)
    return ([named] if named else []) + others


def file_size(path: Path) -> int | None:
    try:
        info = path.lstat()
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


# -- unpushed commits ------------------------------------------------------------------------


def _count(root: Path, *args: str) -> int:
    """``git rev-list --count``; raises :class:`GitFailed` when git cannot count (a missing
    object, a broken ref): an unknown count is never 0."""
    done = run_git(root, "rev-list", "--count", *args)
    try:
        return int(done.stdout.strip())
    except ValueError:
        raise GitFailed(
            f"git rev-list gave no count: {done.stdout.strip()[:80]!r}", command="rev-list"
        ) from None


def unpushed_commits(root: Path, launched_branch: str | None) -> Unpushed:
    """Commits on HEAD that the branch they would be pushed to does not have.

    The branch is the one a push would go to (:func:`common.git.push_target`: the upstream,
    or the launched branch repo2docker left behind). When that branch is not on the remote,
    the commits on no remote branch at all are counted.
    """
    branch = current_branch(root)
    try:
        target: PushTarget | None = push_target(root, launched_branch)
    except NoPushTarget:
        target = None
    other_branches, stashes = _local_only(root, branch)
    answer: Unpushed = {
        "count": 0,
        "branch": target.branch if target else branch,
        "remote": target.remote if target else None,
        "compared_with": "every remote branch",
        "url": target.url if target else "",
        "other_branches": other_branches,
        "stashes": stashes,
    }
    if head_sha(root) is None:
        return answer
    if target and has_remote_branch(root, target.remote, target.branch):
        answer["compared_with"] = f"{target.remote}/{target.branch}"
        answer["count"] = _count(root, f"refs/remotes/{target.remote}/{target.branch}..HEAD")
    else:
        answer["count"] = _count(root, "HEAD", "--not", "--remotes")
    return answer


# Other local branches looked at, at most (each is one `git rev-list --count`).
MAX_OTHER_BRANCHES = 20


def _local_only(root: Path, current: str | None) -> tuple[list[BranchAhead], int]:
    """Local branches other than `current` with commits no remote branch has, and the number
    of stashes (`git stash list`), which no push sends: one listing of the refs for both."""
    listed = run_git(
        root, "for-each-ref", "--format=%(refname)", "refs/heads/", "refs/stash", check=False
    ).stdout.split()
    names = [ref.removeprefix("refs/heads/") for ref in listed if ref.startswith("refs/heads/")]
    ahead: list[BranchAhead] = []
    for name in [n for n in names if n != current][:MAX_OTHER_BRANCHES]:
        count = _count(root, f"refs/heads/{name}", "--not", "--remotes")
        if count:
            ahead.append({"branch": name, "count": count})
    stashes = _count(root, "--walk-reflogs", "refs/stash") if "refs/stash" in listed else 0
    return ahead, stashes


# -- files outside the repository ------------------------------------------------------------


@dataclass
class OutsideScan:
    files: list[tuple[str, int]]
    truncated: bool
    note: str
    # Folders (full paths) the walk could not list: what they hold is unknown.
    unreadable: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OutsideBounds:
    """How far the walk outside the repository goes: the panel's list is capped (`limit`
    files, `time_budget` seconds); a save passes None for both, to act on every file."""

    limit: int | None = OUTSIDE_LIMIT
    visit_limit: int = OUTSIDE_VISIT_LIMIT
    time_budget: float | None = OUTSIDE_TIME_BUDGET


@dataclass
class _OutsideFound:
    """What the walk outside the repository found so far."""

    root: str
    skipped: set[str]  # folders never entered (the repository, the volume)
    files: list[tuple[str, int]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    left: str = ""  # the folder left early (listed but not searchable)

    def take(self, walk: Walk, entry: os.DirEntry[str]) -> None:
        folder = os.path.dirname(entry.path)  # noqa: PTH120 (a str from scandir)
        if folder == self.left or entry.name.startswith(".") or entry.is_symlink():
            return
        if entry.is_dir(follow_symlinks=False):
            if entry.path not in self.skipped:
                walk.enter(entry)
        elif entry.is_file(follow_symlinks=False):
            try:
                size = entry.stat(follow_symlinks=False).st_size
            except FileNotFoundError:
                return  # removed since the folder was listed
            except OSError:
                # Listed but not searchable (read without execute permission).
                self.unreadable.append(folder)
                self.left = folder
                return
            self.files.append((os.path.relpath(entry.path, self.root), size))

    def scan(self, walk: Walk, stopped_after: int | None = None) -> OutsideScan:
        unreadable = sorted(self.unreadable + [folder for folder, _err in walk.unreadable])
        if stopped_after is None:
            return OutsideScan(sorted(self.files), False, "", unreadable)
        note = f"Partial: the scan stopped after {stopped_after} entries."
        return OutsideScan(self.files, True, note, unreadable)


def outside_files(
    scan_root: Path,
    repo: Path | None,
    skip: tuple[Path, ...] = (),
    bounds: OutsideBounds = OutsideBounds(),
) -> OutsideScan:
    """Plain files under `scan_root` that lie outside the repository.

    Hidden entries (settings, caches), links (the link to the volume among them) and the
    `skip` folders (the volume) are passed over.
    """
    root = os.path.realpath(scan_root)
    repo_real = os.path.realpath(repo) if repo else None
    if not Path(root).is_dir():
        return OutsideScan([], False, f"{scan_root} does not exist.")
    if repo_real and is_inside(root, repo_real):
        return OutsideScan(
            [], False, "The server's folder is the repository: git's list above covers it."
        )
    skipped = {os.path.realpath(p) for p in skip} | ({repo_real} if repo_real else set())
    budget = WalkBudget.lasting(bounds.visit_limit, bounds.time_budget)
    walk = Walk(root, budget, sort=True)
    found = _OutsideFound(root, skipped)
    for entry in walk:
        if bounds.limit is not None and len(found.files) >= bounds.limit:
            return found.scan(walk, stopped_after=budget.visited - 1)
        found.take(walk, entry)
    return found.scan(walk, None if walk.complete else budget.visited)


# -- already on the volume? ------------------------------------------------------------------


def _same_time(source_ns: int, copy_ns: int) -> bool:
    """Whether the copy's modification time is the source's, as its file system stores it
    (the volume may keep microseconds, milliseconds or whole seconds only)."""
    return any(copy_ns == source_ns - source_ns % unit for unit in (1, 1_000, 1_000_000, 10**9))


def on_volume(source: Path, copy: Path) -> OnVolume:
    """Whether `copy` holds what `source` holds now.

    Saves copy with the modification time kept (``shutil.copy2``), so the size and that
    time tell; no byte is read (a scan may meet a thousand large files on NFS).
    """
    try:
        copy_info = copy.lstat()
        source_info = source.stat()
    except OSError:
        return "absent"
    if not stat.S_ISREG(copy_info.st_mode):
        return "differs"
    if copy_info.st_size != source_info.st_size:
        return "differs"
    return "same" if _same_time(source_info.st_mtime_ns, copy_info.st_mtime_ns) else "differs"


def changed_entry(path: str, status: FileStatus, source: Path, copy: Path | None) -> ChangedFile:
    size = None if status == "deleted" else file_size(source)
    where: OnVolume = "absent"
    if copy is not None and size is not None:
        where = on_volume(source, copy)
    return {"path": path, "status": status, "size": size, "on_volume": where}
