"""The answer of ``GET work`` from its facts: pure, no I/O, no clock.

The scan of this server's files and git (:mod:`.scan`), the packages installed since launch
(:mod:`.installs`) and what the hub's projects list says (:class:`HubFacts`) come in; every
sentence of the answer (what idle deletion would lose, when, the reminder) is made here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jupyter_binder_ext.common.readable import DAY, relative, span
from jupyter_binder_ext.work.answers import (
    Deletion,
    ProjectAtRisk,
    Reminder,
    RuntimeInstalls,
    Unpushed,
    WorkAnswer,
    WorkScan,
)
from jupyter_binder_ext.work.installs import installs_phrase
from jupyter_binder_ext.work.scan import limits_reached

# The scope a server's token needs to read another project's work through the hub's proxy.
SIBLING_SCOPE = "access:servers!user"


@dataclass(frozen=True)
class HubFacts:
    """What the hub's projects list says of this server and the user's others."""

    server_name: str
    unknown: str | None  # why the list could not be read (None when it was)
    current: Mapping[str, Any] | None  # this server's entry; None when the hub lists none
    others: tuple[Mapping[str, Any], ...]


def build_work(scan: WorkScan, installs: RuntimeInstalls, hub: HubFacts, days: float) -> WorkAnswer:
    """``GET work``: the scan, the runtime installs counted as at risk (and said when
    unknown), the deletion date, the reminder of other projects near theirs."""
    at_risk = scan["at_risk"] or installs["count"] > 0
    deletion = build_deletion(hub)
    message = loss_summary(scan, installs["count"])
    if deletion["known"] and at_risk:
        message += " " + deletion["message"]
    unknown_installs = [] if installs["known"] else [installs["message"]]
    return {
        **scan,
        "at_risk": at_risk,
        "runtime_installs": installs,
        "warnings": scan["warnings"] + unknown_installs,
        "deletion": deletion,
        "reminder": build_reminder(at_risk, hub.others, days),
        "sibling": {
            "possible": deletion["known"],
            "message": "Another project's own work summary is fetched only when you ask: "
            "the request goes through the hub's proxy and counts as activity there. It "
            f"needs the hub to grant this server {SIBLING_SCOPE}.",
        },
        "message": message,
    }


def build_deletion(hub: HubFacts) -> Deletion:
    """When idle deletion comes for this server, from the hub's ``expires_in``."""
    unknown: Deletion = {"known": False, "expires_at": None, "expires_in": None, "message": ""}
    current = hub.current
    if hub.unknown is not None:
        return {**unknown, "message": f"The deletion date is unknown: {hub.unknown}"}
    if current is None:
        return {
            **unknown,
            "message": f"The hub does not list this server ({hub.server_name}), so its "
            "deletion date is unknown.",
        }
    if current.get("expires_in") is None:
        return {**unknown, "message": "The hub reports no activity for this server yet."}
    seconds = float(current["expires_in"])
    return {
        "known": True,
        "expires_at": current.get("expires_at"),
        "expires_in": seconds,
        # Words only: the panel shows the local date on hover, the text faces beside it.
        "message": f"If left idle, this project is deleted {relative(seconds)}.",
    }


def build_reminder(at_risk: bool, others: Sequence[Mapping[str, Any]], days: float) -> Reminder:
    """The user's other running projects within `days` of deletion, and the words to say."""
    near: list[ProjectAtRisk] = []
    for server in others:
        seconds = server.get("expires_in")
        if server.get("stopped") or seconds is None or float(seconds) > days * DAY:
            continue
        near.append(
            {
                "name": str(server.get("name")),
                "display_name": str(server.get("display_name") or server.get("name")),
                "expires_at": server.get("expires_at"),
                "expires_in": float(seconds),
                "mark": f"deleted in {span(float(seconds))} if left idle: save its work",
            }
        )
    message = ""
    if near:
        one = len(near) == 1
        names = ", ".join(p["display_name"] for p in near)
        message = (
            f"{names} {'is' if one else 'are'} within {days:g} days of deletion for "
            f"inactivity. Like this project, {'it' if one else 'they'} may hold unsaved "
            f"work: open {'it' if one else 'them'}, or check {'its' if one else 'their'} "
            "work from the Binder panel."
        )
    return {"notify": bool(near) and at_risk, "days": days, "message": message, "projects": near}


def _plural(count: int, word: str, plural: str = "s") -> str:
    return f"{count} {word}{plural if count != 1 else ''}"


def _local_only(unpushed: Unpushed) -> list[str]:
    """Other branches' unpushed commits and stashes, in words."""
    parts = [
        f"{_plural(ahead['count'], 'commit')} on branch {ahead['branch']}"
        for ahead in unpushed["other_branches"][:3]
    ]
    if len(unpushed["other_branches"]) > 3:
        parts.append(f"commits on {len(unpushed['other_branches']) - 3} more branches")
    if unpushed["stashes"]:
        parts.append(f"{_plural(unpushed['stashes'], 'stash', 'es')} (git stash)")
    return parts


def _losses(scan: WorkScan, installs: int) -> list[str]:
    """What idle deletion would lose, part by part."""
    parts = []
    outside = sum(1 for e in scan["outside"]["files"] if e["on_volume"] != "same")
    changed = scan["unsaved_files"] - outside
    if changed:
        parts.append(_plural(changed, "changed file"))
    if scan["unpushed"]["count"]:
        parts.append(_plural(scan["unpushed"]["count"], "unpushed commit"))
    if outside:
        parts.append(f"{_plural(outside, 'file')} outside the repository")
    parts.extend(_local_only(scan["unpushed"]))
    if installs:  # work/installs.py: in the container only, not in the files
        parts.append(installs_phrase(installs))
    return parts


def loss_summary(scan: WorkScan, installs: int = 0) -> str:
    """What idle deletion would lose, in one sentence; "at least" when the scan stopped early."""
    parts = _losses(scan, installs)
    lost = ", ".join(parts)
    incomplete = scan["incomplete"]
    outside = scan["outside"]
    limits = limits_reached(scan["changed_total"], outside["truncated"], outside["note"])
    # More than the limits: git failed or a folder could not be read, so the counts may
    # miss anything at all. Said first, in plain words.
    if incomplete != limits:
        if not parts:
            return (
                f"Could not check all of your work: {incomplete}. Idle deletion may lose "
                "work here that the scan could not see."
            )
        return (
            f"Could not check all of your work: {incomplete}. Idle deletion would lose at "
            f"least {lost}, and there may be more."
        )
    if incomplete:
        if not parts:
            return (
                "Nothing unsaved among the files the scan looked at, but it could not look at "
                f"all of them ({incomplete}): there may be more. A copy to persistent storage "
                "saves every file."
            )
        return (
            f"Idle deletion would lose at least {lost}; the scan could not look at every "
            f"file ({incomplete}), so there may be more."
        )
    if not parts:
        return "Nothing here would be lost: every change is committed and pushed or on the volume."
    return f"Idle deletion would lose {lost}."
