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
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, cast

from jupyter_binder_ext.common import git as gitops
from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.common.text import check_text
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, InvalidInput, NotFound
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.instance_dirs import make_instance_dir
from jupyter_binder_ext.persistence.volume import volume_user
from jupyter_binder_ext.relaunch.answers import CommitFacts, PushFacts
from jupyter_binder_ext.work.answers import CopiedFile, SaveAnswer, SkippedFile
from jupyter_binder_ext.work.changes import git_changes, on_volume
from jupyter_binder_ext.work.scan import (
    SAVE_VISIT_LIMIT,
    Layout,
    files_to_save,
    launched_branch,
    locate,
)

MAX_PATHS = 5000
MAX_PATH_LENGTH = 4096
MAX_MESSAGE_LENGTH = 10_000
# One save copies at most this many files; the rest are counted (``not_tried``) and the next
# save goes on (what was copied is then "already there").
MAX_SAVE_FILES = 20_000
# git's own folder: never copied (its config may hold a token in a remote URL).
GIT_FOLDER = ".git"


@dataclass(frozen=True)
class Item:
    path: str  # as the request or the answer of GET work names it
    source: Path
    target: str  # relative to the instance folder
    in_repo: bool


@dataclass
class Selection:
    """What a save to the volume acts on, and what it could not look at."""

    items: list[Item]
    skipped: list[SkippedFile]  # links and special files met inside chosen folders
    incomplete: str = ""  # why the listing stopped early ("" when it did not)


def check_paths(paths: Any) -> list[str] | None:
    """The `paths` of a request: None, or relative POSIX paths with no ``..``.

    Checked before anything is done: text git and the file system accept (no NUL, no lone
    surrogate), and an error never quotes a path that could not be encoded.
    """
    if paths is None:
        return None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise InvalidInput('paths must be a list of file paths, such as ["results/a.csv"].')
    if len(paths) > MAX_PATHS:
        raise InvalidInput(f"At most {MAX_PATHS} paths at a time.")
    clean: list[str] = []
    for index, raw in enumerate(paths):
        check_text(f"paths[{index}]", raw, max_length=MAX_PATH_LENGTH)
        pure = PurePosixPath(raw)
        if not raw or pure.is_absolute() or ".." in pure.parts or pure.as_posix() == ".":
            raise InvalidInput(
                f"{raw!r} is not a relative path inside the project (no leading /, no ..).",
                path=raw,
            )
        clean.append(pure.as_posix())
    return clean


def check_message(message: Any) -> str | None:
    """The commit message of a request: None or text git accepts, within the cap."""
    if message is None:
        return None
    if not isinstance(message, str):
        raise InvalidInput("message must be a string (the commit message).")
    return check_text("message", message, max_length=MAX_MESSAGE_LENGTH)


def _target(layout: Layout, source: Path, base: Path) -> str:
    """Where `source` goes in the instance folder: its path in the home folder (the
    repository under its folder name), or in `base` when it lies in neither."""
    # The folders' real paths (the file itself may be a link, reported later, not followed).
    real = str(Path(os.path.realpath(source.parent)) / source.name)
    repo = os.path.realpath(layout.repo) if layout.repo is not None else None
    if repo is not None and is_inside(real, repo):
        relative = os.path.relpath(real, repo)
        return f"{layout.repo_prefix}/{relative}" if layout.repo_prefix else relative
    home = os.path.realpath(layout.outside_root)
    if not layout.outside_note and is_inside(real, home):
        return os.path.relpath(real, home)
    return os.path.relpath(real, os.path.realpath(base))


def _everything(layout: Layout) -> Selection:
    changes, outside = files_to_save(layout)
    items = [
        Item(path, layout.repo / path, _target(layout, layout.repo / path, layout.repo), True)
        for path, status in changes
        # Links and other non-files go through too, to be reported as skipped.
        if layout.repo is not None and status != "deleted"
    ]
    items += [Item(p, layout.outside_root / p, p, False) for p, _size in outside.files]
    return Selection(items, [], outside.note if outside.truncated else "")


