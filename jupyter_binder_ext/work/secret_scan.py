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

import itertools
import os
import re
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from jupyter_binder_ext.common import git as gitops
from jupyter_binder_ext.work.answers import HeldBackFile

# (what it is, pattern). Bounded quantifiers only: a scan is linear in the input.
_PATTERNS: tuple[tuple[str, bytes], ...] = (
    ("a GitHub token", rb"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b"),
    ("a GitHub fine-grained token", rb"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b"),
    ("a GitLab token", rb"\bglpat-[A-Za-z0-9_-]{20}\b"),
    ("an AWS access key ID", rb"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    ("a Slack token", rb"\bxox[abposr]-[A-Za-z0-9-]{10,200}"),
    (
        "a Slack webhook",
        rb"https://hooks\.slack\.com/services/T[A-Za-z0-9_]{6,20}/B[A-Za-z0-9_]{6,20}/\w{20,40}",
    ),
    ("a Google API key", rb"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("a Hugging Face token", rb"\bhf_[A-Za-z]{34}\b"),
    (
        "a private key",
        rb"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----",
    ),
    # scheme://user:password@host, not a placeholder (${X}, {x}, <x>, ***, $VAR).
    (
        "a password in a URL",
        rb"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s/:@'\"<>{}$]{1,200}:"
        rb"(?![*x]{3,}@|\$|\{|<|password@|pass@)[^\s/:@'\"<>{}]{1,200}@[A-Za-z0-9.-]{1,253}",
    ),
)
_SCANNER = re.compile(b"|".join(b"(" + pattern + b")" for _what, pattern in _PATTERNS))
_CHUNK = 1 << 20
# Patterns are at most this long: a chunk's tail is kept so a match across two chunks is seen.
_OVERLAP = 1024
# At most this many findings are reported (a leaked .env file can hold hundreds).
MAX_FINDINGS = 50


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
    """(line, what) of every credential in `stream` (read to its end, or `size` bytes)."""
    left = size
    carry = b""
    line = 1  # the line where `carry` starts
    while left is None or left > 0:
        chunk = stream.read(_CHUNK if left is None else min(_CHUNK, left))
        if not chunk:
            break
        if left is not None:
            left -= len(chunk)
        data = carry + chunk
        # Matches starting in the kept tail are found again with the next chunk.
        cut = max(len(data) - _OVERLAP, 0) if (left is None or left > 0) else len(data)
        for match in _SCANNER.finditer(data):
            if match.start() >= cut:
                break
            yield line + data.count(b"\n", 0, match.start()), _what(match)
        line += data.count(b"\n", 0, cut)
        carry = data[cut:]
    if carry:
        for match in _SCANNER.finditer(carry):
            yield line + carry.count(b"\n", 0, match.start()), _what(match)


def _what(match: re.Match[bytes]) -> str:
    return _PATTERNS[(match.lastindex or 1) - 1][0]


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
        gitops.git_command(repo, "cat-file", "--batch"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=gitops.git_env(),
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
        proc.wait(timeout=gitops.GIT_TIMEOUT)
    finally:
        gitops.kill_group(proc.pid)
        proc.wait()
    return findings


def staged_blobs(repo: Path, env: dict[str, str], paths: Iterable[str]) -> list[tuple[str, str]]:
    """(object name, path) of each of `paths` as the index in `env` holds it."""
    listed = gitops.run_git(repo, "ls-files", "--stage", "-z", env=env).stdout
    chosen = set(paths)
    found = []
    for record in listed.split("\0"):
        meta, _, path = record.partition("\t")
        fields = meta.split()
        if path in chosen and len(fields) == 3 and fields[0] != "160000":
            found.append((fields[1], path))
    return found


def pushed_blobs(repo: Path, exclude: list[str]) -> list[tuple[str, str]]:
    """(object name, path) of every file version the commits on HEAD that are not in
    `exclude` (remote refs; ``--remotes`` for all) bring: what a push of HEAD sends."""
    listed = gitops.run_git(
        repo, "rev-list", "--objects", "--filter=object:type=blob", "HEAD", "--not", *exclude
    ).stdout
    blobs = []
    for line in listed.splitlines():
        sha, _, path = line.partition(" ")
        if path:  # commits carry no path; blobs do
            blobs.append((sha, path))
    return blobs


def scan_push(repo: Path) -> list[Finding]:
    """Credentials in what a push of HEAD would send: every file version of the commits no
    remote branch has (as of the last fetch)."""
    return scan_blobs(repo, pushed_blobs(repo, ["--remotes"]))
