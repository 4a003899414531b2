"""``POST work/save``: copy the work to this instance's folder on the volume, or push it.

Synchronous (the service runs it off the event loop). Everything the request names is checked
before anything is written, so bad input changes nothing. A copy never replaces a different
file unless asked to (``overwrite``); a push is never forced: when the branch moved on, the
commits go to a new branch, named in the answer. A failure half-way says what was done.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, cast

from jupyter_binder_ext.common import git as gitops
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, InvalidInput, NotFound
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.instance_dirs import make_instance_dir
from jupyter_binder_ext.persistence.volume import volume_user
from jupyter_binder_ext.relaunch.answers import CommitFacts, PushFacts
from jupyter_binder_ext.work.answers import CopiedFile, SaveAnswer, SkippedFile
from jupyter_binder_ext.work.changes import on_volume
from jupyter_binder_ext.work.scan import Layout, launched_branch, locate

MAX_PATHS = 5000


@dataclass(frozen=True)
class Item:
    path: str  # as the answer of GET work lists it
    source: Path
    target: str  # relative to the instance folder
    in_repo: bool


def check_paths(paths: Any) -> list[str] | None:
    """The `paths` of a request: None, or relative POSIX paths with no ``..``."""
    if paths is None:
        return None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InvalidInput('paths must be a list of file paths, such as ["results/a.csv"].')
    if len(paths) > MAX_PATHS:
        raise InvalidInput(f"At most {MAX_PATHS} paths at a time.")
    clean: list[str] = []
    for raw in paths:
        pure = PurePosixPath(raw)
        if not raw or "\0" in raw or pure.is_absolute() or ".." in pure.parts:
            raise InvalidInput(
                f"{raw!r} is not a relative path inside the project (no leading /, no ..).",
                path=raw,
            )
        clean.append(pure.as_posix())
    return clean


def _items(layout: Layout, scan: dict[str, Any], paths: list[str] | None) -> list[Item]:
    prefix = layout.repo_prefix
    repo_target = (lambda p: f"{prefix}/{p}") if prefix else (lambda p: p)
    outside = {e["path"] for e in scan["outside"]["files"]}
    if paths is None:
        items = [
            Item(e["path"], layout.repo / e["path"], repo_target(e["path"]), True)
            for e in scan["changed"]
            # Links and other non-files go through too, to be reported as skipped.
            if layout.repo is not None and e["status"] != "deleted"
        ]
        items += [Item(p, layout.outside_root / p, p, False) for p in sorted(outside)]
        return items
    items = []
    unknown = []
    for path in paths:
        if layout.repo is not None and _regular_file_inside(layout.repo / path, layout.repo):
            items.append(Item(path, layout.repo / path, repo_target(path), True))
        elif path in outside:
            items.append(Item(path, layout.outside_root / path, path, False))
        else:
            unknown.append(path)
    if unknown:
        raise InvalidInput(
            "Not a file of the repository nor one listed outside it: "
            + ", ".join(unknown[:10])
            + (" ..." if len(unknown) > 10 else "")
            + ". Nothing was copied.",
            paths=unknown[:100],
        )
    return items


def _regular_file_inside(path: Path, folder: Path) -> bool:
    real = os.path.realpath(path)
    return real.startswith(os.path.realpath(folder).rstrip("/") + "/") and Path(real).is_file()


# -- to the persistent volume ----------------------------------------------------------------


def save_to_persistent(
    site: SiteConfig,
    launch: LaunchInfo,
    home: Path,
    scan: dict[str, Any],
    paths: list[str] | None,
    overwrite: bool,
) -> SaveAnswer:
    layout = locate(site, launch, home)
    if layout.volume is None or not layout.volume.is_dir():
        raise NotFound(
            layout.volume_message or "There is no persistent volume to save to.",
            reason="volume_missing",
        )
    items = _items(layout, scan, paths)
    user, _source = volume_user(launch)
    choice, created = make_instance_dir(layout.volume, launch, user)
    folder = choice.path
    copied: list[CopiedFile] = []
    skipped: list[SkippedFile] = []
    for item in items:
        try:
            outcome = _copy(item, folder, overwrite)
        except OSError as err:
            raise _failed_after(err, item, folder, copied, skipped) from err
        if isinstance(outcome, int):
            copied.append({"path": item.path, "size": outcome})
        else:
            skipped.append(outcome)
    return {
        "to": "persistent",
        "ok": True,
        "message": _copy_message(folder, created, copied, skipped),
        "folder": str(folder),
        "created_folder": created,
        "copied": copied,
        "skipped": skipped,
        "commit": None,
        "push": None,
        "new_branch": None,
        "left_uncommitted": [],
    }


def _copy(item: Item, folder: Path, overwrite: bool) -> int | SkippedFile:
    """Copy one file; its size, or why it was skipped."""
    target = folder / item.target
    if item.source.is_symlink():
        return {
            "path": item.path,
            "reason": "not_a_file",
            "message": "It is a link; the file it points to is not copied.",
        }
    if not item.source.is_file():
        what = "a plain file" if item.source.exists() else "here any more"
        return {"path": item.path, "reason": "missing", "message": f"It is not {what}."}
    # A link or file on the way (a/b where a is a file) would send the copy elsewhere.
    for parent in reversed(target.relative_to(folder).parents):
        step = folder / parent
        if step.is_symlink() or (step.exists() and not step.is_dir()):
            return {
                "path": item.path,
                "reason": "blocked",
                "message": f"{step} is in the way (a file or a link, not a folder).",
            }
    if os.path.lexists(target):
        if target.is_symlink() or not target.is_file():
            return {
                "path": item.path,
                "reason": "blocked",
                "message": f"{target} is not a plain file; it was left as it is.",
            }
        if on_volume(item.source, target) == "same":
            return {"path": item.path, "reason": "same", "message": "Already there, unchanged."}
        if not overwrite:
            return {
                "path": item.path,
                "reason": "differs",
                "message": f"A different {target.name} is already there; it was kept. Save "
                "with overwrite to replace it.",
            }
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.binder-save-{os.getpid()}")
    try:
        shutil.copy2(item.source, temporary)
        temporary.replace(target)
    finally:
        if os.path.lexists(temporary):
            temporary.unlink()
    return target.stat().st_size


def _failed_after(
    err: OSError, item: Item, folder: Path, copied: list[CopiedFile], skipped: list[SkippedFile]
) -> BinderError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the volume is full or over quota"
    elif err.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    elif err.errno == errno.EROFS:
        why = "the volume is read-only"
    else:
        why = err.strerror or str(err)
    done = f"{len(copied)} file{'s' if len(copied) != 1 else ''} copied before it"
    return Conflict(
        f"Copying {item.path} to {folder} failed ({why}); {done}, the rest not tried.",
        reason="copy_failed",
        folder=str(folder),
        failed=item.path,
        copied=copied,
        skipped=skipped,
    )


def _copy_message(
    folder: Path, created: bool, copied: list[CopiedFile], skipped: list[SkippedFile]
) -> str:
    parts = [f"Created {folder}." if created else ""]
    if copied:
        parts.append(f"Copied {len(copied)} file{'s' if len(copied) != 1 else ''} to {folder}.")
    elif not skipped:
        parts.append("Nothing to copy: no changed files.")
    kept = [s for s in skipped if s["reason"] == "differs"]
    same = [s for s in skipped if s["reason"] == "same"]
    other = [s for s in skipped if s["reason"] not in ("differs", "same")]
    if same:
        parts.append(f"{len(same)} already there unchanged.")
    if kept:
        parts.append(
            f"{len(kept)} not copied because a different file is there "
            f"({', '.join(s['path'] for s in kept[:5])}); save with overwrite to replace."
        )
    if other:
        parts.append(f"{len(other)} skipped ({', '.join(s['path'] for s in other[:5])}).")
    return " ".join(p for p in parts if p)


# -- to GitHub -------------------------------------------------------------------------------


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
    """Commit exactly `paths` (new, changed or deleted); other staged changes stay staged."""
    if not paths:
        return None
    gitops.run_git(repo, "add", "--all", "--", *paths)
    staged = gitops.run_git(repo, "diff", "--cached", "--name-only", "--", *paths).stdout
    if not staged.strip():
        return None
    env, note = _identity_env(repo, launch)
    gitops.run_git(repo, "commit", "--quiet", "--only", "-m", message, "--", *paths, env=env)
    sha = gitops.head_sha(repo) or ""
    result = gitops.CommitResult(
        sha,
        message,
        gitops.current_branch(repo),
        True,
        author=gitops.run_git(repo, "log", "-1", "--format=%an <%ae>").stdout.strip(),
        note=note,
        files=tuple(staged.split()),
    )
    return cast(CommitFacts, result.to_json())


def new_branch_name(branch: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    return f"{branch or 'work'}-binder-{stamp}"


def save_to_github(
    site: SiteConfig,
    launch: LaunchInfo,
    home: Path,
    scan: dict[str, Any],
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
    in_progress = gitops.operation_in_progress(repo)
    if in_progress:
        raise Conflict(
            f"The repository is in the middle of {in_progress}: finish or abort it first "
            "(git status says how); nothing was committed or pushed.",
            in_progress=in_progress,
        )
    changed = [e["path"] for e in scan["changed"]]
    outside = {e["path"] for e in scan["outside"]["files"]}
    chosen = changed if paths is None else paths
    if paths is not None:
        not_repo = [p for p in paths if p not in changed and not (repo / p).exists()]
        if not_repo:
            what = "outside the repository" if set(not_repo) <= outside else "not in the repository"
            raise InvalidInput(
                f"Only files of the repository can be committed; {', '.join(not_repo[:10])} "
                f"{'is' if len(not_repo) == 1 else 'are'} {what}. Nothing was committed.",
                paths=not_repo[:100],
            )
    # Where the push goes is settled before anything is committed.
    target = gitops.push_target(repo, launched_branch(launch))
    commit = None
    if message is not None and message.strip():
        try:
            commit = _commit(repo, launch, chosen, message.strip())
        except gitops.GitFailed as err:
            raise gitops.GitFailed(
                f"Nothing was committed or pushed: {err.message}", **err.details
            ) from err
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