def _bases(layout: Layout, server_root: Path) -> list[Path]:
    """The folders a requested path may be relative to, in order: the repository, the
    server's folder (where the file browser's paths start), the home folder."""
    bases: list[Path] = []
    for folder in (layout.repo, server_root, None if layout.outside_note else layout.outside_root):
        if folder is not None and folder not in bases:
            bases.append(folder)
    return bases


def _chosen(layout: Layout, server_root: Path, paths: list[str]) -> Selection:
    selection = Selection([], [])
    volume = os.path.realpath(layout.volume) if layout.volume else None
    unknown: list[str] = []
    refused: list[str] = []
    private: list[str] = []  # keys, tokens, Jupyter's own state (work/private.py)
    for path in paths:
        base = next((b for b in _bases(layout, server_root) if os.path.lexists(b / path)), None)
        if base is None:
            unknown.append(path)
            continue
        source = base / path
        real = os.path.realpath(source)
        # Never through a link out of the folder, nor from the volume onto itself, nor git's
        # own folder (its config may hold a token).
        if (
            not is_inside(real, os.path.realpath(base))
            or (volume and is_inside(real, volume))
            or GIT_FOLDER in PurePosixPath(path).parts
        ):
            refused.append(path)
        elif layout.private.covers(source):
            private.append(path)
        elif source.is_dir() and not source.is_symlink():
            _walk(layout, base, source, volume, selection)
        else:
            selection.items.append(Item(path, source, _target(layout, source, base), True))
    if unknown or refused or private:
        parts = []
        if unknown:
            parts.append("not a file or folder of the project: " + _some(unknown))
        if refused:
            parts.append(
                "a link out of the project's folder, git's own folder, or on the persistent "
                "volume already: " + _some(refused)
            )
        if private:
            parts.append("keys, tokens or Jupyter's own files, never saved: " + _some(private))
        text = "; ".join(parts)
        raise InvalidInput(
            text[:1].upper() + text[1:] + ". Nothing was copied.",
            paths=(unknown + refused + private)[:100],
        )
    return selection


def _some(paths: list[str]) -> str:
    return ", ".join(paths[:10]) + (" ..." if len(paths) > 10 else "")


def _walk(layout: Layout, base: Path, folder: Path, volume: str | None, into: Selection) -> None:
    """Every file under `folder`, links not followed (they are reported as skipped)."""
    stack = [str(folder)]
    visited = 0
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            visited += 1
            if visited > SAVE_VISIT_LIMIT:
                into.incomplete = f"the walk of {folder} stopped after {SAVE_VISIT_LIMIT} entries"
                return
            relative = os.path.relpath(entry.path, base)
            if entry.is_symlink():
                into.skipped.append(
                    {
                        "path": relative,
                        "reason": "not_a_file",
                        "message": "It is a link; the file it points to is not copied.",
                    }
                )
            elif layout.private.covers(entry.path):
                continue  # keys, tokens, Jupyter's own state: never saved, not even listed
            elif entry.is_dir(follow_symlinks=False):
                if entry.name != GIT_FOLDER and not (
                    volume and is_inside(os.path.realpath(entry.path), volume)
                ):
                    stack.append(entry.path)
            else:
                source = Path(entry.path)
                # A FIFO or socket goes through too: the copy reports it as skipped.
                into.items.append(Item(relative, source, _target(layout, source, base), True))


# -- to the persistent volume ----------------------------------------------------------------


@dataclass
class Made:
    """What the save created before copying, for every message (a failure's too)."""

    folder: Path
    folder_created: bool
    link: str | None = None  # the link's path for the file browser, when this save made it
    link_note: str = ""  # why no link was made

    def text(self) -> str:
        if not self.folder_created:
            return ""
        if self.link:
            return f"Created {self.folder} and the link {self.link} to it in your files."
        return f"Created {self.folder}." + (f" {self.link_note}" if self.link_note else "")


