"""What each step of a relaunch found or did, as frozen values.

Each step of :mod:`.flow` returns one of these instead of writing into a shared answer;
:mod:`.builders` turns them into the answer and its sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jupyter_binder_ext.common.git_push import NoPushTarget, PushResult, PushTarget
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.relaunch.answers import (
    BinderHubLaunch,
    HubLaunch,
    SlotFacts,
    StopCurrent,
)
from jupyter_binder_ext.resources.answers import ResourcesAnswer


@dataclass(frozen=True)
class Prepared:
    """Step 1, before anything is written: the file as it is, where it is committed and
    pushed, and the project slots."""

    root: Path  # the repository
    path: Path  # the .resources file
    current: ResourcesAnswer
    target: PushTarget | None
    no_target: NoPushTarget | None  # only a missing remote: the commit is still made
    slots: SlotFacts


@dataclass(frozen=True)
class Pushed:
    """Step 4: the push (tried, or held back), and the commits it sent, ours included."""

    result: PushResult
    ahead: int | None = None


@dataclass(frozen=True)
class NewCommit:
    """What step 5 launches, and how."""

    launch: LaunchInfo
    root: Path
    sha: str
    branch: str
    labpath: str
    stop_current: bool
    ready_timeout: float
    repo_url: str  # where it was pushed; "" when that URL hides a credential
    resources_name: str
    slots: SlotFacts


@dataclass(frozen=True)
class LaunchOutcome:
    """Step 5: the launch entry of the answer, whether it went well, and what to say."""

    launch: BinderHubLaunch | HubLaunch | None
    ok: bool
    message: str
    stop_current: StopCurrent
    slots: SlotFacts
