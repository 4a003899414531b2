"""What a repository looks like: its root, branch, HEAD, remotes, upstream, changes, and
whether a merge or rebase is under way. Every question runs git through :mod:`.git_runner`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.git_runner import git_output, run_git
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.errors import Conflict


def repo_root(path: Path | str) -> Path | None:
    """The top folder of the git work tree holding `path`, or None outside any."""
    folders = repo_folders(path)
    return folders[0] if folders else None


def repo_folders(path: Path | str) -> tuple[Path, Path] | None:
    """(the work tree's top folder, git's own folder) of the repository holding `path`, in
    one git call; None outside any."""
    folder = Path(path)
    while not folder.is_dir():
        if folder.parent == folder:
            return None
        folder = folder.parent
    found = (git_output(folder, "rev-parse", "--show-toplevel", "--absolute-git-dir") or "").split(
        "\n"
    )
    return (Path(found[0]), Path(found[1])) if len(found) == 2 and all(found) else None


def current_branch(repo: Path) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    return git_output(repo, "symbolic-ref", "--quiet", "--short", "HEAD") or None


def head_sha(repo: Path) -> str | None:
    return git_output(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}") or None


def remotes(repo: Path) -> list[str]:
    out = git_output(repo, "remote") or ""
    return [line.strip() for line in out.splitlines() if line.strip()]


def remote_url(repo: Path, remote: str) -> str:
    """The URL a push to `remote` goes to (pushurl / insteadOf applied), credentials hidden."""
    url = git_output(repo, "remote", "get-url", "--push", remote) or ""
    return redact(url)


def config_value(repo: Path, key: str) -> str | None:
    return git_output(repo, "config", "--get", key) or None


def refuse_option_like(name: str, key: str) -> None:
    """A :class:`Conflict` for a remote or branch name git would read as an option; `key`
    says where the name came from (``branch.main.remote``, ``the launched branch``...)."""
    if name.startswith("-"):
        raise Conflict(
            f"{key} is {name!r}, which starts with '-': git would read it as an option. "
            "Nothing was done; rename it (or fix .git/config) first.",
            reason="option_like_name",
            key=key,
        )


def upstream_of(repo: Path, branch: str) -> tuple[str, str] | None:
    """(remote, refs/heads/x) the branch tracks, or None."""
    remote = config_value(repo, f"branch.{branch}.remote")
    merge = config_value(repo, f"branch.{branch}.merge")
    if not remote or not merge or remote == ".":
        return None
    refuse_option_like(remote, f"branch.{branch}.remote")
    refuse_option_like(merge, f"branch.{branch}.merge")
    return remote, merge


def default_branch(repo: Path, remote: str) -> str | None:
    """The remote's default branch as the clone recorded it (``refs/remotes/origin/HEAD``)."""
    ref = git_output(repo, "symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD")
    prefix = f"refs/remotes/{remote}/"
    return ref[len(prefix) :] if ref and ref.startswith(prefix) else None


def has_remote_branch(repo: Path, remote: str, branch: str) -> bool:
    return (
        run_git(
            repo, "show-ref", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}", check=False
        ).returncode
        == 0
    )


def changed_paths(repo: Path) -> list[str]:
    """``git status --porcelain`` lines (staged, unstaged and untracked), as git prints them."""
    out = run_git(repo, "status", "--porcelain", "--untracked-files=all").stdout
    return [line for line in out.splitlines() if line]


def operation_in_progress(repo: Path) -> str | None:
    """A merge, rebase, cherry-pick or revert left unfinished (git refuses partial commits)."""
    for name, what in (
        ("MERGE_HEAD", "a merge"),
        ("rebase-merge", "a rebase"),
        ("rebase-apply", "a rebase"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ("REVERT_HEAD", "a revert"),
    ):
        path = git_output(repo, "rev-parse", "--git-path", name)
        if path and (repo / path).exists():
            return what
    return None


def refuse_during_operation(repo: Path, nothing_done: str) -> None:
    """A :class:`Conflict` while a merge, rebase, cherry-pick... is under way: the user
    finishes it first. `nothing_done` ends the message ("nothing was committed")."""
    in_progress = operation_in_progress(repo)
    if in_progress:
        raise Conflict(
            f"The repository is in the middle of {in_progress}: finish or abort it first "
            f"(git status says how); {nothing_done}.",
            in_progress=in_progress,
        )


def status(repo: Path) -> dict[str, Any]:
    """A summary for messages and tests: branch, HEAD, upstream, changed paths."""
    branch = current_branch(repo)
    upstream = upstream_of(repo, branch) if branch else None
    return {
        "root": str(repo),
        "branch": branch,
        "detached": branch is None,
        "head": head_sha(repo),
        "upstream": f"{upstream[0]}/{upstream[1].removeprefix('refs/heads/')}"
        if upstream
        else None,
        "remotes": remotes(repo),
        "changes": changed_paths(repo),
        "in_progress": operation_in_progress(repo),
    }
