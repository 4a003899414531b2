"""Pushing: which remote and branch a commit goes to, the push itself, and git's refusals
said in plain words. A refused push is not an exception but a :class:`PushResult` with
``ok=False``: the commit is kept, and the answer says why and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jupyter_binder_ext.common.answers import PushFacts
from jupyter_binder_ext.common.git_repo import (
    current_branch,
    default_branch,
    has_remote_branch,
    refuse_option_like,
    remote_url,
    remotes,
    upstream_of,
)
from jupyter_binder_ext.common.git_runner import (
    LOCAL_RECEIVE_PACK,
    PUSH_TIMEOUT,
    GitFailed,
    git_output,
    run_git,
    shown_command,
)
from jupyter_binder_ext.common.git_safety import RECEIVE_PACK
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.common.units import SHA_RE
from jupyter_binder_ext.errors import Conflict


@dataclass(frozen=True)
class PushTarget:
    """Where a push goes: ``git push <remote> HEAD:<ref>``."""

    remote: str
    ref: str
    url: str
    why: str

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/")


class NoPushTarget(Conflict):
    """There is nowhere sensible to push: no remote, or a detached HEAD with no branch."""


def is_commit_like(ref: str) -> bool:
    return bool(SHA_RE.match(ref))


def push_target(repo: Path, launched_branch: str | None = None) -> PushTarget:
    """Where this repository's commits belong, never guessing a branch to overwrite.

    repo2docker clones the default branch and resets it to the launched commit, so a launch
    of branch ``dev`` leaves ``main`` checked out at ``dev``'s commit. A push must then go to
    ``dev`` (the launched branch), not to ``main``. Otherwise the current branch's upstream,
    or the same branch name on ``origin`` (the only remote), is used.
    """
    names = remotes(repo)
    if not names:
        raise NoPushTarget(
            "This repository has no remote to push to. Add one, for example: git remote add "
            "origin git@github.com:OWNER/REPO.git",
            reason="no_remote",
        )
    branch = current_branch(repo)
    if branch:
        refuse_option_like(branch, "the current branch")
    upstream = upstream_of(repo, branch) if branch else None
    remote = upstream[0] if upstream else "origin" if "origin" in names else names[0]
    refuse_option_like(remote, f"remote.{remote}")
    if launched_branch:
        refuse_option_like(launched_branch, "the launched branch")
    if launched_branch and not is_commit_like(launched_branch):
        launched_here = has_remote_branch(repo, remote, launched_branch)
        left_by_repo2docker = branch is None or (
            branch == default_branch(repo, remote)
            and (upstream is None or upstream[1] != f"refs/heads/{launched_branch}")
        )
        if launched_here and left_by_repo2docker:
            return PushTarget(
                remote,
                f"refs/heads/{launched_branch}",
                remote_url(repo, remote),
                f"the launched branch {launched_branch}",
            )
    if upstream:
        return PushTarget(
            upstream[0],
            upstream[1],
            remote_url(repo, upstream[0]),
            f"the upstream of {branch}",
        )
    if branch:
        return PushTarget(
            remote, f"refs/heads/{branch}", remote_url(repo, remote), f"branch {branch}"
        )
    raise NoPushTarget(
        "HEAD is detached (no branch is checked out), so there is no branch to push to. "
        "Create one first, for example: git switch -c my-resources",
        reason="detached",
    )


@dataclass(frozen=True)
class PushResult:
    ok: bool
    remote: str
    url: str
    ref: str
    output: str
    reason: str = ""
    hint: str = ""
    returncode: int | None = 0  # None: git was not run (nowhere to push, or held back)
    command: str = ""

    def to_json(self) -> PushFacts:
        return {
            "ok": self.ok,
            "remote": self.remote,
            "url": self.url,
            "ref": self.ref,
            "branch": self.ref.removeprefix("refs/heads/"),
            "output": self.output,
            "reason": self.reason,
            "hint": self.hint,
            "returncode": self.returncode,
            "command": self.command,
        }


_REASONS = (
    # (reason, patterns in git's output, what to do)
    (
        "rejected",
        ("non-fast-forward", "fetch first", "[rejected]"),
        "The remote branch has commits this repository does not have. Your commit is kept "
        "here. Bring them in with `git pull --rebase`, then relaunch (or `git push`) again; "
        "do not force-push, it would throw those commits away.",
    ),
    (
        "permission",
        (
            "Permission denied",
            "Authentication failed",
            "could not read Username",
            "could not read Password",
            "The requested URL returned error: 403",
            "denied to",
            "Host key verification failed",
        ),
        "The remote refused this notebook's credentials. Add the notebook's public SSH key to "
        "your account (the SSH section shows it), set git up to push over SSH, then relaunch "
        "again. Your commit is kept here.",
    ),
    (
        "remote_rejected",
        ("[remote rejected]", "protected branch", "pre-receive hook declined"),
        "The remote refused the update (a protected branch or a server hook). Push to another "
        "branch, or ask the repository's owner. Your commit is kept here.",
    ),
    (
        "not_found",
        (
            "Repository not found",
            "does not appear to be a git repository",
            "not found",
            "No such file or directory",
        ),
        "The remote repository was not found at that address (or you may not see it). Check "
        "`git remote -v`. Your commit is kept here.",
    ),
    (
        "network",
        (
            "Could not resolve host",
            "Could not resolve hostname",
            "Connection refused",
            "Connection timed out",
            "Network is unreachable",
            "No route to host",
            "Failed to connect",
            "Connection reset",
            "Connection closed",
            "unable to access",
            "Operation timed out",
        ),
        "The remote could not be reached from this notebook. Your commit is kept here; push "
        "it later with `git push`, or relaunch again once the network is back.",
    ),
)


def classify_push_failure(output: str) -> tuple[str, str]:
    """(reason, hint) for a failed push, from git's own output."""
    for reason, patterns, hint in _REASONS:
        if any(pattern.lower() in output.lower() for pattern in patterns):
            return reason, hint
    return "failed", "The push failed; git's message above says why. Your commit is kept here."


