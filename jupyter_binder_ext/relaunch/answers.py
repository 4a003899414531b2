"""The answer of ``POST binder/api/relaunch``.

A refused push or full slots are a 200 with ``ok: false``: the steps that ran are reported
(``resources`` written, ``commit`` made, ``push`` tried) so the user knows exactly what was done.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from jupyter_binder_ext.common.answers import ErrorAnswer
from jupyter_binder_ext.projects.answers import DeletableProject
from jupyter_binder_ext.resources.answers import ResourcesAnswer


class CommitFacts(TypedDict):
    sha: str
    short_sha: str
    message: str
    branch: str | None
    created: bool
    author: str
    note: str
    files: list[str]


class PushFacts(TypedDict):
    ok: bool
    remote: str
    url: str
    ref: str
    branch: str
    output: str
    reason: str
    hint: str
    returncode: int | None
    command: str


class SlotFacts(TypedDict):
    available: bool
    limit: int | None
    used: int | None
    free: int | None
    full: bool
    deletable: list[DeletableProject]
    control_panel_url: str | None
    message: str


class HubUserOptions(TypedDict):
    """What BinderHub puts in a named server's ``user_options`` (never its token)."""

    repo_url: str
    binder_ref_url: str
    binder_launch_host: str
    binder_request: str
    binder_persistent_request: str


class BinderHubLaunch(TypedDict):
    """The link that makes BinderHub build and start the new commit."""

    kind: Literal["binderhub"]
    url: str
    open: bool
    started: bool
    server_name: str | None
    ready: bool


class _LaunchError(TypedDict, total=False):
    error: ErrorAnswer


class HubLaunch(_LaunchError):
    """A named server started through the hub's API."""

    kind: Literal["hub"]
    url: str
    open: bool
    started: bool
    server_name: str | None
    ready: bool
    user_options: HubUserOptions


class _StopMessage(TypedDict, total=False):
    message: str


class StopCurrent(_StopMessage):
    requested: bool
    scheduled: bool
    done: bool


class RelaunchAnswer(TypedDict):
    ok: bool
    resources: ResourcesAnswer
    commit: CommitFacts
    push: PushFacts | None
    launch: BinderHubLaunch | HubLaunch | None
    slots: SlotFacts | None
    stop_current: StopCurrent
    message: str
