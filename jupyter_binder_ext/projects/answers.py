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


class StartedResources(TypedDict):
    """What the hub's `.resources` hook gave the server at its last start (its user_options)."""

    cpu_guarantee: float
    cpu_limit: float
    mem_guarantee_gb: int
    mem_limit_gb: int
    gpu: int
    # True when the repository's `.resources` set them, False for the site defaults
    from_file: bool


class BuildProgress(TypedDict):
    """A BinderHub build a relaunch follows (BinderHub's build event stream, read here)."""

    id: str
    # BinderHub's launch link of the build
    link: str
    started_at: str
    # BinderHub's phase: waiting, fetching, building, pushing, built, launching, ready,
    # failed (or connecting before its first event)
    phase: str
    # the last line BinderHub sent
    message: str
    # the last lines of the log (GET projects/builds/{build_id}/log has all of them)
    log_tail: list[str]
    log_lines: int
    done: bool
    # the project it launched, once ready (None before)
    server_name: str | None
    url: str | None
    # the build or its launch failed: BinderHub's words and a plain hint (phase "build")
    failure: SpawnFailure | None


class BuildLogAnswer(BuildProgress):
    """``GET projects/builds/{build_id}/log``: a followed build and its whole log."""

    log: list[str]


class LaunchedProject(TypedDict):
    """What a project was launched from and with, from the hub's record of its launch (its
    ``user_options``)."""

    repo_url: str
    repo: str
    ref: str
    commit: str
    ref_url: str
    launch_url: str
    image: str
    # None when the hub did not record them (a hub without this extension's hook)
    resources: StartedResources | None
    # "1-8 CPU · 1-16 GB · 1 GPU"; "" when not known
    resources_text: str
    # the part of the server name that sets it apart ("…-x7k2m9q1" past its repository)
    short_name: str
    # what sets this project apart from the user's others: ref @ commit · resources · name
    tells_apart: str


class Project(LaunchedProject):
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
    is_current: bool
    # another project would read the same (repository, ref, commit, resources): show the name
    name_needed: bool
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
    started: str | None
    last_activity: str | None
    resources_text: str
    short_name: str
    tells_apart: str


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
    # the BinderHub builds relaunches from this server follow, newest first
    builds: list[BuildProgress]


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
