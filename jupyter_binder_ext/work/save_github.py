"""``POST work/save {"to": "github"}``: commit the chosen files, then push, never forced.

Synchronous (the service runs it off the event loop). Where the push goes is settled before
anything is committed; when the branch moved on, the commits go to a new branch, named in the
answer. A failure half-way says what was done.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

from jupyter_binder_ext.common import git as gitops
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import Conflict, InvalidInput
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.relaunch.answers import CommitFacts, PushFacts
from jupyter_binder_ext.work.answers import SaveAnswer
from jupyter_binder_ext.work.changes import git_changes
from jupyter_binder_ext.work.scan import launched_branch, locate
from jupyter_binder_ext.work.selection import some



def _identity_env(repo: Path, launch: LaunchInfo) -> tuple[dict[str, str], str]:
    if gitops.identity_is_set(repo):
        return {}, ""
    name = launch.user or os.environ.get("USER", "") or "jovyan"
    email = f"{name}@users.noreply.binder"
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    return env, f"git has no user.name / user.email here, so the commit is signed {name} <{email}>."


def _commit(
    repo: Path, launch: LaunchInfo, paths: Sequence[str], message: str
) -> CommitFacts | None:
    """Commit exactly `paths` (new, changed or deleted); other staged changes stay staged.

    When the commit fails, the index is put back as it was before (``read-tree`` of the tree
    written first), so a failed save leaves nothing staged that the user did not stage.
    """
    if not paths:
        return None
    try:
        before = gitops.run_git(repo, "write-tree").stdout.strip()
    except gitops.GitFailed as err:  # e.g. unresolved conflicts in the index
        raise gitops.GitFailed(
            f"Nothing was committed or pushed: {err.message}", **err.details
        ) from err
    staged: list[str] = []
    try:
        gitops.run_git(repo, "add", "--all", "--", *paths)
        # -z: names as they are (no quoting of spaces or non-ASCII), split on NUL.
        listed = gitops.run_git(repo, "diff", "--cached", "--name-only", "-z", "--", *paths)
        staged = [name for name in listed.stdout.split("\0") if name]
        if not staged:
            return None
        env, note = _identity_env(repo, launch)
        gitops.run_git(repo, "commit", "--quiet", "--only", "-m", message, "--", *paths, env=env)
    except gitops.GitFailed as err:
        raise _commit_failed(repo, before, staged or list(paths), err) from err
    sha = gitops.head_sha(repo) or ""
    result = gitops.CommitResult(
        sha,
        message,
        gitops.current_branch(repo),
        True,
        author=gitops.run_git(repo, "log", "-1", "--format=%an <%ae>").stdout.strip(),
        note=note,
        files=tuple(staged),
    )
    return cast(CommitFacts, result.to_json())


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _commit_failed(
    repo: Path, tree: str, staged: list[str], err: gitops.GitFailed
) -> gitops.GitFailed:
    """The error of a failed commit, after putting the index back; it says which it did."""
    details = dict(err.details)
    try:
        gitops.run_git(repo, "read-tree", tree)
    except gitops.GitFailed as restore:
        details["staged"] = staged[:100]
        return gitops.GitFailed(
            f"Nothing was committed or pushed: {_sentence(err.message)} Putting the index "
            "back failed "
            f"too ({restore.message}), so these files are staged now: {some(staged)} "
            "(`git restore --staged <file>` unstages one).",
            **details,
        )
    # read-tree drops the index's file times: refresh them, or git would re-read every file.
    gitops.run_git(repo, "update-index", "-q", "--refresh", check=False)
    details["staged"] = []
    return gitops.GitFailed(
        f"Nothing was committed or pushed: {_sentence(err.message)} The index was put back "
        "as it was before the save: nothing is left staged by it.",
        **details,
    )


def new_branch_name(branch: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    return f"{branch or 'work'}-binder-{stamp}"


def save_to_github(
    site: SiteConfig,
    launch: LaunchInfo,
    home: Path,
    paths: list[str] | None,
    message: str | None,
) -> SaveAnswer:
    layout = locate(site, launch, home)
    repo = layout.repo
    if repo is None:
        raise Conflict(
            f"{site.repo_path()} is not in a git repository: there is nothing to push.",
            reason="not_a_repository",
        )
    gitops.refuse_during_operation(repo, "nothing was committed or pushed")
    # Every changed file, not the panel's capped list; never a key, token or Jupyter's state.
    changed = [path for path, _status in layout.work_changes(git_changes(repo))]
    chosen = changed if paths is None else paths
    if paths is not None:
        private = [p for p in paths if layout.private.covers(repo / p)]
        if private:
            raise InvalidInput(
                f"{some(private)} {'holds' if len(private) == 1 else 'hold'} keys, tokens or "
                "Jupyter's own state, which are never committed. Nothing was committed.",
                paths=private[:100],
            )
        known = set(changed)
        not_repo = [p for p in paths if p not in known and not os.path.lexists(repo / p)]
        if not_repo:
            outside = all(
                not layout.outside_note and os.path.lexists(layout.outside_root / p)
                for p in not_repo
            )
            what = "outside the repository" if outside else "not in the repository"
            raise InvalidInput(
                f"Only files of the repository can be committed; {some(not_repo)} "
                f"{'is' if len(not_repo) == 1 else 'are'} {what}. Nothing was committed.",
                paths=not_repo[:100],
            )
    # Where the push goes is settled before anything is committed.
    target = gitops.push_target(repo, launched_branch(launch))
    commit = None
    if message is not None and message.strip():
        commit = _commit(repo, launch, chosen, message.strip())
    committed = set(commit["files"]) if commit else set()
    left = [p for p in changed if p not in committed]
    answer: SaveAnswer = {
        "to": "github",
        "ok": False,
        "message": "",
        "folder": None,
        "created_folder": False,
        "copied": [],
        "skipped": [],
        "commit": commit,
        "push": None,
        "new_branch": None,
        "left_uncommitted": left,
        "created_link": None,
        "not_tried": 0,
    }
    from jupyter_binder_ext.work.changes import unpushed_commits

    pending = unpushed_commits(repo, launched_branch(launch))
    said = _commit_text(commit, message)
    if pending["count"] == 0:
        answer["ok"] = True
        answer["message"] = (
            said
            + "Nothing to push: every commit is already on "
            + (f"{pending['compared_with']}." + _left_text(left))
        )
        return answer
    first = gitops.push(repo, target)
    answer["push"] = cast(PushFacts, first.to_json())
    if first.ok:
        answer["ok"] = True
        answer["message"] = (
            said + f"Pushed {pending['count']} commit{'s' if pending['count'] != 1 else ''} "
            f"to {target.branch} on {target.remote}." + _left_text(left)
        )
        return answer
    if first.reason != "rejected":
        hint = first.hint
        if first.reason == "permission":
            hint += " " + _ssh_hint(site)
        answer["message"] = said + f"The push to {target.branch} failed: {hint}" + _left_text(left)
        return answer
    # The branch moved on: never force, put the commits on a branch of their own.
    name = new_branch_name(target.branch)
    second_target = gitops.PushTarget(
        target.remote, f"refs/heads/{name}", target.url, f"a new branch: {target.branch} moved on"
    )
    second = gitops.push(repo, second_target)
    answer["new_branch"] = cast(PushFacts, second.to_json())
    answer["ok"] = second.ok
    if second.ok:
        answer["message"] = (
            said + f"{target.branch} on {target.remote} has commits this copy does not have, so "
            f"nothing was forced: the work was pushed to the new branch {name}. Merge it on "
            "the remote (a pull request) when you are ready." + _left_text(left)
        )
    else:
        answer["message"] = (
            said + f"{target.branch} moved on, and the push to a new branch {name} failed "
            f"too: {second.hint}" + _left_text(left)
        )
    return answer


def _commit_text(commit: CommitFacts | None, message: str | None) -> str:
    if commit:
        count = len(commit["files"])
        return f"Committed {count} file{'s' if count != 1 else ''} as {commit['short_sha']}. "
    if message is not None and message.strip():
        return "Nothing to commit. "
    return ""


def _left_text(left: list[str]) -> str:
    if not left:
        return ""
    count = len(left)
    return (
        f" {count} changed file{'s' if count != 1 else ''} not committed (give a commit "
        "message to commit them, or save them to the volume)."
    )


def _ssh_hint(site: SiteConfig) -> str:
    from jupyter_binder_ext.ssh.git_setup import repo_status

    status = repo_status(site)
    if status.get("is_github") and not status.get("push_ready"):
        return (
            "Git is not set up to push over SSH with the mounted key yet: use Set up git in "
            "the SSH section, or `jupyter binder ssh --configure-git`."
        )
    return ""

