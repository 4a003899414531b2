"""One plain-text block for the service desk about a project's launch (``GET
projects/{name}/report``, ``jupyter binder report``, ``%binder report``, "Copy report").

It says what a person at the desk needs to act without asking back: the site, the user, what
was launched (repository, ref, commit, server name, image), the ``.resources`` asked for, the
time, the hub's message with the plain hint, the last log lines and this extension's version.
Every line goes through :func:`redact`, and the server's own hub token is blanked wherever it
might appear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jupyter_binder_ext.common.readable import moment
from jupyter_binder_ext.common.redact import HIDDEN, redact
from jupyter_binder_ext.errors import NotFound
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.projects.answers import ReportAnswer, SpawnFailure
from jupyter_binder_ext.projects.build_progress import BuildFeed, with_failed_build
from jupyter_binder_ext.projects.names import validate_server_name

RESOURCE_KEYS = ("cpur", "cpul", "memr", "meml", "gpu")


def _version() -> str:
    """This extension's installed version (read from its metadata: the package's own
    ``__init__`` imports the server, which imports this)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jupyter_binder_ext")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "0.0.0"


def pick_project(servers: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    """The row of `name`; without a name the most recent failed project, else this one."""
    if name:
        return next((s for s in servers if s["name"] == name), None)
    failed = [s for s in servers if s.get("failure")]
    failed.sort(key=lambda s: str((s.get("failure") or {}).get("at") or ""), reverse=True)
    current = [s for s in servers if s.get("is_current")]
    chosen = failed or current
    return chosen[0] if chosen else None


def resources_line(resources: Mapping[str, Any] | None, same_repository: bool) -> str:
    if not same_repository or resources is None:
        return "not known here (the project is of another repository)"
    if not resources.get("exists"):
        return "no .resources file: the site defaults"
    values = resources.get("values") or {}
    asked = " ".join(f"{k}={values[k]}" for k in RESOURCE_KEYS if values.get(k) is not None)
    return f"{asked or '(nothing set)'} (this notebook's copy of the file)"


def _when(value: str | None, now: datetime) -> str:
    """Relative words and the local date, as every text face writes a moment."""
    return moment(value, now) if value else "(unknown)"


def report_text(
    project: Mapping[str, Any] | None,
    launch: LaunchInfo,
    resources: Mapping[str, Any] | None,
    now: datetime,
    token: str = "",
) -> str:
    """The report as text: pure, so every face shows the same block."""
    project = project or {}
    failure = project.get("failure") or {}
    starting = project.get("starting") or {}
    same_repository = bool(project) and project.get("repo_url") == redact(launch.repo_url)
    if not project:
        same_repository = True
    lines = [
        f"Binder launch report (jupyter-binder-ext {_version()})",
        f"Time: {moment(now, now)}",
        f"Site: {launch.hub_url or '(not under a hub)'}",
        f"Launch host: {launch.launch_host or '(unknown)'}",
        f"User: {launch.user or '(unknown)'}",
        f"Server: {project.get('name') or launch.server_name or '(default)'}"
        + (" (this notebook)" if project.get("is_current") or not project else ""),
        f"State: {project.get('state') or 'running'}",
        f"Repository: {project.get('repo_url') or launch.repo_url or '(unknown)'}",
        f"Ref: {project.get('ref') or launch.ref or '(unknown)'}",
        f"Commit: {project.get('commit') or launch.resolved_ref or '(unknown)'}",
        f"Image: {project.get('image') or launch.image or '(unknown)'}",
        f".resources asked for: {resources_line(resources, same_repository)}",
        f"Resources at start: {project.get('resources_text') or '(not recorded by the hub)'}",
        f"Started: {_when(project.get('started'), now)}",
        f"Last activity: {_when(project.get('last_activity'), now)}",
    ]
    if starting:
        lines.append(f"Starting: {starting.get('progress')}% {starting.get('message')}")
    if project.get("build_link"):  # projects/build_progress.py with_failed_build
        lines.append(f"BinderHub build: {project['build_link']}")
    if failure:
        lines += [
            f"Failed at: {_when(failure.get('at'), now)} ({failure.get('phase')})",
            f"Hub's message: {failure.get('message')}",
            f"Likely cause: {failure.get('hint')}",
            "Last log lines:",
            *(f"  {line}" for line in failure.get("log_tail") or []),
        ]
    else:
        lines.append("Hub's message: (no failure recorded)")
    text = "\n".join(redact(str(line)) for line in lines)
    return text.replace(token, HIDDEN) if token else text


@dataclass(frozen=True)
class ReportFacts:
    """What the report is made of, gathered by the service layer (state.project_report)."""

    name: str  # the project asked about ("" for the last failed one, else this one)
    launch: LaunchInfo
    servers: Sequence[Mapping[str, Any]]  # GET projects' rows; empty when not under a hub
    failed_build: BuildFeed | None  # the newest build this server followed that failed
    resources: Mapping[str, Any] | None  # GET resources, None when it could not be read
    now: datetime
    token: str  # this server's hub token: blanked wherever it might appear


def check_report_name(name: str) -> str:
    return validate_server_name(name) if name else ""


def build_report(facts: ReportFacts) -> ReportAnswer:
    """``GET projects/{name}/report``: the report on `name` (see :func:`pick_project`)."""
    name, launch = facts.name, facts.launch
    project = pick_project(facts.servers, name)
    if not name or name == launch.server_name:
        project = with_failed_build(project, facts.failed_build)
    if name and project is None and name != launch.server_name:
        raise NotFound(f"You have no project named {name!r}; `projects` lists them.", name=name)
    text = report_text(project, launch, facts.resources, facts.now, token=facts.token)
    failure: SpawnFailure | None = (project or {}).get("failure")
    return {
        "name": str((project or {}).get("name") or launch.server_name),
        "text": text,
        "failure": failure,
    }
