"""Who signs a commit the extension makes when git has no identity here (one rule for the
relaunch's commit of `.resources` and for saving work to GitHub)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from jupyter_binder_ext.common.git_runner import run_git

HOW_TO_SET = (
    'Set yours with: git config --global user.name "Your Name"; '
    "git config --global user.email you@example.com"
)


@dataclass(frozen=True)
class CommitIdentity:
    """The variables for git (empty when git knows who commits) and the sentence saying so."""

    env: dict[str, str] = field(default_factory=dict)
    note: str = ""


def identity_is_set(repo: Path) -> bool:
    """True when git knows who commits (configured, or from GIT_* variables)."""
    return run_git(repo, "var", "GIT_COMMITTER_IDENT", check=False).returncode == 0


def commit_identity(repo: Path, user: str, hub_urls: tuple[str, ...]) -> CommitIdentity:
    """git's own identity when it has one; else the hub user at the hub's host (the first of
    `hub_urls` with a host), for this commit only, and a note that says so and how to set one.
    """
    if identity_is_set(repo):
        return CommitIdentity()
    name = user or "jovyan"
    hosts = (urlparse(url).hostname for url in hub_urls)
    email = f"{name}@{next((host for host in hosts if host), 'localhost')}"
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    note = f"git has no user.name / user.email here, so the commit is signed {name} <{email}>."
    return CommitIdentity(env, f"{note} {HOW_TO_SET}")
