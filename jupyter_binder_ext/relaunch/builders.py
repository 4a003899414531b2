"""The relaunch answer, built from what each step found or did: no I/O, no clock.

Every sentence of ``POST binder/api/relaunch`` is made here, from :mod:`.facts`, the commit
(:class:`.common.git_commit.Committed`) and the push (:class:`.common.git_push.PushResult`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from jupyter_binder_ext.common.git_commit import Committed
from jupyter_binder_ext.common.git_push import NoPushTarget, PushResult, PushTarget
from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.errors import BinderError, Conflict
from jupyter_binder_ext.relaunch.answers import (
    BinderHubLaunch,
    BuildFollow,
    HubLaunch,
    HubUserOptions,
    RelaunchAnswer,
    SlotFacts,
    StopCurrent,
)
from jupyter_binder_ext.relaunch.direct import CATCH_UP_OPTION, DirectStart, NoDirectStart
from jupyter_binder_ext.relaunch.facts import LaunchOutcome, NewCommit, Pushed
from jupyter_binder_ext.resources.answers import ResourcesAnswer

# -- slots --------------------------------------------------------------------------------------


def build_slots(listing: Mapping[str, Any]) -> SlotFacts:
    """The slots as ``GET projects`` counts them."""
    return {
        "available": bool(listing.get("available", True)),
        "limit": listing.get("limit"),
        "used": listing.get("used"),
        "free": listing.get("free"),
        "full": bool(listing.get("full")),
        # In the order to offer them, never this notebook (projects/listing.py decides).
        "deletable": listing.get("deletable", []),
        "control_panel_url": listing.get("control_panel_url"),
        "message": listing.get("message", ""),
    }


def unknown_slots(err: BinderError) -> SlotFacts:
    """The hub could not be asked: said, not fatal."""
    return {
        "available": False,
        "limit": None,
        "used": None,
        "free": None,
        "full": False,
        "deletable": [],
        "control_panel_url": None,
        "message": err.message,
    }


def full_message(slots: SlotFacts, pushed: bool) -> str:
    names = [d["name"] for d in slots["deletable"]]
    stopped = [d["name"] for d in slots["deletable"] if d["stopped"]]
    candidates = stopped or names
    which = f" (for example {', '.join(candidates[:3])})" if candidates else ""
    done = (
        "nothing was started (the commit is already pushed)"
        if pushed
        else "nothing was written, committed or pushed"
    )
    return (
        f"All {slots['limit']} project slots are taken, stopped projects included, so {done}. "
        f"Delete a project you no longer need{which}, then relaunch again. Stopping this "
        "notebook would not free a slot; deleting it would."
    )


def not_stopped(requested: bool, message: str = "") -> StopCurrent:
    stop: StopCurrent = {"requested": requested, "scheduled": False, "done": False}
    if message:
        stop["message"] = message
    return stop


def build_no_free_slot(
    current: ResourcesAnswer, slots: SlotFacts, stop_current: bool
) -> RelaunchAnswer:
    """Every slot was taken before the relaunch began: nothing was done."""
    return {
        "ok": False,
        "resources": current,  # the file as it is: not written
        "commit": None,
        "push": None,
        "launch": None,
        "slots": slots,
        "stop_current": not_stopped(stop_current),
        "message": full_message(slots, pushed=False),
    }


# -- commit and push ----------------------------------------------------------------------------


def no_remote_push(no_target: NoPushTarget) -> PushResult:
    """The push that was not tried: there is nowhere to push."""
    hint = no_target.message + " Your commit is kept here."
    return PushResult(False, "", "", "", "", "no_remote", hint, returncode=None)


def held_push(target: PushTarget, refusal: str) -> PushResult:
    """The push that was not run because what it would send holds a credential."""
    hint = (
        refusal + " It is in an earlier unpushed commit: take it out of that commit "
        "(`git rebase -i`), then relaunch again. Your commit is kept here."
    )
    return PushResult(
        False, target.remote, target.url, target.ref, "", "credential_found", hint, None
    )


def committed_text(made: Committed, pushed: Pushed) -> str:
    if not made.created:
        return f"Nothing new to commit; {short_sha(made.sha)} is the commit to launch"
    text = f"Committed {short_sha(made.sha)} ({made.message})"
    ahead = pushed.ahead
    if ahead and ahead > 1 and pushed.result.ok:
        # Relaunch pushes the branch: earlier commits of the user's went with this one.
        text += f" (with {ahead - 1} earlier unpushed commit{'s' if ahead > 2 else ''})"
    return text


def build_not_pushed(
    resources: ResourcesAnswer, made: Committed, pushed: Pushed, stop_current: bool
) -> RelaunchAnswer:
    """The commit is made and kept, the push refused or held: nothing is launched."""
    return {
        "ok": False,
        "resources": resources,
        "commit": made.to_json(),
        "push": pushed.result.to_json(),
        "launch": None,
        "slots": None,
        "stop_current": not_stopped(stop_current),
        "message": f"{committed_text(made, pushed)}, but it was not pushed, so nothing was "
        f"launched. {pushed.result.hint}",
    }


def build_relaunch(
    resources: ResourcesAnswer, made: Committed, pushed: Pushed, outcome: LaunchOutcome
) -> RelaunchAnswer:
    """Committed, pushed, and launched as `outcome` says."""
    push = pushed.result.to_json()
    return {
        "ok": outcome.ok,
        "resources": resources,
        "commit": made.to_json(),
        "push": push,
        "launch": outcome.launch,
        "slots": outcome.slots,
        "stop_current": outcome.stop_current,
        "message": f"{committed_text(made, pushed)} and pushed to {push['branch']}. "
        + outcome.message,
    }


# -- launch -------------------------------------------------------------------------------------


def nowhere_to_launch(new: NewCommit) -> LaunchOutcome:
    message = (
        "This server runs neither under a BinderHub nor under JupyterHub, so nothing was launched."
    )
    return LaunchOutcome(None, False, message, not_stopped(new.stop_current), new.slots)


def link_outcome(
    new: NewCommit, link: str, plan: NoDirectStart, follow: BuildFollow
) -> LaunchOutcome:
    """BinderHub's launch link: BinderHub builds the new commit's image, followed by this
    server where the hub lets its token in, else by the browser opening the link."""
    entry: BinderHubLaunch = {
        "kind": "binderhub",
        "url": link,
        # Followed here, the link would launch a second server.
        "open": not follow["followed"],
        "started": False,
        "server_name": None,
        "ready": False,
        "rebuild": True,
        "reason_code": plan.code,
        "reason": plan.reason,
        "environment_files": list(plan.environment_files),
        "build": follow,
    }
    if follow["followed"]:
        message = (
            f"BinderHub is building the new commit ({plan.reason}); the Projects section "
            "shows its progress until the new project is ready."
        )
    else:
        message = (
            "Open the launch link in a new tab: BinderHub builds and starts the new commit "
            f"(not started without a rebuild: {plan.reason})."
        )
    stop = not_stopped(
        new.stop_current,
        "BinderHub starts the new server from your browser; stop this one from the projects "
        "list once the new one runs."
        if new.stop_current
        else "",
    )
    # ok: the slots had room when the relaunch began.
    return LaunchOutcome(entry, True, message, stop, new.slots)


def hub_launch(new: NewCommit, plan: DirectStart | NoDirectStart, options: Any) -> HubLaunch:
    """The entry of a named server about to be started through the hub's API."""
    direct = isinstance(plan, DirectStart)
    return {
        "kind": "hub",
        "url": "",
        "open": False,
        "started": False,
        "server_name": None,
        "ready": False,
        # Shown without the carried objects (bytes of git, not for reading).
        "user_options": cast(
            HubUserOptions, {k: v for k, v in options.items() if k != CATCH_UP_OPTION}
        ),
        "rebuild": not direct,
        "reason_code": plan.code if isinstance(plan, NoDirectStart) else "",
        "reason": (
            f"only {new.resources_name} changed since the running image's commit "
            f"{short_sha(plan.image_commit)}: the new server runs that image"
            if isinstance(plan, DirectStart)
            else plan.reason
        ),
        "environment_files": list(plan.environment_files)
        if isinstance(plan, NoDirectStart)
        else [],
        "catch_up": (
            {
                "image_commit": plan.image_commit,
                "commit": new.sha,
                "objects": len(plan.catch_up.get("objects", [])),
            }
            if isinstance(plan, DirectStart)
            else None
        ),
    }


