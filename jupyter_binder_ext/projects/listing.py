"""The ``GET projects`` answer built from the hub's user model, and its readable text.

Pure presentation: no hub calls here (:mod:`.service` makes them). Slots are counted as the
hub counts them when it refuses a launch: every named server it still holds, stopped ones
included (the default, unnamed server is not counted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlparse

from jupyter_binder_ext.common.readable import relative, span
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.common.units import SHA_RE, short_sha
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.launch.spec import parse_spec
from jupyter_binder_ext.projects.answers import (
    BuildProgress,
    DeletableProject,
    LaunchedProject,
    Project,
    ProjectsAnswer,
)
from jupyter_binder_ext.projects.apart import (
    mark_name_needed,
    resources_of,
    resources_text,
    short_name,
    tells_apart,
)

# -- times ----------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """The hub's ISO 8601 timestamps (``...Z``) as aware datetimes; None when absent."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


# -- the list, from the hub's user model ----------------------------------------------------

_STATES = {"spawn": "starting", "stop": "stopping"}
# A project the culler deletes within this many seconds is marked `deletion_near`.
DELETION_NEAR_SECONDS = 24 * 3600


def _repo_label(repo_url: str) -> str:
    if not repo_url:
        return ""
    path = urlparse(repo_url).path if "://" in repo_url else repo_url
    path = path.strip("/")
    return path[:-4] if path.endswith(".git") else path


def _ref_of(options: Mapping[str, Any]) -> str:
    for key in ("binder_persistent_request", "binder_request"):
        spec = parse_spec(str(options.get(key) or ""))
        if spec and spec.ref:
            return spec.ref
    match = re.search(
        r"/(?:tree|commit|-/tree)/([^/?#]+)", str(options.get("binder_ref_url") or "")
    )
    return match.group(1) if match else ""


def _commit_of(options: Mapping[str, Any]) -> str:
    spec = parse_spec(str(options.get("binder_persistent_request") or ""))
    return short_sha(spec.ref) if spec and SHA_RE.fullmatch(spec.ref or "") else ""


def _what_was_launched(name: str, options: Mapping[str, Any]) -> LaunchedProject:
    """The fields of a row that come from the launch's ``user_options``: what was launched,
    with which resources, and the words that set it apart from the user's other projects."""
    # user_options are the hub's record of the launch: a token in a URL stays there.
    repo_url = redact(str(options.get("repo_url") or ""))
    launch_host = str(options.get("binder_launch_host") or "")
    persistent = redact(str(options.get("binder_persistent_request") or ""))
    if launch_host and not launch_host.endswith("/"):
        launch_host += "/"
    resources = resources_of(options)
    fields: LaunchedProject = {
        "repo_url": repo_url,
        "repo": _repo_label(repo_url),
        "ref": _ref_of(options),
        "commit": _commit_of(options),
        "ref_url": redact(str(options.get("binder_ref_url") or "")),
        "launch_url": f"{launch_host}{persistent.lstrip('/')}"
        if launch_host and persistent
        else "",
        "image": str(options.get("image") or ""),
        "resources": resources,
        "resources_text": resources_text(resources),
        "short_name": short_name(name, repo_url),
        "tells_apart": "",
    }
    # The ref as typed (main) says more than the commit that `ref` holds once resolved.
    typed = parse_spec(str(options.get("binder_request") or ""))
    fields["tells_apart"] = tells_apart(fields, typed.ref if typed else "")
    return fields


