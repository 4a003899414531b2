"""Commit exactly the chosen files, after scanning exactly what the commit will hold.

The commit is built in an index of its own (``GIT_INDEX_FILE`` in a temporary folder, read
from HEAD): the chosen files are added there by a pathspec file (NUL separated, so any number
of files and any name git accepts), the blobs it then holds are scanned for credentials
(:mod:`.secret_scan`), and only then are the tree and the commit written and the branch moved
(``update-ref`` with the old value, so a concurrent commit is never overwritten). The user's
own index is touched once, after the commit, to record the committed files as committed;
whatever else the user staged stays staged. A failure before that leaves the repository as
it was.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jupyter_binder_ext.common import git as gitops
from jupyter_binder_ext.errors import Conflict
from jupyter_binder_ext.work.answers import HeldBackFile
from jupyter_binder_ext.work.secret_scan import Finding, scan_blobs, scan_message, staged_blobs


class CredentialFound(Conflict):
    """A file about to be committed or pushed holds a credential: nothing left."""

    code = "credential_found"


@dataclass(frozen=True)
class Committed:
    sha: str
    files: tuple[str, ...]
    author: str
    note: str  # e.g. the index could not be updated after the commit
    scanned: frozenset[str]  # the blobs scanned before committing (a push need not again)


def credential_refusal(findings: list[Finding], done: str) -> CredentialFound:
    """The refusal for `findings`, which never quotes the credential itself. `done` says
    what happened before ("Nothing was committed or pushed")."""
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    entries: list[HeldBackFile] = [finding.entry() for finding in findings]
    return CredentialFound(
        f"{done}: {first.path} holds what looks like {first.what} on line {first.line}{more}. "
        + (
            "Write the message without it."
            if first.path == "the commit message"
            else "Take it out of the file (read it from an environment variable, or from a "
            "file that is never saved such as .env), then save again; or leave the file out."
        ),
        reason="credential_found",
        held_back=entries,
    )


def commit_exactly(
    repo: Path, paths: Sequence[str], message: str, identity: dict[str, str]
) -> Committed | None:
    """Commit `paths` (new, changed or deleted files of `repo`) and nothing else.

    None when none of them differs from HEAD. Raises :class:`CredentialFound` when what would
    be committed holds a credential, :class:`gitops.GitFailed` when git refuses; in both
    cases nothing was committed and the user's index is as it was.
    """
    if not paths:
        return None
    scratch = Path(tempfile.mkdtemp(prefix="binder-commit-"))
    try:
        return _commit_in(repo, scratch, paths, message, identity)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _commit_in(
    repo: Path, scratch: Path, paths: Sequence[str], message: str, identity: dict[str, str]
) -> Committed | None:
    # Paths on standard input, NUL separated: any name, any count (no argument list's limit,
    # and no pathspec matching, which is quadratic in git for tens of thousands of paths).
    listed_paths = "".join(path + "\0" for path in paths)
    own_index = {"GIT_INDEX_FILE": str(scratch / "index")}
    head = gitops.head_sha(repo)
    try:
        gitops.run_git(repo, "read-tree", *([head] if head else ["--empty"]), env=own_index)
        # --add: new files; --remove: deleted ones; each as it is in the work tree now.
        gitops.run_git(
            repo,
            "update-index",
            "--add",
            "--remove",
            "-z",
            "--stdin",
            env=own_index,
            input=listed_paths,
        )
        listed = gitops.run_git(
            repo, "diff", "--cached", "--name-only", "-z", *([head] if head else []), env=own_index
        ).stdout
        staged = [name for name in listed.split("\0") if name]
        if not staged:
            return None
        blobs = staged_blobs(repo, own_index, staged)
        findings = scan_message(message) + scan_blobs(repo, blobs)
        if findings:
            raise credential_refusal(findings, "Nothing was committed or pushed")
        tree = gitops.run_git(repo, "write-tree", env=own_index).stdout.strip()
        parents = ["-p", head] if head else []
        sha = gitops.run_git(
            repo, "commit-tree", "--no-gpg-sign", tree, *parents, "-m", message, env=identity
        ).stdout.strip()
        # The old value: a commit made meanwhile (a terminal) makes this fail, never lost.
        gitops.run_git(repo, "update-ref", "-m", "binder: save", "HEAD", sha, head or "")
    except gitops.GitFailed as err:
        raise gitops.GitFailed(
            f"Nothing was committed or pushed: git commit failed: {_reason(err)} The index was "
            "put back as it was before the save: nothing is left staged by it.",
            **{**err.details, "staged": []},
        ) from err
    note = ""
    # The user's index learns that these files are committed (their entries from the commit's
    # own index, a deleted file's removed); the rest of it stays as it was.
    entries = gitops.run_git(repo, "ls-files", "--stage", "-z", env=own_index).stdout
    committed = set(staged)
    records = [r for r in entries.split("\0") if r and r.partition("\t")[2] in committed]
    present = {record.partition("\t")[2] for record in records}
    removed = [f"0 {'0' * 40}\t{path}" for path in staged if path not in present]
    synced = gitops.run_git(
        repo,
        "update-index",
        "-z",
        "--index-info",
        input="".join(line + "\0" for line in records + removed),
        check=False,
    )
    if synced.returncode == 0:
        # Entries written that way carry no file times: refresh them once, or every later
        # git status would read those files again.
        gitops.run_git(repo, "update-index", "-q", "--refresh", check=False)
    else:
        note = (
            "The commit is made, but git's index could not be updated to match it, so git "
            "status may still list the committed files: `git reset -- <file>` clears one."
        )
    author = gitops.run_git(repo, "log", "-1", "--format=%an <%ae>", sha).stdout.strip()
    return Committed(sha, tuple(staged), author, note, frozenset(name for name, _ in blobs))


def _reason(err: gitops.GitFailed) -> str:
    text = err.message.removeprefix("git ").split(" failed: ", 1)[-1]
    return text if text.endswith((".", "!", "?")) else text + "."
