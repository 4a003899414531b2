"""The git objects a commit adds over another, carried as data and written back elsewhere.

A relaunch without a rebuild starts the new server from the running image, whose repository
is at the image's commit. The new commit differs from it only in ``.resources``, so the few
objects it adds (its commit, its trees, the new blob; those of any ``.resources``-only
commit in between) travel in the new server's ``user_options``, and the extension there
writes them back with ``git hash-object -w``: git names an object by the hash of its bytes,
so equal bytes give the same sha, checked for every object before anything else happens.
No network is needed. Objects are bytes (trees are binary), so these commands run here with
the git runner's rules (:func:`.common.git.git_command`, :func:`.common.git.git_env`, its
time limit, the process group killed on timeout) but with bytes in and out.
"""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common import git_runner

OBJECT_TYPES = ("blob", "tree", "commit")
FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 and SHA-256 repositories
# user_options are stored in the hub's database: a .resources change needs a few hundred
# bytes, so anything near this cap is not a .resources-only change worth carrying.
MAX_PAYLOAD_BYTES = 64 * 1024


class ObjectsFailed(Exception):
    """The objects could not be read or written; the message says which and why."""


def run_git_bytes(repo: Path, *args: str, stdin: bytes = b"") -> bytes:
    """``git -C repo args...`` with bytes in and out; raises :class:`ObjectsFailed`."""
    command = git_runner.git_command(repo, *args)
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env=git_runner.git_env(),
        )
    except FileNotFoundError as err:
        raise ObjectsFailed("git is not installed in this image.") from err
    try:
        out, errors = proc.communicate(stdin, timeout=git_runner.GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        git_runner.kill_group(proc.pid)
        proc.communicate()
        raise ObjectsFailed(
            f"git {args[0]} did not finish within {git_runner.GIT_TIMEOUT:g} s"
        ) from None
    except BaseException:
        git_runner.kill_group(proc.pid)
        proc.wait()
        raise
    if proc.returncode != 0:
        message = errors.decode("utf-8", "replace").strip().splitlines()
        raise ObjectsFailed(f"git {args[0]} failed: {message[-1] if message else '(no output)'}")
    return out


def objects_between(repo: Path, have: str, want: str) -> list[dict[str, str]]:
    """Every object reachable from `want` but not from `have`: [{sha, type, data (base64)}],
    blobs and trees before the commits that name them."""
    listed = run_git_bytes(repo, "rev-list", "--objects", want, "--not", have, "--")
    shas = [line.split(b" ", 1)[0] for line in listed.splitlines() if line.strip()]
    if not shas:
        return []
    batch = run_git_bytes(repo, "cat-file", "--batch", stdin=b"\n".join(shas) + b"\n")
    found: list[dict[str, str]] = []
    at = 0
    for _ in shas:
        end = batch.index(b"\n", at)
        sha, kind, size = batch[at:end].decode("ascii").split(" ")
        data = batch[end + 1 : end + 1 + int(size)]
        at = end + 1 + int(size) + 1  # the content is followed by a newline
        found.append({"sha": sha, "type": kind, "data": base64.b64encode(data).decode("ascii")})
    order = {kind: i for i, kind in enumerate(OBJECT_TYPES)}
    return sorted(found, key=lambda obj: order.get(obj["type"], len(order)))


def payload_size(objects: Sequence[Mapping[str, str]]) -> int:
    return sum(len(obj.get("data", "")) for obj in objects)


def write_objects(repo: Path, objects: Sequence[Any]) -> list[str]:
    """Write each object with ``git hash-object -w``; raises :class:`ObjectsFailed` (naming
    the object) when one is malformed or its bytes do not hash to the sha it claims."""
    written: list[str] = []
    for index, obj in enumerate(objects):
        if not isinstance(obj, Mapping):
            raise ObjectsFailed(f"object {index} is not an object")
        sha, kind, data = obj.get("sha"), obj.get("type"), obj.get("data")
        if not (isinstance(sha, str) and FULL_SHA.fullmatch(sha)) or kind not in OBJECT_TYPES:
            raise ObjectsFailed(f"object {index} has no valid sha or type")
        try:
            raw = base64.b64decode(str(data), validate=True)
        except ValueError as err:
            raise ObjectsFailed(f"object {sha} is not valid base64") from err
        # Hashed first, written only when the bytes are the object they claim to be.
        for write in ((), ("-w",)):
            made = run_git_bytes(repo, "hash-object", *write, "-t", str(kind), "--stdin", stdin=raw)
            made_sha = made.decode("ascii", "replace").strip()
            if made_sha != sha:
                raise ObjectsFailed(f"object {sha} hashes to {made_sha}, not to its own sha")
        written.append(sha)
    return written
