"""Relaunch with new resources: write ``.resources``, commit it alone, push, launch the commit.

The steps, and what each failure leaves behind:

1. check the values (or the file as it is): a problem answers 400 and nothing is written;
   the repository is checked too (a git work tree, a branch to push to, no merge or rebase
   under way): a problem answers 409 and nothing is written;
2. write ``.resources`` (atomically, see :mod:`jupyter_binder_ext.resources.file`);
3. commit that file alone on the current branch (:func:`.common.git_commit.commit_exactly`:
   even when ``.gitignore`` matches it); other changes, staged or not, stay as they were. If
   git fails here the file stays written, nothing is committed, the user's index is as it
   was, and the answer is git's own message (502);
4. push to where the branch belongs (:func:`.common.git_push.push_target`), never forced. A
   refused push (non-fast-forward, no permission, no network, no remote) is **not** an HTTP
   error: the commit happened and is kept, so the answer is a 200 with ``push.ok = false``,
   git's own output, a hint, and no launch;
5. launch the new commit. When only ``.resources`` differs from the running image's commit
   (:mod:`.direct`): a new named server started through the hub API with BinderHub-shaped
   ``user_options`` for the commit and the running image, so nothing is built; the new
   server's repository catches up to the commit by itself (:mod:`.catch_up`). Otherwise, or
   when the hub refuses this server's token the start: under a BinderHub its launch URL,
   whose build this server follows where the hub lets it (:mod:`.build_follow`), else for the
   browser to open in a new tab (BinderHub builds the new image); under a plain JupyterHub a
   named server without an image, which the hub's spawner picks (:mod:`.hub_start`). The
   answer's ``launch.rebuild`` and ``reason`` say which and why. ``stop_current`` stops this
   server once the new one is ready.

The project slots are checked with step 1: when all are taken nothing is written, committed,
pushed or started (a 200 with ``ok: false``, ``commit: null``), and the answer lists the
projects that could be deleted; the user deletes one, then relaunches.

Each step returns a frozen value (:mod:`.facts`); :mod:`.builders` makes the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.git_commit import Committed, commit_exactly, path_in_repo
from jupyter_binder_ext.common.git_identity import commit_identity
from jupyter_binder_ext.common.git_push import (
    NoPushTarget,
    PushTarget,
    commits_to_push,
    push,
    push_target,
)
from jupyter_binder_ext.common.git_repo import refuse_during_operation, repo_root
from jupyter_binder_ext.common.git_runner import GitFailed
from jupyter_binder_ext.errors import BinderError, CommandFailed, Conflict
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.relaunch.answers import RelaunchAnswer, SlotFacts
from jupyter_binder_ext.relaunch.build_follow import follow_build
from jupyter_binder_ext.relaunch.builders import (
    build_no_free_slot,
    build_not_pushed,
    build_relaunch,
    build_slots,
    held_push,
    link_outcome,
    no_remote_push,
    nowhere_to_launch,
    unknown_slots,
)
from jupyter_binder_ext.relaunch.checks import check_relaunch_text, check_values, default_message
from jupyter_binder_ext.relaunch.context import RelaunchContext
from jupyter_binder_ext.relaunch.direct import DirectStart, plan_direct_start
from jupyter_binder_ext.relaunch.facts import LaunchOutcome, NewCommit, Prepared, Pushed
from jupyter_binder_ext.relaunch.hub_start import start_named_server
from jupyter_binder_ext.resources.answers import ResourcesAnswer
from jupyter_binder_ext.resources.file import read_resources, resources_path, write_resources
from jupyter_binder_ext.work.commit_check import CredentialFound, credential_refusal, scan_commit
from jupyter_binder_ext.work.secret_scan import scan_push

READY_TIMEOUT = 120.0


async def relaunch(
    context: RelaunchContext,
    values: Mapping[str, Any] | None = None,
    message: str | None = None,
    stop_current: bool = False,
    labpath: str = "",
    ready_timeout: float = READY_TIMEOUT,
) -> RelaunchAnswer:
    """Run the steps of the module docstring; the answer of ``POST binder/api/relaunch``.
    The fields were checked against :class:`.requests.RelaunchRequest` by the caller."""
    check_relaunch_text(message, labpath, values)
    labpath = labpath.lstrip("/")  # BinderHub's labpath has no leading "/"; nor has lab/tree/
    prepared = await _prepare(context, values)
    if prepared.slots["full"]:
        return build_no_free_slot(prepared.current, prepared.slots, stop_current)
    resources = await _write(context, prepared, values)
    commit_message = (message or "").strip() or default_message(resources["values"])
    made = await _commit(context, prepared, commit_message, written=values is not None)
    pushed = await _push(prepared)
    if not pushed.result.ok:
        return build_not_pushed(resources, made, pushed, stop_current)
    launch = context.launch()
    push_url = pushed.result.url
    new = NewCommit(
        launch,
        prepared.root,
        made.sha,
        prepared.target.branch if prepared.target else "",
        labpath,
        stop_current,
        ready_timeout,
        "" if "***" in push_url else push_url,  # a URL whose credential was hidden
        context.site.resources_filename,
        prepared.slots,
    )
    return build_relaunch(resources, made, pushed, await _launch(context, new))


async def _prepare(context: RelaunchContext, values: Mapping[str, Any] | None) -> Prepared:
    """Step 1: check everything before touching anything."""
    site, launch = context.site, context.launch()
    path = resources_path(site)
    current = await asyncio.to_thread(read_resources, site, launch, context.env)
    check_values(site, current, values)
    root = await asyncio.to_thread(repo_root, path.parent)
    if root is None:
        raise Conflict(
            f"{path.parent} is not inside a git repository, so there is nothing to commit and "
            "push; nothing was changed.",
            path=str(path),
        )
    await asyncio.to_thread(refuse_during_operation, root, "nothing was changed")
    target, no_target = await asyncio.to_thread(_push_target, root, launch)
    if no_target is not None and no_target.details.get("reason") != "no_remote":
        raise no_target  # e.g. a detached HEAD: nowhere to push, so do not even commit
    # A launch needs a free slot: without one, a commit pushed now would wait for a launch
    # the user may never make, so nothing is written until they free one.
    slots = await _slots(context)
    return Prepared(root, path, current, target, no_target, slots)


def _push_target(root: Path, launch: LaunchInfo) -> tuple[PushTarget | None, NoPushTarget | None]:
    launched = launch.ref if launch.under_binder else ""
    try:
        return push_target(root, launched or None), None
    except NoPushTarget as err:
        return None, err


async def _slots(context: RelaunchContext) -> SlotFacts:
    try:
        return build_slots(await context.projects_service.list())
    except BinderError as err:
        return unknown_slots(err)


async def _write(
    context: RelaunchContext, prepared: Prepared, values: Mapping[str, Any] | None
) -> ResourcesAnswer:
    """Step 2: write the new values (without any, the file as it is is committed)."""
    if values is None:
        return prepared.current
    site, launch, etag = context.site, context.launch(), prepared.current["etag"]
    return await asyncio.to_thread(
        lambda: write_resources(site, launch, values, if_match=etag, env=context.env)
    )


async def _commit(
    context: RelaunchContext, prepared: Prepared, message: str, written: bool
) -> Committed:
    """Step 3: commit that file alone (the one commit rule, credentials scanned first)."""
    launch, root = context.launch(), prepared.root

    def commit() -> Committed:
        relative = path_in_repo(root, prepared.path)
        identity = commit_identity(root, launch.user, (launch.hub_url, launch.launch_host))
        return commit_exactly(root, [relative], message, identity, scan_commit)

    try:
        return await asyncio.to_thread(commit)
    except (GitFailed, CredentialFound) as err:
        saved = " was saved, but" if written else ""
        raise CommandFailed(
            f"{context.site.resources_filename}{saved} could not be committed. {err.message}",
            **err.details,
            done={"written": written, "committed": False, "pushed": False},
        ) from err


async def _push(prepared: Prepared) -> Pushed:
    """Step 4: push, after scanning what the push sends (earlier commits included)."""
    target = prepared.target
    if target is None:
        assert prepared.no_target is not None
        return Pushed(no_remote_push(prepared.no_target))
    root = prepared.root
    ahead = await asyncio.to_thread(commits_to_push, root, target)
    findings = await asyncio.to_thread(scan_push, root, target.remote)
    if findings:
        refusal = credential_refusal(findings, "Not pushed")
        return Pushed(held_push(target, refusal.message), ahead)
    return Pushed(await asyncio.to_thread(push, root, target), ahead)


async def _launch(context: RelaunchContext, new: NewCommit) -> LaunchOutcome:
    """Step 5: with the running image where only the file changed, else through BinderHub
    (or, on a plain hub, a named server the spawner builds)."""
    launch = new.launch
    link = launch.launch_url_for(new.sha, new.labpath)  # gh, gl, git, gist under a BinderHub
    if not link and not launch.under_hub:
        return nowhere_to_launch(new)
    plan = await plan_direct_start(
        context, launch, new.root, resources_path(context.site), new.sha, new.branch
    )
    if not link or isinstance(plan, DirectStart):
        started = await start_named_server(context, new, plan, can_fall_back=bool(link))
        if isinstance(started, LaunchOutcome):
            return started
        plan = started  # the hub refused or failed: BinderHub's link instead
    follow = await follow_build(context, link)  # the panel follows BinderHub's build if it may
    return link_outcome(new, link, plan, follow)
