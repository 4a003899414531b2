"""The answers of ``GET binder/api/work`` and ``POST binder/api/work/save``."""

from __future__ import annotations

from typing import Literal, TypedDict

from jupyter_binder_ext.common.answers import CommitFacts, PushFacts
from jupyter_binder_ext.environment.answers import Manager

FileStatus = Literal[
    "modified", "added", "deleted", "renamed", "copied", "untracked", "conflicted", "type_changed"
]
# Why a file is held back: the rules of work/private.py, or a credential found in it.
HeldBackRule = Literal[
    "git",
    "ssh",
    "credentials",
    "private_key",
    "history",
    "jupyter_state",
    "checkpoint",
    "tool_state",
    "secret",
]
# Whether a file's current content is already in this instance's folder on the volume.
OnVolume = Literal["same", "differs", "absent"]


class ChangedFile(TypedDict):
    path: str  # relative to the repository (outside files: to the scanned folder)
    status: FileStatus
    size: int | None  # None for a deleted file
    on_volume: OnVolume


class BranchAhead(TypedDict):
    branch: str
    count: int  # its commits that no remote branch has


class Unpushed(TypedDict):
    count: int
    branch: str | None
    remote: str | None
    compared_with: str  # the ref the commits are missing from, or "every remote branch"
    url: str  # the push URL, credentials hidden
    # What else lives only in this copy: other local branches' commits no remote has (at
    # most 20 branches), and stashed changes (`git stash`). Idle deletion loses them too.
    other_branches: list[BranchAhead]
    stashes: int


class OutsideFiles(TypedDict):
    root: str
    files: list[ChangedFile]
    truncated: bool
    note: str


class Volume(TypedDict):
    available: bool
    folder: str | None  # this instance's folder (it may not exist yet)
    exists: bool
    saved: int  # changed + outside files whose content is already there
    message: str


class Deletion(TypedDict):
    known: bool
    expires_at: str | None
    expires_in: float | None
    message: str


class ProjectAtRisk(TypedDict):
    name: str
    display_name: str
    expires_at: str | None
    expires_in: float | None
    mark: str  # the words the panel shows on the project


class Reminder(TypedDict):
    notify: bool
    days: float
    message: str
    projects: list[ProjectAtRisk]


class Sibling(TypedDict):
    """Whether this server may ask another of the user's servers for its work summary."""

    possible: bool  # unknown until the hub is asked: a request says it plainly
    message: str


class RuntimeInstall(TypedDict):
    name: str
    version: str
    manager: Manager


class RuntimeInstalls(TypedDict):
    """Packages installed since launch that the environment files do not ask for (from
    ``GET environment``): a relaunch or the idle deletion loses them."""

    known: bool  # false when the environment could not be scanned (message says why)
    count: int
    packages: list[RuntimeInstall]
    keep_file: str | None  # where Environment's keep action would pin them
    message: str


class WorkScan(TypedDict):
    """What ``GET work`` knows by the server's own files and git (work/scan.py); the hub's
    facts and the runtime installs are added by :func:`.builders.build_work`."""

    repository: str | None
    branch: str | None
    changed: list[ChangedFile]
    changed_total: int
    truncated: bool
    unpushed: Unpushed
    outside: OutsideFiles
    volume: Volume
    at_risk: bool  # idle deletion would lose something
    unsaved_files: int  # changed and outside files not yet on the volume (at least)
    # Why the scan could not look at every file ("" when it did): the counts are then lower
    # bounds, and at_risk is true.
    incomplete: str
    # Changed files that are not work and never leave (work/private.py), said so the user
    # knows they were seen and why they are not counted.
    held_back: list[HeldBackFile]
    scanned_in: float  # seconds
    warnings: list[str]


class WorkAnswer(WorkScan):
    deletion: Deletion
    reminder: Reminder
    sibling: Sibling
    runtime_installs: RuntimeInstalls
    message: str


class CopiedFile(TypedDict):
    path: str
    size: int


# Why a file was not copied to the volume. "same": already there unchanged; "not_a_file": a
# link or special file, never copied; the others leave the save's ``ok`` false.
SkipReason = Literal[
    "same",
    "differs",
    "missing",
    "not_a_file",
    "blocked",
    "changed_during_copy",  # written to while it was copied, every try
    "too_large",  # over what one save may copy (c.BinderExt.max_save_bytes)
    "bad_name",  # a name that is not UTF-8: it cannot be named in an answer or to git
    "nested_repository",  # a git repository of its own inside this one, or a submodule
]


class SkippedFile(TypedDict):
    path: str
    reason: SkipReason
    message: str


class HeldBackFile(TypedDict):
    """A file that is not work and never leaves (work/private.py), or a credential found in a
    file about to be committed or pushed (work/secret_scan.py)."""

    path: str  # a folder ends with "/" when its files are held back together
    rule: HeldBackRule
    line: int | None  # the line of a credential found in the file's text
    message: str


class SaveAnswer(TypedDict):
    """What a save did. To the volume: ``folder``, ``copied``, ``skipped``. To GitHub: the
    ``commit`` made first (with a message), the ``push``, and the push to a ``new_branch``
    when the branch had moved on; ``ok`` is false when nothing could be pushed."""

    to: Literal["persistent", "github"]
    ok: bool
    message: str
    folder: str | None
    created_folder: bool
    copied: list[CopiedFile]
    skipped: list[SkippedFile]
    # What the rule of work/private.py kept (never saved) and credentials found in what
    # would have been committed or pushed (rule "secret", with the line).
    held_back: list[HeldBackFile]
    commit: CommitFacts | None
    push: PushFacts | None
    new_branch: PushFacts | None
    left_uncommitted: list[str]
    # The link to the instance folder this save made in the server's folder (its path for
    # the file browser), made with the folder on the first save.
    created_link: str | None
    # Files found but not tried (more than one save copies): ok is then false; save again.
    not_tried: int


class SiblingWorkAnswer(TypedDict):
    """Another running project's own ``GET work``, read through the hub's proxy."""

    name: str
    work: WorkAnswer
    message: str
