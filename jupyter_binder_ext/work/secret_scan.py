"""Credentials in what is about to be committed or pushed, found by pattern, as GitHub's push
protection finds them: a hit stops the save with the file and line, and nothing leaves.

The patterns are the documented, fixed-format ones (a false alarm costs a save, a miss
publishes a token): GitHub's token prefixes, GitLab's personal access tokens, AWS access key
IDs, Slack tokens and webhooks, Google API keys, Hugging Face tokens, PEM and OpenSSH private
keys, and a password in a URL (``scheme://user:password@host``). The match itself is never
returned, logged or shown: only which kind it looks like and where.

Blobs are read from git (``cat-file --batch``, streamed in chunks) so what is scanned is
exactly what a commit or push sends; files of the work tree are read the same way.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from jupyter_binder_ext.common import git_runner
from jupyter_binder_ext.common.git_runner import git_command, git_env, kill_group, run_git
from jupyter_binder_ext.work.answers import HeldBackFile
from jupyter_binder_ext.work.private import PRIVATE_KEY_CONTENT


@dataclass(frozen=True)
class _Kind:
    """One kind of credential: the literal text every match holds (found with a fast
    ``bytes.find``), and the pattern checked only around each place that text is."""

    what: str
    anchors: tuple[bytes, ...]
    pattern: re.Pattern[bytes]
    before: int = 0  # how far before the anchor a match may start
    # A byte that must follow the anchor before any of the stop bytes (a password in a URL
    # needs an "@" before the first "/" or space): most URLs are passed over at that cost.
    needs: bytes = b""
    stops: re.Pattern[bytes] | None = None


def _kind(
    what: str, anchors: tuple[bytes, ...], pattern: bytes, before: int = 0, needs: bytes = b""
) -> _Kind:
    stops = re.compile(rb"[\s/]") if needs else None
    return _Kind(what, anchors, re.compile(pattern), before, needs, stops)


def _may_match(kind: _Kind, data: bytes, after: int, end: int) -> bool:
    if not kind.needs or kind.stops is None:
        return True
    needed = data.find(kind.needs, after, end)
    if needed == -1:
        return False
    return kind.stops.search(data, after, needed) is None


# Bounded quantifiers only: a match is at most _WINDOW bytes long.
_KINDS: tuple[_Kind, ...] = (
    _kind(
        "a GitHub token",
        (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"),
        rb"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b",
    ),
    _kind(
        "a GitHub fine-grained token",
        (b"github_pat_",),
        rb"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b",
    ),
    _kind("a GitLab token", (b"glpat-",), rb"\bglpat-[A-Za-z0-9_-]{20}\b"),
    _kind(
        "an AWS access key ID",
        (b"AKIA", b"ASIA", b"ABIA", b"ACCA"),
        rb"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
    ),
    _kind("a Slack token", (b"xox",), rb"\bxox[abposr]-[A-Za-z0-9-]{10,200}"),
    _kind(
        "a Slack webhook",
        (b"hooks.slack.com/services/",),
        rb"https://hooks\.slack\.com/services/T[A-Za-z0-9_]{6,20}/B[A-Za-z0-9_]{6,20}/\w{20,40}",
        before=8,
    ),
    _kind("a Google API key", (b"AIza",), rb"\bAIza[0-9A-Za-z_-]{35}\b"),
    _kind("a Hugging Face token", (b"hf_",), rb"\bhf_[A-Za-z]{34}\b"),
    _kind(
        "an OpenAI API key",
        (b"sk-",),
        rb"\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,300}"
        rb"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
    ),
    _kind(
        "an Anthropic API key", (b"sk-ant-",), rb"\bsk-ant-[a-z]{3,6}\d{2}-[A-Za-z0-9_-]{20,300}"
    ),
    _kind("a Stripe secret key", (b"sk_live_", b"rk_live_"), rb"\b[rs]k_live_[A-Za-z0-9]{20,247}"),
    _kind(
        "a PyPI token", (b"pypi-AgEIcHlwaS5vcmc",), rb"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,300}"
    ),
    _kind("an npm token", (b"npm_",), rb"\bnpm_[A-Za-z0-9]{36}\b"),
    _kind("a Databricks token", (b"dapi",), rb"\bdapi[a-f0-9]{32}(?:-\d)?\b"),
    _kind(
        "a private key",
        (b"PRIVATE KEY", b"PuTTY-User-Key-File-"),
        PRIVATE_KEY_CONTENT.pattern,  # the rule's own (work/private.py)
        before=80,
    ),
    # scheme://user:password@host, not a placeholder (${X}, {x}, <x>, ***, $VAR).
    _kind(
        "a password in a URL",
        (b"://",),
        rb"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s/:@'\"<>{}$]{1,200}:"
        rb"(?![*x]{3,}@|\$|\{|<|password@|pass@)[^\s/:@'\"<>{}]{1,200}@[A-Za-z0-9.-]{1,253}",
        before=22,
        needs=b"@",
    ),
)
_CHUNK = 1 << 20
# The longest match any kind can make; a chunk's tail this long is scanned again with the
# next chunk, so a credential across two chunks is seen.
_WINDOW = 1024
_OVERLAP = _WINDOW + 128
# git's own test for binary content: a NUL byte among the first 8000 bytes.
_BINARY_PROBE = 8000
# At most this many findings are reported (a leaked .env file can hold hundreds).
MAX_FINDINGS = 50


def _matches(data: bytes) -> list[tuple[int, str]]:
    """(start, what) of every credential in `data`, in order. Each kind's pattern is tried
    only where it could start around a place its literal text is (at most `before` bytes
    earlier): linear in the input, and fast where there is nothing to find."""
    found: dict[int, str] = {}
    for kind in _KINDS:
        for anchor in kind.anchors:
            at = data.find(anchor)
            while at != -1:
                end = min(at + _WINDOW, len(data))
                if not _may_match(kind, data, at + len(anchor), end):
                    at = data.find(anchor, at + 1)
                    continue
                for start in range(max(at - kind.before, 0), at + 1):
                    match = kind.pattern.match(data, start, end)
                    if match is not None and match.end() > at:
                        found.setdefault(start, kind.what)
                        break
                at = data.find(anchor, at + 1)
    return sorted(found.items())


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str  # "a GitHub token": the kind, never the text

    def entry(self) -> HeldBackFile:
        return {
            "path": self.path,
            "rule": "secret",
            "line": self.line,
            "message": f"{self.what} on line {self.line}",
        }


def scan_stream(stream: IO[bytes], size: int | None = None) -> Iterator[tuple[int, str]]:
    """(line, what) of every credential in `stream` (read to its end, or `size` bytes).

    Binary content (a NUL byte in the first 8000 bytes: git's own rule, and GitHub's push
    protection scans text only) is read through but not scanned.
    """
    left = size
    carry = b""
    line = 1  # the line where `carry` starts
    binary = False
    while left is None or left > 0:
        chunk = stream.read(_CHUNK if left is None else min(_CHUNK, left))
        if not chunk:
            break
        if left is not None:
            left -= len(chunk)
        if line == 1 and not carry and b"\0" in chunk[:_BINARY_PROBE]:
            binary = True
        if binary:
            continue
        data = carry + chunk
        # Matches starting in the kept tail are found again with the next chunk.
        cut = max(len(data) - _OVERLAP, 0) if (left is None or left > 0) else len(data)
        for start, what in _matches(data):
            if start >= cut:
                break
            yield line + data.count(b"\n", 0, start), what
        line += data.count(b"\n", 0, cut)
        carry = data[cut:]
    if carry:
        for start, what in _matches(carry):
            yield line + carry.count(b"\n", 0, start), what


def scan_file(path: Path, shown: str) -> list[Finding]:
    """Credentials in the file at `path` (a link is not followed; not a file: nothing)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return []
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return []
        found = (Finding(shown, line, what) for line, what in scan_stream(stream))
        return list(itertools.islice(found, MAX_FINDINGS))