def _make_folder_and_link(site: SiteConfig, launch: LaunchInfo, volume: Path) -> Made:
    from jupyter_binder_ext.persistence.instance_dirs import exclude_from_git, make_link

    user, _source = volume_user(launch)
    choice, created = make_instance_dir(volume, launch, user)
    made = Made(choice.path, created)
    if not created:
        return made
    # The first save also makes the folder reachable from the file browser.
    try:
        link, link_created = make_link(site, choice.path, volume)
    except BinderError as err:
        made.link_note = f"No link to it was made in your files: {err.message}"
        return made
    if link_created:
        made.link = str(link.get("browser_path") or link.get("name"))
        exclude_from_git(site.repo_path(), str(link["name"]))
    return made


def save_to_persistent(
    site: SiteConfig,
    launch: LaunchInfo,
    home: Path,
    paths: list[str] | None,
    overwrite: bool,
    max_files: int = MAX_SAVE_FILES,
) -> SaveAnswer:
    layout = locate(site, launch, home)
    if layout.volume is None or not layout.volume.is_dir():
        raise NotFound(
            layout.volume_message or "There is no persistent volume to save to.",
            reason="volume_missing",
        )
    selection = _everything(layout) if paths is None else _chosen(layout, site.repo_path(), paths)
    made = _make_folder_and_link(site, launch, layout.volume)
    folder = made.folder
    copied: list[CopiedFile] = []
    skipped: list[SkippedFile] = list(selection.skipped)
    tried = selection.items[:max_files]
    not_tried = len(selection.items) - len(tried)
    for item in tried:
        try:
            outcome = _copy(item, folder, overwrite)
        except OSError as err:
            raise _failed_after(err, item, made, copied, skipped, len(selection.items)) from err
        if isinstance(outcome, int):
            copied.append({"path": item.path, "size": outcome})
        else:
            skipped.append(outcome)
    message = _copy_message(made, copied, skipped)
    if not_tried:
        message += (
            f" {not_tried} more file{'s' if not_tried != 1 else ''} not tried (at most "
            f"{max_files} a save): save again to go on."
        )
    if selection.incomplete:
        message += (
            f" Not every file could be looked at ({selection.incomplete}): there may be more."
        )
    return {
        "to": "persistent",
        "ok": not not_tried and not selection.incomplete,
        "message": message,
        "folder": str(folder),
        "created_folder": made.folder_created,
        "copied": copied,
        "skipped": skipped,
        "commit": None,
        "push": None,
        "new_branch": None,
        "left_uncommitted": [],
        "created_link": made.link,
        "not_tried": not_tried,
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
    # A name of its own for each copy: two saves at once (two tabs, threads of one server
    # process) never write into the same temporary file.
    handle, name = tempfile.mkstemp(prefix=".binder-save-", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        shutil.copy2(item.source, temporary)
        temporary.replace(target)
    finally:
        if os.path.lexists(temporary):
            temporary.unlink()
    return target.stat().st_size


def _failed_after(
    err: OSError,
    item: Item,
    made: Made,
    copied: list[CopiedFile],
    skipped: list[SkippedFile],
    total: int,
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
    left = total - len(copied) - len(skipped) - 1
    created = made.text()
    return Conflict(
        (created + " " if created else "")
        + f"Copying {item.path} to {made.folder} failed ({why}); {done}, the rest ({left}) "
        "not tried.",
        reason="copy_failed",
        folder=str(made.folder),
        created_folder=made.folder_created,
        created_link=made.link,
        failed=item.path,
        copied=copied,
        skipped=skipped,
        not_tried=max(left, 0),
    )


def _copy_message(made: Made, copied: list[CopiedFile], skipped: list[SkippedFile]) -> str:
    folder = made.folder
    parts = [made.text()]
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
            f"too ({restore.message}), so these files are staged now: {_some(staged)} "
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
                f"{_some(private)} {'holds' if len(private) == 1 else 'hold'} keys, tokens or "
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
                f"Only files of the repository can be committed; {_some(not_repo)} "
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