def is_local_url(url: str) -> bool:
    """Whether git reaches `url` as a repository on this machine (git's own rule: no ``:``
    before the first ``/``, or ``file://``)."""
    if url.startswith("file://"):
        return True
    if "://" in url:
        return False
    colon, slash = url.find(":"), url.find("/")
    return colon < 0 or 0 <= slash < colon


def push(repo: Path, target: PushTarget, timeout: float | None = None) -> PushResult:
    """``git push <remote> HEAD:<ref>`` (never forced). A refusal is a result, not an error.

    git's own receive-pack is named (the repository's config may name another program), and
    a repository on this machine receives the push without running its hooks.
    """
    refuse_option_like(target.remote, "the remote pushed to")
    refuse_option_like(target.branch, "the branch pushed to")
    receive_pack = LOCAL_RECEIVE_PACK if is_local_url(target.url) else RECEIVE_PACK
    args = (
        "push",
        f"--receive-pack={receive_pack}",
        "--",
        target.remote,
        f"HEAD:{target.ref}",
    )
    timeout = PUSH_TIMEOUT if timeout is None else timeout
    try:
        done = run_git(repo, *args, check=False, timeout=timeout)
    except GitFailed as err:
        return PushResult(
            ok=False,
            remote=target.remote,
            url=target.url,
            ref=target.ref,
            output=err.message,
            reason="timeout" if err.details.get("timed_out") else "failed",
            hint="The remote did not answer in time. Your commit is kept here; push it later "
            "with `git push`.",
            returncode=-1,
            command=shown_command(args),
        )
    output = redact((done.stderr + done.stdout).strip())
    if done.returncode == 0:
        return PushResult(
            True, target.remote, target.url, target.ref, output, command=shown_command(args)
        )
    reason, hint = classify_push_failure(output)
    return PushResult(
        False,
        target.remote,
        target.url,
        target.ref,
        output,
        reason=reason,
        hint=hint,
        returncode=done.returncode,
        command=shown_command(args),
    )


def commits_to_push(repo: Path, target: PushTarget) -> int | None:
    """How many commits ``git push <remote> HEAD:<ref>`` would send, as of the last fetch
    (None when the remote branch was never fetched)."""
    tracking = f"refs/remotes/{target.remote}/{target.branch}"
    if not has_remote_branch(repo, target.remote, target.branch):
        return None
    counted = git_output(repo, "rev-list", "--count", f"{tracking}..HEAD")
    return int(counted) if counted and counted.isdigit() else None
