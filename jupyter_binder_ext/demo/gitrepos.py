"""A local stand-in for GitHub: one bare repository per owner/repo, seeded from the sample.

The demo cannot reach GitHub, so every repository a launch names is served from
``<state>/git/<owner>/<repo>.git``, created on first use from ``sample_repo/``. Clones get
that bare repository as ``origin``, so commits pushed from a demo notebook land there and a
later launch of the new commit finds them, as it would on GitHub.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

SAMPLE_REPO = Path(__file__).parent / "sample_repo"
DEFAULT_BRANCH = "main"
_SAFE_PART = re.compile(r"[^A-Za-z0-9._-]+")
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Binder demo",
    "GIT_AUTHOR_EMAIL": "binder-demo@localhost",
    "GIT_COMMITTER_NAME": "Binder demo",
    "GIT_COMMITTER_EMAIL": "binder-demo@localhost",
}


class GitError(RuntimeError):
    """A git command failed; the message carries git's own words."""


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **_GIT_IDENTITY, "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def bare_repo_path(state_dir: Path, owner: str, repo: str) -> Path:
    owner_part = _SAFE_PART.sub("-", owner).strip(".-") or "owner"
    repo_part = _SAFE_PART.sub("-", repo).strip(".-") or "repo"
    return state_dir / "git" / owner_part / f"{repo_part}.git"


def ensure_bare_repo(state_dir: Path, owner: str, repo: str) -> Path:
    """The bare repository standing in for owner/repo, seeded with the sample on first use."""
    bare = bare_repo_path(state_dir, owner, repo)
    if (bare / "HEAD").exists():
        return bare
    bare.parent.mkdir(parents=True, exist_ok=True)
    # Build in a temporary folder and move into place: a half-made repository never shows.
    with tempfile.TemporaryDirectory(dir=bare.parent) as tmp:
        work = Path(tmp) / "work"
        shutil.copytree(SAMPLE_REPO, work)
        _git("init", "-q", "-b", DEFAULT_BRANCH, cwd=work)
        _git("add", "-A", cwd=work)
        _git("commit", "-q", "-m", f"Sample content for {owner}/{repo}", cwd=work)
        staged = Path(tmp) / "repo.git"
        _git("clone", "-q", "--bare", str(work), str(staged))
        if not (bare / "HEAD").exists():
            staged.rename(bare)
    return bare


def resolve_ref(bare: Path, ref: str) -> str:
    """The full commit SHA that `ref` (branch, tag or SHA) names in `bare`."""
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=bare)
    except GitError as err:
        raise GitError(f"{ref!r} is not a branch, tag or commit of {bare.name}") from err


def checkout(bare: Path, dest: Path, sha: str) -> None:
    """Clone `bare` into `dest` at `sha`, the way repo2docker does (default branch reset)."""
    if (dest / ".git").exists():
        return  # a restarted server keeps its folder
    if dest.exists() and any(dest.iterdir()):
        raise GitError(f"{dest} exists and is not a clone; remove it to relaunch")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        dest.rmdir()
    _git("clone", "-q", str(bare), str(dest))
    _git("reset", "-q", "--hard", sha, cwd=dest)
