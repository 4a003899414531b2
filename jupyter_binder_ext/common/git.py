"""Transitional: the names of the former ``common/git.py``, now split by job into
:mod:`.git_runner` (running git), :mod:`.git_repo` (what a repository looks like) and
:mod:`.git_push` (pushing). ``commit_file`` is the one piece still here.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.git_identity import identity_is_set
from jupyter_binder_ext.common.git_push import *  # noqa: F403
from jupyter_binder_ext.common.git_repo import *  # noqa: F403
from jupyter_binder_ext.common.git_repo import current_branch, head_sha, refuse_during_operation
from jupyter_binder_ext.common.git_runner import *  # noqa: F403
from jupyter_binder_ext.common.git_runner import git_output, run_git
from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.errors import Conflict

# -- commit one file ------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitResult:
    sha: str
    message: str
    branch: str | None
    created: bool
    author: str = ""
    note: str = ""
    files: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["short_sha"] = short_sha(self.sha)
        data["files"] = list(self.files)
        return data


def commit_file(
    repo: Path,
    path: Path,
    message: str,
    fallback_identity: tuple[str, str] | None = None,
) -> CommitResult:
    """Commit `path` alone on the current branch; everything else is left as it was.

    Other staged changes stay staged and uncommitted, unstaged and untracked files stay
    untouched (``git commit --only -- path``). When the file does not differ from HEAD, no
    commit is made and HEAD is returned with ``created=False``. When git has no identity,
    `fallback_identity` (name, email) is used for this one commit, and the note says so.
    """
    relative = _relative(repo, path)
    branch = current_branch(repo)
    refuse_during_operation(repo, "nothing was committed")
    tracked = run_git(repo, "ls-files", "--error-unmatch", "--", relative, check=False)
    exists = path.exists()
    if exists:
        # --force: the site needs the file in the repository even if .gitignore matches it.
        run_git(repo, "add", "--force", "--", relative)
    elif tracked.returncode != 0:
        return CommitResult(head_sha(repo) or "", "", branch, False, files=())
    if (
        head_sha(repo) is not None
        and not run_git(repo, "status", "--porcelain", "--", relative).stdout.strip()
    ):
        return CommitResult(head_sha(repo) or "", "", branch, False, files=(relative,))
    extra: dict[str, str] = {}
    note = ""
    if not identity_is_set(repo) and fallback_identity:
        name, email = fallback_identity
        extra = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
        note = (
            f"git has no user.name / user.email here, so the commit is signed {name} <{email}>."
            ' Set yours with: git config --global user.name "Your Name"; '
            "git config --global user.email you@example.com"
        )
    run_git(repo, "commit", "--only", "--quiet", "-m", message, "--", relative, env=extra)
    sha = head_sha(repo) or ""
    author = git_output(repo, "log", "-1", "--format=%an <%ae>", sha) or ""
    return CommitResult(sha, message, branch, True, author=author, note=note, files=(relative,))


def _relative(repo: Path, path: Path) -> str:
    real_repo = Path(os.path.realpath(repo))
    real_path = Path(os.path.realpath(path.parent)) / path.name
    try:
        return real_path.relative_to(real_repo).as_posix()
    except ValueError:
        raise Conflict(
            f"{path} is outside the git repository {repo}; it cannot be committed there.",
            path=str(path),
        ) from None
