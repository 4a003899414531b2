"""The check every commit the extension makes runs first: no credential in what it holds.

:func:`scan_commit` is the :class:`.common.git_commit.PreCommitCheck` the work and relaunch
domains give :func:`.common.git_commit.commit_exactly`: it scans the blobs the commit's own
index holds and the message (:mod:`.secret_scan`), and refuses with
:class:`CredentialFound` before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from jupyter_binder_ext.errors import Conflict
from jupyter_binder_ext.work.answers import HeldBackFile
from jupyter_binder_ext.work.secret_scan import Finding, scan_blobs, scan_message, staged_blobs


class CredentialFound(Conflict):
    """A file about to be committed or pushed holds a credential: nothing left."""

    code = "credential_found"


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


def scan_commit(
    repo: Path, index: Mapping[str, str], staged: Sequence[str], message: str
) -> frozenset[str]:
    """Refuse a commit whose files or message hold a credential; the blobs it read."""
    blobs = staged_blobs(repo, dict(index), staged)
    findings = scan_message(message) + scan_blobs(repo, blobs)
    if findings:
        raise credential_refusal(findings, "Nothing was committed or pushed")
    return frozenset(name for name, _ in blobs)