def not_started(new: NewCommit, entry: HubLaunch, err: BinderError) -> LaunchOutcome:
    """The hub refused or failed the start, and BinderHub's link cannot do instead."""
    failed = entry.copy()
    failed["error"] = cast(Any, err.to_json())
    slots = new.slots
    message = f"The hub did not start the new project: {err.message}"
    if isinstance(err, Conflict) and "limit" in err.details:
        # The slots filled up while the commit was pushed.
        slots = {**slots, "full": True}
        message = full_message(slots, pushed=True) if slots["deletable"] else err.message
    return LaunchOutcome(failed, False, message, not_stopped(new.stop_current), slots)


def not_ready(new: NewCommit, entry: HubLaunch, err: BinderError) -> LaunchOutcome:
    """Started, but the hub said it failed before it was ready."""
    failed = entry.copy()
    failed["error"] = cast(Any, err.to_json())
    return LaunchOutcome(failed, False, err.message, not_stopped(new.stop_current), new.slots)


def still_starting(new: NewCommit, entry: HubLaunch, waited: str) -> LaunchOutcome:
    """Started, not ready yet: this server keeps running."""
    stop = not_stopped(
        new.stop_current,
        "This server keeps running: the new one is not ready yet." if new.stop_current else "",
    )
    return LaunchOutcome(entry, True, waited, stop, new.slots)


def ready(new: NewCommit, entry: HubLaunch, stop: StopCurrent | None) -> LaunchOutcome:
    """The new project is ready; this server stopped (or stops) if asked."""
    message = f"The new project {entry['server_name']} is ready."
    if not entry["rebuild"]:
        message += (
            f" It runs this server's image, without a rebuild ({entry['reason']}); its "
            f"repository moves to {short_sha(new.sha)} in the background."
        )
    if stop is None:
        stop = not_stopped(new.stop_current)
    elif "message" in stop:
        message += " " + stop["message"]
    return LaunchOutcome(entry, True, message, stop, new.slots)