def scan_blobs(repo: Path, blobs: Iterable[tuple[str, str]]) -> list[Finding]:
    """Credentials in git's blobs, as (object name, path) pairs: exactly what a commit or a
    push sends. One ``git cat-file --batch`` streams them all."""
    wanted = list(blobs)
    if not wanted:
        return []
    findings: list[Finding] = []
    proc = subprocess.Popen(
        git_command(repo, "cat-file", "--batch"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=git_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for sha, path in wanted:
            proc.stdin.write(sha.encode("ascii") + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) != 3:  # "<sha> missing": nothing to send either
                continue
            size = int(header[2])
            for line, what in scan_stream(proc.stdout, size):
                if len(findings) < MAX_FINDINGS:
                    findings.append(Finding(path, line, what))
            proc.stdout.read(1)  # the newline after each object
        proc.stdin.close()
        proc.wait(timeout=git_runner.GIT_TIMEOUT)
    finally:
        kill_group(proc.pid)
        proc.wait()
    return findings


def staged_blobs(repo: Path, env: dict[str, str], paths: Iterable[str]) -> list[tuple[str, str]]:
    """(object name, path) of each of `paths` as the index in `env` holds it."""
    listed = run_git(repo, "ls-files", "--stage", "-z", env=env).stdout
    chosen = set(paths)
    found = []
    for record in listed.split("\0"):
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if path in chosen and len(fields) == 3 and fields[0] != "160000":
            found.append((fields[1], path))
    return found


def pushed_blobs(repo: Path, remote: str) -> list[tuple[str, str]]:
    """(object name, path) of every file version that the commits on HEAD which `remote` does
    not have (as of the last fetch) bring: what a push of HEAD there sends. Another remote
    having them does not count: it is not where they go."""
    listed = run_git(
        repo,
        "rev-list",
        "--objects",
        "--filter=object:type=blob",
        "HEAD",
        "--not",
        f"--remotes={remote}",
    ).stdout
    blobs = []
    for line in listed.splitlines():
        sha, _, path = line.partition(" ")
        if path:  # commits carry no path; blobs do
            blobs.append((sha, path))
    return blobs


def scan_message(message: str, commit: str = "") -> list[Finding]:
    """Credentials in a commit message (what a push publishes too)."""
    where = f"the message of commit {commit[:12]}" if commit else "the commit message"
    found = scan_stream(io.BytesIO(message.encode("utf-8", "replace")))
    return [Finding(where, line, what) for line, what in itertools.islice(found, MAX_FINDINGS)]


def pushed_messages(repo: Path, remote: str) -> list[Finding]:
    """Credentials in the messages of the commits a push of HEAD to `remote` sends."""
    listed = run_git(
        repo, "log", "-z", "--format=%H%n%B", "HEAD", "--not", f"--remotes={remote}"
    ).stdout
    findings: list[Finding] = []
    for record in filter(None, listed.split("\0")):
        sha, _, message = record.partition("\n")
        findings.extend(scan_message(message, sha))
    return findings[:MAX_FINDINGS]


def scan_push(repo: Path, remote: str, scanned: frozenset[str] = frozenset()) -> list[Finding]:
    """Credentials in what a push of HEAD to `remote` would send: the file versions and the
    messages of the commits it lacks. Blobs in `scanned` (a commit just made, scanned then)
    are not read again."""
    blobs = [blob for blob in pushed_blobs(repo, remote) if blob[0] not in scanned]
    return (scan_blobs(repo, blobs) + pushed_messages(repo, remote))[:MAX_FINDINGS]
