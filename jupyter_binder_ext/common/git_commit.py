"""The one way the extension commits: exactly the chosen files, and nothing else.

The commit is built in an index of its own (``GIT_INDEX_FILE`` in a temporary folder, read
from HEAD): the chosen files are added there by a pathspec list on standard input (NUL
separated, so any number of files and any name git accepts; ``update-index --add`` reads no
``.gitignore``, so an ignored file is committed when it is chosen), the caller's check runs
on exactly what the commit will hold (the work domain scans it for credentials), and only
then are the tree and the commit written and the branch moved (``update-ref`` with the old
value, so a concurrent commit is never overwritten). The commit is signed when the user's own
git config asks for it (``commit.gpgSign``; the repository's own value is outvoted by the
runner). The user's own index is touched once, after the commit, to record the committed
files as committed; whatever else the user staged stays staged. A failure before that leaves
the repository, and the user's index, as they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from jupyter_binder_ext.common.answers import CommitFacts
from jupyter_binder_ext.common.git_identity import CommitIdentity
from jupyter_binder_ext.common.git_repo import current_branch, head_sha, refuse_during_operation
from jupyter_binder_ext.common.git_runner import GitFailed, run_git
from jupyter_binder_ext.common.git_safety import UNTRUSTED_SCOPES
from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.errors import Conflict


@dataclass(frozen=True)
class Committed:
    """What :func:`commit_exactly` did: a new commit (``created``), or HEAD as it was."""

    sha: str
    message: str
    branch: str | None
    created: bool
    files: tuple[str, ...] = ()
    author: str = ""
    note: str = ""  # who signed it when git has no identity; an index left behind
    scanned: frozenset[str] = frozenset()  # the blobs the check read (a push need not again)

    def to_json(self) -> CommitFacts:
        return {
            "sha": self.sha,
            "short_sha": short_sha(self.sha),
            "message": self.message,
            "branch": self.branch,
            "created": self.created,
            "author": self.author,
            "note": self.note,
            "files": list(self.files),
        }


class PreCommitCheck(Protocol):
    """Run on what the commit will hold, before it is written: `index` is the environment
    naming the commit's own index, `staged` the paths that differ from HEAD. Raises to refuse
    (nothing is committed then); returns the blob ids it read."""

    def __call__(
        self, repo: Path, index: Mapping[str, str], staged: Sequence[str], message: str
    ) -> frozenset[str]: ...


def path_in_repo(repo: Path, path: Path) -> str:
    """`path` relative to `repo` (git's ``/``), links in its folders resolved; a
    :class:`Conflict` when it lies outside."""
    real_repo = Path(os.path.realpath(repo))
    real_path = Path(os.path.realpath(path.parent)) / path.name
    try:
        return real_path.relative_to(real_repo).as_posix()
    except ValueError:
        raise Conflict(
            f"{path} is outside the git repository {repo}; it cannot be committed there.",
            path=str(path),
        ) from None


def commit_exactly(
    repo: Path,
    paths: Sequence[str],
    message: str,
    identity: CommitIdentity,
    check: PreCommitCheck | None,
) -> Committed:
    """Commit `paths` (new, changed or deleted files of `repo`, relative to it) and nothing
    else, on the current branch.

    When none of them differs from HEAD nothing is committed (``created`` false, ``sha`` is
    HEAD). Raises :class:`Conflict` during a merge or rebase, whatever `check` raises, and
    :class:`GitFailed` when git refuses (another git holds the index, a signing program
    never answers); in every case nothing was committed and the user's index is as it was.
    """
    branch, head = current_branch(repo), head_sha(repo)
    if not paths:
        return Committed(head or "", "", branch, False)
    refuse_during_operation(repo, "nothing was committed")
    _refuse_a_locked_index(repo)
    scratch = Path(tempfile.mkdtemp(prefix="binder-commit-"))
    try:
        own_index = {"GIT_INDEX_FILE": str(scratch / "index")}
        staged = _stage(repo, own_index, head, paths)
        if not staged:
            return Committed(head or "", "", branch, False)
        scanned = check(repo, own_index, staged, message) if check else frozenset()
        sha = _write_commit(repo, own_index, head, message, identity)
        note = _sync_users_index(repo, own_index, staged)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    author = run_git(repo, "log", "-1", "--format=%an <%ae>", sha).stdout.strip()
    notes = " ".join(filter(None, [identity.note, note]))
    return Committed(sha, message, branch, True, tuple(staged), author, notes, scanned)


def _refuse_a_locked_index(repo: Path) -> None:
    """The user's index is written after the commit: while another git holds it (or left
    its lock behind), nothing is done. The lock is never ours to remove."""
    index = run_git(repo, "rev-parse", "--path-format=absolute", "--git-path", "index").stdout
    lock = Path(index.strip() + ".lock")
    if lock.exists():
        raise _nothing_committed(
            GitFailed(
                f"git commit failed: Unable to create '{lock}': File exists. Another git "
                "process seems to be running in this repository; if none is, remove the file.",
                reason="index_locked",
                path=str(lock),
            )
        )


def _nothing_committed(err: GitFailed) -> GitFailed:
    text = err.message.removeprefix("git ").split(" failed: ", 1)[-1]
    reason = text if text.endswith((".", "!", "?")) else text + "."
    return GitFailed(
        f"Nothing was committed or pushed: git commit failed: {reason} The index was put back "
        "as it was before the save: nothing is left staged by it.",
        **{**err.details, "staged": []},
    )


def _stage(
    repo: Path, own_index: Mapping[str, str], head: str | None, paths: Sequence[str]
) -> list[str]:
    """Add `paths` to the commit's own index; those that differ from HEAD."""
    # Paths on standard input, NUL separated: any name, any count (no argument list's limit,
    # and no pathspec matching, which is quadratic in git for tens of thousands of paths).
    listed_paths = "".join(path + "\0" for path in paths)
    try:
        run_git(repo, "read-tree", *([head] if head else ["--empty"]), env=own_index)
        # --add: new files; --remove: deleted ones; each as it is in the work tree now.
        run_git(
            repo,
            "update-index",
            "--add",
            "--remove",
            "-z",
            "--stdin",
            env=own_index,
            input=listed_paths,
        )
        listed = run_git(
            repo, "diff", "--cached", "--name-only", "-z", *([head] if head else []), env=own_index
        ).stdout
    except GitFailed as err:
        raise _nothing_committed(err) from err
    return [name for name in listed.split("\0") if name]


