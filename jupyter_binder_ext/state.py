"""The service layer every face shares: handlers, magics and the CLI call these methods.

Each method delegates to the plain domain module that owns the fact; domain modules are
imported on first use so that nothing heavy runs at server start-up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.launch.info import LaunchInfo, read_launch

if TYPE_CHECKING:
    from jupyter_binder_ext.environment.service import EnvironmentService
    from jupyter_binder_ext.limits.reader import LimitsReader
    from jupyter_binder_ext.persistence.shared_read import SharedVolumeRead
    from jupyter_binder_ext.projects.progress import ProgressFeed
    from jupyter_binder_ext.projects.service import ProjectsService
    from jupyter_binder_ext.work.service import WorkService


class ExtensionState:
    """Site config plus the few long-lived objects (CPU sampler, hub client cache)."""

    def __init__(
        self,
        site: SiteConfig,
        log: logging.Logger | Any = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.site = site
        self.log = log or logging.getLogger("jupyter_binder_ext")
        self.env: Mapping[str, str] = os.environ if env is None else env

    # -- launch ---------------------------------------------------------------------------
    def launch(self) -> LaunchInfo:
        return read_launch(
            self.env,
            launch_host=self.site.launch_host,
            control_panel_url=self.site.control_panel_url,
        )

    # -- limits ---------------------------------------------------------------------------
    @cached_property
    def limits_reader(self) -> LimitsReader:
        from jupyter_binder_ext.limits.reader import LimitsReader

        return LimitsReader(self.site, env=self.env, log=self.log)

    async def limits(self) -> dict[str, Any]:
        return await self.limits_reader.read()

    # -- persistence ----------------------------------------------------------------------
    def persistence(self) -> dict[str, Any]:
        from jupyter_binder_ext.persistence.volume import read_persistence

        return read_persistence(self.site, self.launch())

    @cached_property
    def volume_read(self) -> SharedVolumeRead:
        """The server's one shared volume read (made on first use, not at start-up)."""
        from jupyter_binder_ext.persistence.shared_read import SharedVolumeRead

        return SharedVolumeRead(self.persistence)

    async def shared_persistence(self) -> dict[str, Any]:
        """``GET persistence`` for every tab: one volume read per interval (see shared_read)."""
        return await self.volume_read.read()

    def close(self) -> None:
        """Release what the state started: the volume read's thread and the save pool
        (server shutdown)."""
        volume_read = self.__dict__.get("volume_read")
        if volume_read is not None:
            volume_read.close()
        work_service = self.__dict__.get("work_service")
        if work_service is not None:
            work_service.close()
        environment_service = self.__dict__.get("environment_service")
        if environment_service is not None:
            environment_service.close()

    def create_instance_dir(self) -> dict[str, Any]:
        from jupyter_binder_ext.persistence.volume import create_instance_dir

        return create_instance_dir(self.site, self.launch())

    # -- ssh ------------------------------------------------------------------------------
    def ssh(self) -> dict[str, Any]:
        from jupyter_binder_ext.ssh.status import read_ssh

        return read_ssh(self.site)

    def configure_git(self) -> dict[str, Any]:
        from jupyter_binder_ext.ssh.status import configure_git

        return configure_git(self.site)

    async def ssh_test(self) -> dict[str, Any]:
        from jupyter_binder_ext.ssh.status import test_connection

        return await test_connection(self.site)

    # -- projects -------------------------------------------------------------------------
    @cached_property
    def projects_service(self) -> ProjectsService:
        from jupyter_binder_ext.projects.service import ProjectsService

        return ProjectsService(self.site, self.launch, env=self.env, log=self.log)

    async def projects(self) -> dict[str, Any]:
        return await self.projects_service.list()

    async def stop_project(
        self, name: str, remove: bool = False, force: bool = False
    ) -> dict[str, Any]:
        return await self.projects_service.stop(name, remove=remove, force=force)

    async def project_progress(self, name: str) -> ProgressFeed:
        """The shared feed of the hub's progress events for `name` (projects/progress.py)."""
        return await self.projects_service.follow_progress(name)

    async def project_report(self, name: str = "") -> dict[str, Any]:
        """The service desk's report on project `name` (default: the last failed one)."""
        from jupyter_binder_ext.projects.report import build_report

        return await build_report(self, name)

    # -- .resources -----------------------------------------------------------------------
    def resources(self) -> dict[str, Any]:
        from jupyter_binder_ext.resources.file import read_resources

        return read_resources(self.site, self.launch(), env=self.env)

    def write_resources(
        self,
        values: Mapping[str, Any] | None = None,
        text: str | None = None,
        if_match: str | None = None,
    ) -> dict[str, Any]:
        from jupyter_binder_ext.resources.file import write_resources

        return write_resources(
            self.site, self.launch(), values=values, text=text, if_match=if_match, env=self.env
        )

    async def relaunch(
        self,
        values: Mapping[str, Any] | None = None,
        message: str | None = None,
        stop_current: bool = False,
        labpath: str = "",
    ) -> dict[str, Any]:
        from jupyter_binder_ext.relaunch.flow import relaunch

        return await relaunch(
            self, values=values, message=message, stop_current=stop_current, labpath=labpath
        )

    # -- work (what idle deletion would lose) ---------------------------------------------
    @cached_property
    def work_service(self) -> WorkService:
        from jupyter_binder_ext.work.service import WorkService

        return WorkService(self)

    def files_changed(self) -> None:
        """A file of the server changed (saved, renamed, deleted through Jupyter): the next
        read of what deletion would lose scans again instead of answering from its cache."""
        if "work_service" in self.__dict__:  # never built just to be emptied
            self.work_service.invalidate()
        if "environment_service" in self.__dict__:  # an environment file may have changed
            self.environment_service.invalidate()

    async def work(self, remind_days: Any = None) -> dict[str, Any]:
        from jupyter_binder_ext.work.service import remind_days as days

        return await self.work_service.read(days(remind_days))

    async def save_work(
        self, to: Any, paths: Any = None, overwrite: Any = False, message: Any = None
    ) -> dict[str, Any]:
        from jupyter_binder_ext.work.service import save

        return await save(self.work_service, to, paths, overwrite=overwrite, message=message)

    async def sibling_work(self, name: str) -> dict[str, Any]:
        return await self.work_service.sibling(name)

    # -- environment (what BinderHub builds, what was installed since launch) --------------
    @cached_property
    def environment_service(self) -> EnvironmentService:
        from jupyter_binder_ext.environment.service import EnvironmentService

        return EnvironmentService(self)

    async def environment(self, dockerfile: bool = False) -> dict[str, Any]:
        return dict(await self.environment_service.read(dockerfile))

    async def keep_environment(self, packages: Any, file: Any = "auto") -> dict[str, Any]:
        return dict(await self.environment_service.keep(packages, file))
