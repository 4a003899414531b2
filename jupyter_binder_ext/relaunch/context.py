"""What the relaunch domain uses of the server: a small context, not the whole service layer.

:class:`jupyter_binder_ext.state.ExtensionState` satisfies it as it is (structurally); the
relaunch modules never import the state, so no import cycle runs through them, not even one
only mypy follows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from jupyter_binder_ext.config import SiteConfig
    from jupyter_binder_ext.launch.info import LaunchInfo
    from jupyter_binder_ext.projects.service import ProjectsService


class RelaunchContext(Protocol):
    """The site's settings, the server's environment and log, what was launched, and the
    user's projects through the hub."""

    @property
    def site(self) -> SiteConfig: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def log(self) -> logging.Logger: ...

    @property
    def projects_service(self) -> ProjectsService: ...

    def launch(self) -> LaunchInfo: ...