def _write_commit(
    repo: Path,
    own_index: Mapping[str, str],
    head: str | None,
    message: str,
    identity: CommitIdentity,
) -> str:
    """Write the tree and the commit, then move the branch from `head` to it."""
    try:
        tree = run_git(repo, "write-tree", env=own_index).stdout.strip()
        parents = ["-p", head] if head else []
        sha = run_git(
            repo, "commit-tree", *_signing(repo), tree, *parents, "-m", message, env=identity.env
        ).stdout.strip()
        # The old value: a commit made meanwhile (a terminal) makes this fail, never lost.
        run_git(repo, "update-ref", "-m", "binder: commit", "HEAD", sha, head or "")
    except GitFailed as err:
        raise _nothing_committed(err) from err
    return sha


def _signing(repo: Path) -> list[str]:
    """``-S`` when the user's own config signs commits, as ``git commit`` would (commit-tree
    reads no ``commit.gpgSign``); the repository's own value is not the user's."""
    listed = run_git(
        repo, "config", "--show-scope", "--bool", "--get-all", "commit.gpgSign", check=False
    ).stdout
    scoped = (line.partition("\t") for line in listed.splitlines())
    own = [value for scope, _, value in scoped if scope not in UNTRUSTED_SCOPES]
    return ["-S"] if own and own[-1] == "true" else []


def _sync_users_index(repo: Path, own_index: Mapping[str, str], staged: list[str]) -> str:
    """The user's index learns that `staged` is committed (their entries from the commit's
    own index, a deleted file's removed); the rest of it stays as it was. A note if not."""
    entries = run_git(repo, "ls-files", "--stage", "-z", env=own_index).stdout
    committed = set(staged)
    records = [r for r in entries.split("\0") if r and r.partition("\t")[2] in committed]
    present = {record.partition("\t")[2] for record in records}
    removed = [f"0 {'0' * 40}\t{path}" for path in staged if path not in present]
    synced = run_git(
        repo,
        "update-index",
        "-z",
        "--index-info",
        input="".join(line + "\0" for line in records + removed),
        check=False,
    )
    if synced.returncode != 0:
        return (
            "The commit is made, but git's index could not be updated to match it, so git "
            "status may still list the committed files: `git reset -- <file>` clears one."
        )
    # Entries written that way carry no file times: refresh them once, or every later git
    # status would read those files again.
    run_git(repo, "update-index", "-q", "--refresh", check=False)
    return ""
