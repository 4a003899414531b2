"""Start the new commit as a named server through the hub's API, and stop this one after.

Where BinderHub's link can do instead, a start the hub refuses (its token lacks the scope) or
fails gives the reason to fall back to it (a :class:`.direct.NoDirectStart`); otherwise the
outcome says what happened (:mod:`.builders` words it).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any
from urllib.parse import quote

from jupyter_binder_ext.errors import BinderError, Conflict, HubTimeout, MissingScopes
from jupyter_binder_ext.launch.binderhub import user_options_for as binderhub_options
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.projects.names import new_server_name
from jupyter_binder_ext.projects.service import ProjectsService
from jupyter_binder_ext.relaunch.answers import HubLaunch, StopCurrent
from jupyter_binder_ext.relaunch.builders import (
    hub_launch,
    not_ready,
    not_started,
    ready,
    still_starting,
)
from jupyter_binder_ext.relaunch.context import RelaunchContext
from jupyter_binder_ext.relaunch.direct import (
    CATCH_UP_OPTION,
    NO_START_SCOPE,
    START_FAILED,
    DirectStart,
    NoDirectStart,
)
from jupyter_binder_ext.relaunch.facts import LaunchOutcome, NewCommit

# Seconds between answering and stopping this server (the answer must reach the browser).
STOP_DELAY = 2.0
_background: set[asyncio.Task[Any]] = set()


def user_options_for(
    launch: LaunchInfo, sha: str, branch: str, repo_url: str = "", plan: Any = None
) -> dict[str, Any]:
    """BinderHub's ``user_options`` for a launch of commit `sha` (of `branch`), any provider;
    with a :class:`.direct.DirectStart` plan, the running image and the commit to catch up
    to. Without one, no image: the hub's spawner picks (builds) the new commit's own."""
    if not isinstance(plan, DirectStart):
        return binderhub_options(launch, sha, branch, repo_url=repo_url)
    options = binderhub_options(launch, sha, branch, repo_url=repo_url, image=plan.image)
    options[CATCH_UP_OPTION] = plan.catch_up
    return options


async def start_named_server(
    context: RelaunchContext,
    new: NewCommit,
    plan: DirectStart | NoDirectStart,
    can_fall_back: bool,
) -> LaunchOutcome | NoDirectStart:
    """Start `new` as a named server; with `can_fall_back`, the reason to use BinderHub's
    link instead when the hub refuses or fails the start."""
    service = context.projects_service
    launch = new.launch
    options = user_options_for(launch, new.sha, new.branch, new.repo_url, plan)
    entry = hub_launch(new, plan, options)
    name = new_server_name(options["repo_url"] or f"{launch.owner}/{launch.repo}")
    try:
        started = await service.start(name, options)
    except MissingScopes as err:
        if can_fall_back:
            return NoDirectStart(
                NO_START_SCOPE,
                "the hub does not let this server's token start servers (it needs "
                "servers!user or start:servers!user)",
            )
        return not_started(new, entry, err)
    except Conflict as err:
        return not_started(new, entry, err)
    except BinderError as err:
        if not can_fall_back:
            return not_started(new, entry, err)
        # A server the failed spawn left behind would hold a slot: delete it.
        removed = await _remove_quietly(service, name)
        return NoDirectStart(
            START_FAILED,
            f"the hub could not start it with the running image ({err.message})"
            + ("; the server it made was deleted" if removed else ""),
        )
    base_url = str(started.get("url") or "")
    path = f"lab/tree/{quote(new.labpath, safe='/')}" if new.labpath else ""
    entry = {**entry, "started": True, "server_name": name, "url": base_url + path}
    return await _wait_ready(context, new, entry, name)


async def _wait_ready(
    context: RelaunchContext, new: NewCommit, entry: HubLaunch, name: str
) -> LaunchOutcome:
    try:
        await context.projects_service.wait_ready(name, new.ready_timeout)
    except HubTimeout as err:
        return still_starting(new, entry, err.message)
    except BinderError as err:
        return not_ready(new, entry, err)
    entry = {**entry, "ready": True, "open": True}
    server = new.launch.server_name
    stop = await _stop_current(context, server) if new.stop_current and server else None
    return ready(new, entry, stop)


async def _remove_quietly(service: ProjectsService, name: str) -> bool:
    """Delete a server a failed start left behind; whether it is gone."""
    try:
        await service.stop(name, remove=True)
    except BinderError:
        return False
    return True


async def _stop_current(context: RelaunchContext, name: str) -> StopCurrent:
    """Stop this server. Inside the server itself, only after the answer has gone out."""
    if _inside_jupyter_server():
        task = asyncio.get_running_loop().create_task(_stop_later(context, name, STOP_DELAY))
        _background.add(task)
        task.add_done_callback(_background.discard)
        return {
            "requested": True,
            "scheduled": True,
            "done": False,
            "server_name": name,
            "delay_s": STOP_DELAY,
            "message": f"This server ({name}) stops in {STOP_DELAY:g} s; it keeps its slot "
            "until you delete it.",
        }
    try:
        result = await context.projects_service.stop(name, remove=False, force=True)
    except BinderError as err:
        return {
            "requested": True,
            "scheduled": False,
            "done": False,
            "server_name": name,
            "message": f"This server was not stopped: {err.message}",
        }
    message = str(result.get("message") or f"Stopped {name}.")
    return {
        "requested": True,
        "scheduled": False,
        "done": True,
        "server_name": name,
        "message": message,
    }


async def _stop_later(context: RelaunchContext, name: str, delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await context.projects_service.stop(name, remove=False, force=True)
    except BinderError as err:
        context.log.warning("Could not stop %s after the relaunch: %s", name, err.message)


def _inside_jupyter_server() -> bool:
    module = sys.modules.get("jupyter_server.serverapp")
    return bool(module and module.ServerApp.initialized())
