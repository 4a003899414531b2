"""In a server a relaunch started with the running image: move its repository to the new commit.

The image holds the repository at the image's commit; the server was launched at a later
commit that differs only in ``.resources`` (:mod:`.direct`). The relaunch put that commit's
objects into the server's ``user_options``; shortly after start-up, in the background, the
extension reads them from the hub (with the server's own token: ``read:servers!user``),
writes them with ``git hash-object -w`` (each checked against its sha), and fast-forwards the
repository from the image's commit to the new one. It leaves the work tree untouched, and
logs why, when anything differs from what the relaunch saw: HEAD is not the image's commit,
an object does not hash to its sha, more than ``.resources`` would change, or the file has
local changes. Nothing here runs on the event loop but the hub request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.git_repo import current_branch, head_sha, repo_root, upstream_of
from jupyter_binder_ext.common.git_runner import GitFailed, run_git
from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.relaunch.context import RelaunchContext
from jupyter_binder_ext.relaunch.direct import CATCH_UP_OPTION, changed_files, image_commit
from jupyter_binder_ext.relaunch.objects import FULL_SHA, ObjectsFailed, write_objects

_background: set[asyncio.Task[Any]] = set()
# Seconds between tries when the hub cannot be asked (restarting, busy).
HUB_RETRY_DELAYS = (2.0, 5.0)


@dataclass(frozen=True)
class CatchUp:
    """What the catch-up did: ``status`` is ``done``, ``already``, ``none`` or ``refused``."""

    status: str
    message: str


def schedule_catch_up(context: RelaunchContext) -> asyncio.Task[CatchUp] | None:
    """Start :func:`catch_up` in the background (the server's start-up does not wait)."""
    launch = context.launch()
    if not (launch.under_hub and launch.server_name and launch.user):
        return None  # only a named server started by a relaunch has anything to catch up
    if launch.image and image_commit(launch.image, launch) == launch.resolved_ref:
        return None  # the image is the launched commit's own: no need to ask the hub
    task = asyncio.get_running_loop().create_task(catch_up(context))
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


async def catch_up(context: RelaunchContext) -> CatchUp:
    """Read this server's user_options from the hub and apply the carried commit, if any."""
    from jupyter_binder_ext.errors import BinderError
    from jupyter_binder_ext.projects.hub_api import user_path

    launch = context.launch()
    log = context.log
    for delay in (*HUB_RETRY_DELAYS, None):
        try:
            response = await context.projects_service.client.request("GET", user_path(launch.user))
            model = response.json() if response.ok else None
            break
        except (BinderError, ValueError) as err:
            message = getattr(err, "message", str(err))
            if delay is None:
                log.warning(
                    "Relaunch catch-up: could not read this server's user_options, so the "
                    "repository stays at the image's commit: %s",
                    message,
                )
                return CatchUp("refused", message)
            await asyncio.sleep(delay)  # the hub may be busy right as servers start
    servers = model.get("servers") if isinstance(model, dict) else None
    if not isinstance(servers, dict):
        # Without read:servers!user the hub leaves `servers` out (or refuses).
        message = (
            "the hub does not list this server's user_options to its token (it needs "
            "read:servers!user), so the repository stays at the image's commit"
        )
        log.info("Relaunch catch-up: %s", message)
        return CatchUp("none", message)
    options = (servers.get(launch.server_name) or {}).get("user_options") or {}
    payload = options.get(CATCH_UP_OPTION) if isinstance(options, Mapping) else None
    if payload is None:
        return CatchUp("none", "this server was not started by a relaunch without a rebuild")
    from jupyter_binder_ext.resources.file import resources_path

    result = await asyncio.to_thread(apply_catch_up, resources_path(context.site), payload)
    level = log.info if result.status in ("done", "already") else log.warning
    level("Relaunch catch-up: %s", result.message)
    return result


def _refused(why: str) -> CatchUp:
    return CatchUp("refused", f"the repository was left as it is: {why}")


@dataclass(frozen=True)
class Carried:
    """The commit a relaunch carried in the server's user_options."""

    old: str  # the image's commit
    new: str
    objects: list[Any]
    branch: str


def carried(payload: object) -> Carried | CatchUp:
    """The carried commit, or why it cannot be applied."""
    if not isinstance(payload, Mapping):
        return _refused("the carried commit is not an object")
    old, new = payload.get("from"), payload.get("to")
    if not (isinstance(old, str) and FULL_SHA.fullmatch(old)):
        return _refused("the carried commit names no image commit")
    if not (isinstance(new, str) and FULL_SHA.fullmatch(new)):
        return _refused("the carried commit names no new commit")
    objects = payload.get("objects")
    if not isinstance(objects, list):
        return _refused("the carried commit has no objects")
    return Carried(old, new, objects, str(payload.get("branch") or ""))


def apply_catch_up(resources_file: Path, payload: Any) -> CatchUp:
    """Write the carried objects and fast-forward to the new commit (blocking; a thread)."""
    commit = carried(payload)
    if isinstance(commit, CatchUp):
        return commit
    root = repo_root(resources_file.parent)
    if root is None:
        return _refused(f"{resources_file.parent} is not in a git repository")
    old, new = commit.old, commit.new
    head = head_sha(root)
    if head == new:
        return CatchUp("already", f"the repository is already at {short_sha(new)}")
    if head != old:
        return _refused(
            f"HEAD is {short_sha(head or '(none)')}, not the image's commit {short_sha(old)}"
        )
    allowed = resources_file.resolve().relative_to(root.resolve()).as_posix()
    refusal = _write_and_check(root, commit, allowed)
    if refusal is not None:
        return refusal
    try:
        # A fast-forward: refuses rather than overwrite anything, runs no hook.
        run_git(root, "merge", "--ff-only", "--quiet", new)
    except GitFailed as err:
        return _refused(err.message)
    tracking = _update_tracking(root, old, new, commit.branch)
    return CatchUp(
        "done",
        f"moved the repository from the image's commit {short_sha(old)} to {short_sha(new)} "
        f"(only {allowed} differs){tracking}",
    )


def _write_and_check(root: Path, commit: Carried, allowed: str) -> CatchUp | None:
    """Write the objects; a refusal unless they make a commit that changes `allowed` only,
    which has no local changes."""
    new = commit.new
    try:
        write_objects(root, commit.objects)
    except ObjectsFailed as err:
        return _refused(str(err))
    try:
        kind = run_git(root, "cat-file", "-t", new).stdout.strip()
        changed = changed_files(root, commit.old, new)
    except GitFailed as err:
        return _refused(f"the new commit {short_sha(new)} is incomplete ({err.message})")
    if kind != "commit":
        return _refused(f"{short_sha(new)} is a {kind}, not a commit")
    if any(name != allowed for name in changed):
        return _refused(f"{short_sha(new)} changes more than {allowed}: {', '.join(changed)}")
    if run_git(root, "status", "--porcelain", "--", allowed).stdout.strip():
        return _refused(f"{allowed} has local changes")
    return None


def _update_tracking(root: Path, old: str, new: str, pushed_branch: str) -> str:
    """The relaunch pushed `new` to its branch: the image's remote-tracking ref says so too,
    so the commit does not show as unpushed. Only when that ref was at or before `new`."""
    branch = current_branch(root)
    upstream = upstream_of(root, branch) if branch else None
    if upstream is None or upstream[1] != f"refs/heads/{pushed_branch}":
        return ""
    ref = f"refs/remotes/{upstream[0]}/{pushed_branch}"
    at = run_git(root, "rev-parse", "--verify", "--quiet", ref, check=False).stdout.strip()
    if not at:
        return ""
    ancestor = run_git(root, "merge-base", "--is-ancestor", at, new, check=False)
    if ancestor.returncode != 0:
        return ""
    run_git(root, "update-ref", ref, new, at)
    return f"; {upstream[0]}/{pushed_branch} too, where the relaunch pushed it"
