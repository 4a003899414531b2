"""``POST work/save {"to": "github"}``: commit the chosen files, then push, never forced.

Synchronous (the service runs it off the event loop). Where the push goes is settled before
anything is committed; when the branch moved on, the commits go to a new branch, named in the
answer. A failure half-way says what was done.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from jupyter_binder_ext.common.answers import CommitFacts, PushFacts
from jupyter_binder_ext.common.git_commit import commit_exactly
from jupyter_binder_ext.common.git_identity import commit_identity
from jupyter_binder_ext.common.git_push import PushTarget, push, push_target
from jupyter_binder_ext.common.git_repo import refuse_during_operation
from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import Conflict, InvalidInput
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.work.answers import HeldBackFile, SaveAnswer, SkippedFile
from jupyter_binder_ext.work.changes import GitStatus, git_changes
from jupyter_binder_ext.work.commit_check import credential_refusal, scan_commit
from jupyter_binder_ext.work.private import (
    Refusal,
    held_back_entries,
    held_back_text,
    never_leaves,
)
from jupyter_binder_ext.work.scan import Layout, launched_branch, locate
from jupyter_binder_ext.work.secret_scan import scan_push
from jupyter_binder_ext.work.selection import bad_name, is_unreadable_name, nested_repository, some


def _commit(
    repo: Path, launch: LaunchInfo, paths: Sequence[str], message: str
) -> tuple[CommitFacts | None, frozenset[str]]:
    """Commit exactly `paths` (new, changed or deleted) after scanning them for credentials
    (common/git_commit.py, work/commit_check.py); other staged changes stay staged. With
    the blobs it scanned."""
    identity = commit_identity(repo, launch.user, (launch.hub_url, launch.launch_host))
    made = commit_exactly(repo, paths, message, identity, scan_commit)
    return (made.to_json() if made.created else None), made.scanned


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
    """Commit the chosen files (with a message), then push every unpushed commit; the answer
    says what was held back by the rule or skipped, and ``ok`` only when nothing was."""
    not_checked: list[str] = []
    answer = _commit_and_push(site, launch, home, paths, message, not_checked)
    answer["ok"] = answer["ok"] and not answer["skipped"] and not not_checked
    answer["message"] += held_back_text(answer["held_back"], answer["skipped"])
    if not_checked:
        reasons = "; ".join(reason.rstrip(".") for reason in not_checked)
        answer["message"] += f" Not every file could be looked at ({reasons}): there may be more."
    return answer


@dataclass(frozen=True)
class _Plan:
    """What a save to GitHub acts on, settled before anything is committed."""

    repo: Path
    changed: list[str]  # every changed file that may leave
    candidates: list[str]  # those a commit takes: all of them, or the named ones
    held_back: list[HeldBackFile]
    target: PushTarget  # where the push goes


@dataclass(frozen=True)
class _Pushed:
    """What the push step did, in words."""

    ok: bool
    message: str
    push: PushFacts | None = None
    new_branch: PushFacts | None = None
    found: tuple[HeldBackFile, ...] = ()  # credentials found in what would be pushed

    @property
    def says_left(self) -> bool:
        """Whether the message goes on to the files left uncommitted (not after a refusal)."""
        return not self.found


def _commit_and_push(
    site: SiteConfig,
    launch: LaunchInfo,
    home: Path,
    paths: list[str] | None,
    message: str | None,
    not_checked: list[str],
) -> SaveAnswer:
    """The save itself; what git could not look at goes into `not_checked`."""
    plan = _plan(site, launch, home, paths, not_checked)
    commit, scanned, skipped = _commit_step(plan, launch, message)
    committed = set(commit["files"]) if commit else set()
    left = [p for p in plan.changed if p not in committed]
    pushed = _push_step(site, launch, plan, scanned, _commit_text(commit, message))
    return {
        "to": "github",
        "ok": pushed.ok,
        "message": pushed.message + (_left_text(left) if pushed.says_left else ""),
        "folder": None,
        "created_folder": False,
        "copied": [],
        "skipped": skipped,
        "held_back": plan.held_back + list(pushed.found),
        "commit": commit,
        "push": pushed.push,
        "new_branch": pushed.new_branch,
        "left_uncommitted": left,
        "created_link": None,
        "not_tried": 0,
    }


def _plan(
    site: SiteConfig,
    launch: LaunchInfo,
    home: Path,
    paths: list[str] | None,
    not_checked: list[str],
) -> _Plan:
    layout = locate(site, launch, home)
    repo = layout.repo
    if repo is None:
        raise Conflict(
            f"{site.repo_path()} is not in a git repository: there is nothing to push.",
            reason="not_a_repository",
        )
    refuse_during_operation(repo, "nothing was committed or pushed")
    # Every changed file, not the panel's capped list; file by file through the rule.
    status = git_changes(repo)
    not_checked.extend(status.unchecked)
    work, held_back = layout.split_changes(status)
    changed = [path for path, _status in work]
    if paths is None:
        candidates = changed
    else:
        candidates, held_back = _named_files(layout, repo, status, paths)
    # Where the push goes is settled before anything is committed.
    target = push_target(repo, launched_branch(launch))
    return _Plan(repo, changed, candidates, held_back, target)


def _commit_step(
    plan: _Plan, launch: LaunchInfo, message: str | None
) -> tuple[CommitFacts | None, frozenset[str], list[SkippedFile]]:
    """The commit of the chosen files when there is a message: what it made, the blobs it
    scanned for credentials, and the files git cannot commit one by one."""
    if message is None or not message.strip():
        return None, frozenset(), []
    chosen, skipped = _committable(plan.repo, plan.candidates)
    commit, scanned = _commit(plan.repo, launch, chosen, message.strip())
    return commit, scanned, skipped


def _push_step(
    site: SiteConfig, launch: LaunchInfo, plan: _Plan, scanned: frozenset[str], said: str
) -> _Pushed:
    """Push every unpushed commit, after scanning what the push sends; `said`: the commit's
    words, which every message starts with."""
    from jupyter_binder_ext.work.changes import unpushed_commits

    pending = unpushed_commits(plan.repo, launched_branch(launch))
    if pending["count"] == 0:
        return _Pushed(
            True, said + f"Nothing to push: every commit is already on {pending['compared_with']}."
        )
    # What the push sends (every commit the remotes lack) is scanned too: this save's files
    # were scanned before committing, so a credential here is in an earlier commit.
    findings = scan_push(plan.repo, plan.target.remote, scanned)
    if findings:
        refusal = credential_refusal(findings, said + "Nothing was pushed")
        return _Pushed(
            False,
            refusal.message + " It is in a commit made before this save: take it out of that "
            "commit (`git commit --amend` for the last one, `git rebase -i` for an older one) "
            "before pushing.",
            found=tuple(finding.entry() for finding in findings),
        )
    return _push(site, plan, pending["count"], said)


def _push(site: SiteConfig, plan: _Plan, count: int, said: str) -> _Pushed:
    """The push to the target, never forced; to a new branch when the target moved on."""
    target = plan.target
    first = push(plan.repo, target)
    facts = first.to_json()
    if first.ok:
        return _Pushed(
            True,
            said + f"Pushed {count} commit{'s' if count != 1 else ''} to {target.branch} on "
            f"{target.remote}.",
            push=facts,
        )
    if first.reason != "rejected":
        hint = first.hint
        if first.reason == "permission":
            hint += " " + _ssh_hint(site)
        return _Pushed(False, said + f"The push to {target.branch} failed: {hint}", push=facts)
    return _push_new_branch(plan, facts, said)


def _push_new_branch(plan: _Plan, first: PushFacts, said: str) -> _Pushed:
    """The branch moved on: never force, put the commits on a branch of their own."""
    target = plan.target
    name = new_branch_name(target.branch)
    second_target = PushTarget(
        target.remote, f"refs/heads/{name}", target.url, f"a new branch: {target.branch} moved on"
    )
    second = push(plan.repo, second_target)
    if second.ok:
        message = (
            f"{target.branch} on {target.remote} has commits this copy does not have, so "
            f"nothing was forced: the work was pushed to the new branch {name}. Merge it on "
            "the remote (a pull request) when you are ready."
        )
    else:
        message = (
            f"{target.branch} moved on, and the push to a new branch {name} failed "
            f"too: {second.hint}"
        )
    facts = second.to_json()
    return _Pushed(second.ok, said + message, push=first, new_branch=facts)


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


def _named_files(
    layout: Layout, repo: Path, status: GitStatus, paths: list[str]
) -> tuple[list[str], list[HeldBackFile]]:
    """The changed files `paths` name (a folder: its changed files, one by one), each through
    the rule; refused, with nothing done, when a named file may not leave or is not in the
    repository. What the rule keeps inside a named folder is held back and said."""
    every = [path for path, _status in status.changes]
    chosen: list[str] = []
    held: list[tuple[str, Refusal]] = []
    refused: list[tuple[str, Refusal]] = []
    not_repo: list[str] = []
    real_repo = os.path.realpath(repo)
    volume = os.path.realpath(layout.volume) if layout.volume else None
    for path in paths:
        source = repo / path
        inside = is_inside(os.path.realpath(source.parent), real_repo)
        if volume and is_inside(os.path.realpath(source), volume):
            # The link to this instance's folder: its copies are saved already, and a commit
            # of the link would publish the volume's path.
            not_repo.append(path)
            continue
        under = [c for c in every if c == path or c.startswith(path.rstrip("/") + "/")]
        if not inside or (not under and not os.path.lexists(source)):
            not_repo.append(path)
            continue
        refusal = layout.rule.check(source, named=True)
        if refusal is not None:
            refused.append((path, refusal))
            continue
        for change in under or [path]:
            found = layout.rule.check(repo / change, named=True)
            if found is None:
                chosen.append(change)
            else:
                held.append((change, found))
    if refused:
        raise _refusal(refused)
    if not_repo:
        outside = all(
            not layout.outside_note and os.path.lexists(layout.outside_root / p) for p in not_repo
        )
        what = "outside the repository" if outside else "not in the repository"
        raise InvalidInput(
            f"Only files of the repository can be committed; {some(not_repo)} "
            f"{'is' if len(not_repo) == 1 else 'are'} {what}. Nothing was committed.",
            paths=not_repo[:100],
        )
    return list(dict.fromkeys(chosen)), held_back_entries(held)


def _refusal(refused: list[tuple[str, Refusal]]) -> InvalidInput:
    return InvalidInput(
        f"{never_leaves(refused)} Nothing was committed.",
        reason="held_back",
        paths=[path for path, _ in refused][:100],
        held_back=held_back_entries(refused),
    )


def _committable(repo: Path, paths: list[str]) -> tuple[list[str], list[SkippedFile]]:
    """`paths` that git can commit file by file; names that are not UTF-8, and repositories
    of their own (untracked ones and submodules), are skipped and said."""
    chosen: list[str] = []
    skipped: list[SkippedFile] = []
    for path in paths:
        if is_unreadable_name(path):
            skipped.append(bad_name(path))
        elif path.endswith("/") or ((repo / path).is_dir() and not (repo / path).is_symlink()):
            skipped.append(nested_repository(path))
        else:
            chosen.append(path)
    return chosen, skipped
