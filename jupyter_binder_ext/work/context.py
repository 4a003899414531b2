"""What the work domain needs of the server: the site, the environment, the launch, and two
other domains' answers. :class:`.state.ExtensionState` has all of it; tests may pass less."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.environment.answers import EnvironmentAnswer
from jupyter_binder_ext.launch.info import LaunchInfo


class WorkContext(Protocol):
    @property
    def site(self) -> SiteConfig: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    def launch(self) -> LaunchInfo: ...

    async def environment(self) -> EnvironmentAnswer:
        """``GET environment`` (cached by its own service): the packages installed since launch."""
        ...

    async def projects(self) -> Mapping[str, Any]:
        """``GET projects``: this server's deletion date, and the user's other projects."""
        ...
