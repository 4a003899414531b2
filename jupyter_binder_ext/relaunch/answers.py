"""The answer of ``POST binder/api/relaunch``.

A refused push or full slots are a 200 with ``ok: false``: the steps that ran are reported
(``resources`` written, ``commit`` made, ``push`` tried) so the user knows exactly what was done.
Full slots are found before anything is written: ``commit``, ``push`` and ``launch`` are null.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from jupyter_binder_ext.common.answers import CommitFacts, ErrorAnswer, PushFacts
from jupyter_binder_ext.projects.answers import DeletableProject
from jupyter_binder_ext.resources.answers import ResourcesAnswer


class SlotFacts(TypedDict):
    available: bool
    limit: int | None
    used: int | None
    free: int | None
    full: bool
    deletable: list[DeletableProject]
    control_panel_url: str | None
    message: str


class _RunningImage(TypedDict, total=False):
    image: str  # the running image, when the new commit needs no build


class HubUserOptions(_RunningImage):
    """What BinderHub puts in a named server's ``user_options`` (never its token; the
    carried commit objects are left out here)."""

    repo_url: str
    binder_ref_url: str
    binder_launch_host: str
    binder_request: str
    binder_persistent_request: str


class BuildFollow(TypedDict):
    """Whether this server follows BinderHub's build of the relaunch (and why not)."""

    # the build's id in GET projects' ``builds`` (None when not followed)
    id: str | None
    followed: bool
    message: str


class BinderHubLaunch(TypedDict):
    """The link that makes BinderHub build and start the new commit.

    ``reason`` says why the relaunch did not start it without a rebuild; ``reason_code`` is
    one of ``not_a_git_provider``, ``no_image``, ``image_commit_unknown``,
    ``other_files_changed``, ``environment_changed``, ``too_large``, ``no_start_scope``.
    ``environment_files`` lists the files repo2docker reads that changed since the running
    image's commit (``environment_changed``; empty otherwise).
    """

    kind: Literal["binderhub"]
    url: str
    open: bool
    started: bool
    server_name: str | None
    ready: bool
    rebuild: bool  # always true: BinderHub builds
    reason_code: str
    reason: str
    environment_files: list[str]
    # followed here (then ``open`` is false: the link would launch a second server)
    build: BuildFollow


class CatchUpFacts(TypedDict):
    """The commit the new server's repository moves to from the image's, in the background."""

    image_commit: str
    commit: str
    objects: int


class _LaunchError(TypedDict, total=False):
    error: ErrorAnswer


class HubLaunch(_LaunchError):
    """A named server started through the hub's API.

    ``rebuild: false``: with the running image, as only ``.resources`` changed (``reason``
    says so; ``catch_up`` is the commit the new server's repository moves to). ``rebuild:
    true`` (a plain hub, no BinderHub link): without an image, the hub's spawner picks the
    new commit's own; ``reason_code`` and ``reason`` say why.
    """

    kind: Literal["hub"]
    url: str
    open: bool
    started: bool
    server_name: str | None
    ready: bool
    user_options: HubUserOptions
    rebuild: bool
    reason_code: str
    reason: str
    environment_files: list[str]  # as in BinderHubLaunch
    catch_up: CatchUpFacts | None


class _StopMessage(TypedDict, total=False):
    message: str
    server_name: str  # this server, when a stop was tried
    delay_s: float  # when ``scheduled``: seconds after the answer


class StopCurrent(_StopMessage):
    requested: bool
    scheduled: bool
    done: bool


class RelaunchAnswer(TypedDict):
    ok: bool
    resources: ResourcesAnswer
    commit: CommitFacts | None
    push: PushFacts | None
    launch: BinderHubLaunch | HubLaunch | None
    slots: SlotFacts | None
    stop_current: StopCurrent
    message: str