def server_entry(
    name: str,
    server: Mapping[str, Any],
    launch: LaunchInfo,
    site: SiteConfig,
    now: datetime,
) -> Project:
    """One row of ``GET projects`` from one entry of the hub's ``servers`` dict.

    ``state`` is one of running, starting, stopping, stopped; ``commit`` the short commit
    when the launch was pinned to one, so two projects of one repository tell apart.
    """
    options = server.get("user_options") or {}
    if not isinstance(options, Mapping):
        options = {}
    launched = _what_was_launched(name, options)
    pending = server.get("pending") or None
    ready = bool(server.get("ready"))
    stopped = bool(server.get("stopped")) and not pending
    state = _STATES.get(pending, str(pending)) if pending else "running" if ready else "stopped"
    started = parse_time(server.get("started"))
    last_activity = parse_time(server.get("last_activity"))
    # The culler deletes running servers idle for inactivity_timeout; a stopped server has
    # no activity to measure, so it is never culled and holds its slot until deleted.
    since = last_activity or started
    expires = (
        None if stopped or since is None else since + timedelta(seconds=site.inactivity_timeout)
    )
    expires_in = None if expires is None else (expires - now).total_seconds()
    hub_display = str(server.get("display_name") or "")
    label = launched["repo"]
    return {
        "name": name,
        "display_name": hub_display if hub_display and hub_display != name else (label or name),
        "url": server.get("full_url") or server.get("url") or "",
        "ready": ready,
        "pending": pending,
        "stopped": stopped,
        "state": state,
        "started": format_time(started),
        "last_activity": format_time(last_activity),
        "expires_at": format_time(expires),
        "expires_in": expires_in,
        "deletion_near": expires_in is not None and expires_in < DELETION_NEAR_SECONDS,
        **launched,
        "is_current": name == launch.server_name,
        "name_needed": False,  # set once every entry is known (summarize)
        # Filled by the service from the hub's progress stream (projects/progress.py).
        "starting": None,
        "failure": None,
    }


def _ordered(entries: list[Project]) -> list[Project]:
    """This notebook first, then running before stopped, most recently active first."""
    entries = sorted(entries, key=lambda e: e["last_activity"] or e["started"] or "", reverse=True)
    return sorted(entries, key=lambda e: (not e["is_current"], e["stopped"]))


def deletable(entries: list[Project]) -> list[DeletableProject]:
    """The projects that may be deleted to free a slot, in the order to offer them: stopped
    ones first (nothing running is lost), then the longest idle; never this notebook."""
    others = [e for e in entries if not e["is_current"]]
    others.sort(key=lambda e: e["last_activity"] or e["started"] or "")
    others.sort(key=lambda e: not e["stopped"])
    return [_deletable(entry) for entry in others]


def _deletable(entry: Project) -> DeletableProject:
    return {
        "name": entry["name"],
        "display_name": entry["display_name"],
        "repo": entry["repo"],
        "ref": entry["ref"],
        "commit": entry["commit"],
        "state": entry["state"],
        "stopped": entry["stopped"],
        "started": entry["started"],
        "last_activity": entry["last_activity"],
        "resources_text": entry["resources_text"],
        "short_name": entry["short_name"],
        "tells_apart": entry["tells_apart"],
    }


def full_message(limit: int, control_panel_url: str) -> str:
    where = f" or in the hub's control panel ({control_panel_url})" if control_panel_url else ""
    return (
        f"All {limit} project slots are in use, stopped projects included. Delete a project "
        f"you no longer need (Delete here{where}) before launching another one; stopping "
        "alone does not free a slot."
    )


@dataclass(frozen=True)
class ListingFacts:
    """What the answer says besides the hub's servers: where the limit came from, the hub's
    version, the BinderHub builds this server follows."""

    limit_source: str = "default"
    hub_version: str = ""
    builds: tuple[BuildProgress, ...] = ()


def summarize(
    model: Mapping[str, Any],
    launch: LaunchInfo,
    site: SiteConfig,
    now: datetime | None = None,
    facts: ListingFacts = ListingFacts(),
) -> ProjectsAnswer:
    """The ``GET projects`` answer from the hub's user model (``include_stopped_servers``)."""
    now = now or datetime.now(timezone.utc)
    servers = model.get("servers") or {}
    named = {name: s for name, s in servers.items() if name}  # the default server is free
    entries = _ordered([server_entry(name, s, launch, site, now) for name, s in named.items()])
    mark_name_needed(entries)
    limit = int(site.max_named_servers)
    used = len(entries)
    full = limit > 0 and used >= limit
    return {
        "available": True,
        "message": full_message(limit, launch.control_panel_url) if full else "",
        "user": launch.user,
        "limit": limit,
        "used": used,
        "free": max(limit - used, 0) if limit > 0 else None,
        "full": full,
        "current": launch.server_name,
        "servers": entries,
        "deletable": deletable(entries),
        "stopped_holding_slots": sum(1 for e in entries if e["stopped"]),
        "control_panel_url": launch.control_panel_url,
        "limit_source": facts.limit_source,
        "hub_version": facts.hub_version,
        "builds": list(facts.builds),
    }


