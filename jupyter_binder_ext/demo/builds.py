"""The demo's stand-in for BinderHub's builder: image names, and a record of the builds.

BinderHub builds an image per repository and resolved commit; its name is
``{image_prefix}{safe build slug}:{commit}`` with ``_`` made ``-`` and all lower case
(binderhub ``builder.py:404-423``; the slug escaped to ``[a-zA-Z0-9-]`` and suffixed with 6
characters of its SHA-256, ``builder.py:117-140``; a GitHub build slug is ``{user}-{repo}``,
``repoproviders.py:1111-1112``). A launch of a commit whose image exists starts at once; any
other first builds it (minutes on a real BinderHub). The demo builds nothing, but names each
image as BinderHub does and appends a line to ``builds.jsonl`` per launch, saying whether
BinderHub would have built then, so a test or the bench can tell a rebuild from none.

A server runs the files of its image: a launch that brings an image built from another
commit (a relaunch without a rebuild starts the new commit with the running image) gets the
repository as that image holds it, at the image's commit and without any later object
(:func:`checkout_image_commit`), as repo2docker left it in the image.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import string
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import escapism

from jupyter_binder_ext.demo.gitrepos import DEFAULT_BRANCH, GitError, _git

IMAGE_PREFIX = "binder-demo/"
BUILDS_FILE = "builds.jsonl"
_SAFE = set(string.ascii_letters + string.digits)


def _safe_build_slug(build_slug: str, limit: int, hash_length: int = 6) -> str:
    digest = hashlib.sha256(build_slug.encode("utf-8")).hexdigest()[:hash_length]
    escaped = escapism.escape(build_slug, safe=_SAFE, escape_char="-")
    return f"{escaped[: limit - hash_length - 1]}-{digest}".lower()


def image_name(owner: str, repo: str, sha: str, prefix: str = IMAGE_PREFIX) -> str:
    """The image BinderHub builds for github.com/{owner}/{repo} at commit `sha`."""
    slug = _safe_build_slug(f"{owner}-{repo}", limit=255 - len(prefix))
    return f"{prefix}{slug}:{sha}".replace("_", "-").lower()


def commit_of_image(image: str) -> str:
    """The commit an image was built from: its tag (``builder.py:404-423``); "" if none."""
    name = image.rpartition("/")[2]
    tag = name.rpartition(":")[2] if ":" in name else ""
    return tag if len(tag) == 40 and all(c in string.hexdigits for c in tag) else ""


def checkout_image_commit(bare: Path, dest: Path, sha: str) -> None:
    """The repository as an image built from commit `sha` holds it: repo2docker cloned it
    and reset the default branch to `sha` (repo2docker ``contentproviders/git.py``); later
    commits are not in it. Only `sha`'s history is fetched, so nothing newer is there."""
    if (dest / ".git").exists():
        return  # a restarted server keeps its folder
    if dest.exists() and any(dest.iterdir()):
        raise GitError(f"{dest} exists and is not a clone; remove it to relaunch")
    dest.mkdir(parents=True, exist_ok=True)
    remote_ref = f"refs/remotes/origin/{DEFAULT_BRANCH}"
    _git("init", "-q", "-b", DEFAULT_BRANCH, cwd=dest)
    _git("remote", "add", "origin", str(bare), cwd=dest)
    _git("fetch", "-q", "origin", f"{sha}:{remote_ref}", cwd=dest)
    _git("symbolic-ref", "refs/remotes/origin/HEAD", remote_ref, cwd=dest)
    _git("checkout", "-q", "-B", DEFAULT_BRANCH, "--track", f"origin/{DEFAULT_BRANCH}", cwd=dest)


def builds_file(state_dir: Path) -> Path:
    return Path(state_dir) / BUILDS_FILE


def read_builds(state_dir: Path) -> list[dict[str, Any]]:
    """Every launch recorded so far, oldest first."""
    path = builds_file(state_dir)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def record_launch(
    state_dir: Path, image: str, repo_url: str, sha: str, files_commit: str = ""
) -> bool:
    """Note a launch of commit `sha` with `image` (whose files are at `files_commit`, when
    that differs); True when BinderHub would have built it now (first launch)."""
    path = builds_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as records:
        fcntl.flock(records, fcntl.LOCK_EX)  # two spawns of one new commit: one build
        records.seek(0)
        seen = any(json.loads(line).get("image") == image for line in records if line.strip())
        entry = {
            "time": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "image": image,
            "repo_url": repo_url,
            "commit": sha,
            "built": not seen,
            "files_commit": files_commit or sha,
        }
        records.write(json.dumps(entry) + "\n")
    return not seen


# -- the build log ----------------------------------------------------------------------------
# A requirement of this name fails the demo's build at its line, as pip fails on a package no
# index has: the demo's way to show a failed BinderHub build (see the README's demo notes).
FAILING_REQUIREMENT = "demo-build-fails"
_CONFIG_DIRS = ("binder", ".binder")  # repo2docker reads only these when present


def _requirements_file(bare: Path, sha: str) -> tuple[str, list[str]]:
    """The requirements file repo2docker would read at `sha` and its lines ("" if none)."""
    top = _git("ls-tree", "--name-only", sha, cwd=bare).splitlines()
    folder = next((d for d in _CONFIG_DIRS if d in top), "")
    path = f"{folder}/requirements.txt" if folder else "requirements.txt"
    try:
        return path, _git("show", f"{sha}:{path}", cwd=bare).splitlines()
    except GitError:
        return "", []


def demo_build_log(bare: Path, sha: str) -> tuple[list[tuple[str, str]], str]:
    """repo2docker's log lines (phase, message) for building `sha`, and the failure message
    when a requirement named FAILING_REQUIREMENT is in the file ("" when it builds).

    The lines have repo2docker's shapes (its content provider, build pack and Docker steps;
    pip's own error naming the file and line), as BinderHub relays them (builder.py:598-609).
    """
    path, lines = _requirements_file(bare, sha)
    log = [
        ("fetching", "Picked Git content provider.\n"),
        ("fetching", "Cloning into '/tmp/repo2docker'...\n"),
        ("fetching", f"HEAD is now at {sha[:7]}\n"),
        ("building", "Using PythonBuildPack builder\n"),
        ("building", "Step 1/42 : FROM docker.io/library/buildpack-deps:jammy\n"),
        ("building", "Step 35/42 : COPY --chown=1000:1000 src/ ${REPO_DIR}/\n"),
    ]
    pip = f'${{KERNEL_PYTHON_PREFIX}}/bin/pip install --no-cache-dir -r "{path}"'
    if path:
        log.append(("building", f"Step 38/42 : RUN {pip}\n"))
    for number, line in enumerate(lines, start=1):
        name = line.split("#", 1)[0].strip()
        if name.split("=")[0].split("<")[0].split(">")[0].strip() == FAILING_REQUIREMENT:
            log += [
                (
                    "building",
                    f"ERROR: Could not find a version that satisfies the requirement {name} "
                    f"(from -r {path} (line {number})) (from versions: none)\n",
                ),
                ("building", f"ERROR: No matching distribution found for {name}\n"),
            ]
            # Docker's error, which repo2docker logs as phase "failed" (its app.py build()).
            return log, f"The command '/bin/sh -c {pip}' returned a non-zero code: 1"
    log += [
        ("building", "Successfully built 5d2c1e0f9a7b\n"),
        ("pushing", "Pushing image\n"),
    ]
    return log, ""
