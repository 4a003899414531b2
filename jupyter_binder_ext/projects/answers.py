"""The answers of ``GET binder/api/projects`` and ``DELETE .../projects/{name}``."""

from __future__ import annotations

from typing import Literal, TypedDict

ProjectState = Literal["running", "starting", "stopping", "stopped"]


class StartingProgress(TypedDict):
    """The latest event of the hub's progress stream for a starting server."""

    # 0-100, as the hub's event says (JupyterHub's spawn page shows the same)
    progress: int
    message: str


class SpawnFailure(TypedDict):
    """Why the last start of a stopped server failed, in the hub's words and in plain words."""

    message: str
    # ISO time of the failed attempt (the hub's record of it), None when unknown
    at: str | None
    # "start": the hub's spawn (JupyterHub or its spawner); "build": BinderHub's build
    phase: str
    # the last progress messages before the failure, ending with the hub's own message
    log_tail: list[str]
    hint: str


class Project(TypedDict):
    """One of the user's named servers, as the hub lists it."""

    name: str
    display_name: str
    url: str
    ready: bool
    pending: str | None
    stopped: bool
    state: str
    started: str | None
    last_activity: str | None
    expires_at: str | None
    expires_in: float | None
    deletion_near: bool
    repo_url: str
    repo: str
    ref: str
    commit: str
    ref_url: str
    launch_url: str
    image: str
    is_current: bool
    # while the hub starts it: its latest progress event (None otherwise)
    starting: StartingProgress | None
    # when it is stopped and its last start failed (None otherwise)
    failure: SpawnFailure | None


class DeletableProject(TypedDict):
    """A project that may be deleted to free a slot (never this notebook)."""

    name: str
    display_name: str
    repo: str
    ref: str
    commit: str
    state: str
    stopped: bool
    last_activity: str | None


class ProjectsAnswer(TypedDict):
    available: bool
    message: str
    user: str
    limit: int
    # config, environment, hub_refusal or default (projects/slot_limit.py)
    limit_source: str
    hub_version: str
    used: int
    free: int | None
    full: bool
    current: str
    servers: list[Project]
    deletable: list[DeletableProject]
    stopped_holding_slots: int
    control_panel_url: str


class StopAnswer(TypedDict):
    name: str
    action: Literal["stop", "delete"]
    removed: bool
    status: str
    message: str


class ReportAnswer(TypedDict):
    """``GET projects/{name}/report``: one plain-text block for the service desk."""

    name: str
    text: str
    failure: SpawnFailure | None