def not_available(
    launch: LaunchInfo, site: SiteConfig, message: str, facts: ListingFacts = ListingFacts()
) -> ProjectsAnswer:
    return {
        "available": False,
        "message": message,
        "user": launch.user,
        "limit": int(site.max_named_servers),
        "used": 0,
        "free": None,
        "full": False,
        "current": launch.server_name,
        "servers": [],
        "deletable": [],
        "stopped_holding_slots": 0,
        "control_panel_url": launch.control_panel_url,
        "limit_source": facts.limit_source,
        "hub_version": facts.hub_version,
        "builds": list(facts.builds),
    }


# -- readable text --------------------------------------------------------------------------


def _ago(iso: str | None, now: datetime) -> str:
    """Relative words (the one form every text face uses); ``unknown`` without a time."""
    when = parse_time(iso)
    return "unknown" if when is None else relative((when - now).total_seconds())


def _times(entry: Mapping[str, Any], now: datetime) -> str:
    """When it started and was last active; a stopped one only when it was last active, since
    the hub stamps its stop as activity (jupyterhub ``user.py`` stop): "active now" would lie."""
    if entry.get("stopped"):
        return f"last active {_ago(entry.get('last_activity'), now)}"
    active = f"active {_ago(entry.get('last_activity'), now)}"
    return f"started {_ago(entry['started'], now)}, {active}" if entry.get("started") else active


def _fate(entry: Mapping[str, Any]) -> str:
    if entry.get("stopped"):
        return "stopped: holds a slot until deleted"
    if entry.get("expires_in") is not None:
        warn = "!" if entry.get("deletion_near") else ""
        return f"{warn}deleted in {span(float(entry['expires_in']))} if left idle"
    return ""


def _row(entry: Mapping[str, Any], now: datetime) -> str:
    """``* name  state  repo  main @ 2cad9b8 · 1-8 CPU · 1-16 GB  started …  fate``."""
    mark = "*" if entry.get("is_current") else " "
    label = entry.get("display_name") or ""
    what = entry.get("repo") or (label if label != entry["name"] else "")
    # The full name leads the row, so the short one in tells_apart would say it twice.
    apart = str(entry.get("tells_apart") or "")
    short = str(entry.get("short_name") or "")
    if short and apart.endswith(short):
        apart = apart[: -len(short)].rstrip(" ·")
    parts = [f"{mark} {entry['name']}", str(entry.get("state", "")), what, apart]
    parts += [_times(entry, now), _fate(entry)]
    return "  ".join(p for p in parts if p)


def describe_projects(data: ProjectsAnswer) -> str:
    """Readable text for ``%binder projects`` and ``jupyter binder projects``."""
    if not data["available"]:
        return data["message"] or "Projects are not available here."
    now = datetime.now(timezone.utc)
    limit, used = data["limit"], data["used"]
    head = f"Projects: {used} of {limit} slots used" if limit else f"Projects: {used}"
    if limit and data["free"] is not None:
        head += f" ({data['free']} free)"
    lines = [head]
    for entry in data["servers"]:
        lines += [_row(entry, now), *_progress_lines(entry)]
    if not data["servers"]:
        lines.append("  (no named servers)")
    if data["current"]:
        lines.append("* = this notebook")
    if data["message"]:
        lines.append(data["message"])
    if data["control_panel_url"]:
        lines.append(f"Control panel: {data['control_panel_url']}")
    return "\n".join(lines)


def _progress_lines(entry: Project) -> list[str]:
    lines = []
    starting, failure = entry["starting"], entry["failure"]
    if starting:
        lines.append(f"    starting: {starting['progress']}% {starting['message']}")
    if failure:
        lines.append(f"    last start failed: {failure['message']}")
        lines.append(f"    likely cause: {failure['hint']} (`report {entry['name']}`)")
    return lines
