"""The service layer every face shares: handlers, magics and the CLI call these methods.

Each method delegates to the plain domain module that owns the fact; domain modules are
imported on first use so that nothing heavy runs at server start-up.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.launch.info import LaunchInfo, read_launch

if TYPE_CHECKING:
    from jupyter_binder_ext.environment.answers import EnvironmentAnswer, KeepAnswer
    from jupyter_binder_ext.environment.service import EnvironmentService
    from jupyter_binder_ext.launch.answers import LaunchAnswer
    from jupyter_binder_ext.limits.answers import LimitsAnswer
    from jupyter_binder_ext.limits.reader import LimitsReader
    from jupyter_binder_ext.persistence.answers import InstanceDirAnswer, PersistenceAnswer
    from jupyter_binder_ext.persistence.shared_read import SharedVolumeRead
    from jupyter_binder_ext.projects.answers import (
        BuildLogAnswer,
        ProjectsAnswer,
        ReportAnswer,
        StopAnswer,
    )
    from jupyter_binder_ext.projects.progress import ProgressFeed
    from jupyter_binder_ext.projects.service import ProjectsService
    from jupyter_binder_ext.relaunch.answers import RelaunchAnswer
    from jupyter_binder_ext.resources.answers import ResourcesAnswer
    from jupyter_binder_ext.ssh.answers import ConfigureGitAnswer, SshAnswer, SshTestAnswer
    from jupyter_binder_ext.work.answers import SaveAnswer, SiblingWorkAnswer, WorkAnswer
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
        """What was launched, as facts (tokens included): for the domains, never an answer."""
        return read_launch(
            self.env,
            launch_host=self.site.launch_host,
            control_panel_url=self.site.control_panel_url,
        )

    async def launch_answer(self) -> LaunchAnswer:
        """``GET launch``: the launch as the faces show it, credentials hidden."""
        from jupyter_binder_ext.launch.builders import build_launch

        return build_launch(self.launch())

    # -- limits ---------------------------------------------------------------------------
    @cached_property
    def limits_reader(self) -> LimitsReader:
        from jupyter_binder_ext.limits.reader import LimitsReader

        return LimitsReader(self.site, env=self.env, log=self.log)

    async def limits(self) -> LimitsAnswer:
        return await self.limits_reader.read()

    # -- persistence ----------------------------------------------------------------------
    def _read_persistence(self) -> PersistenceAnswer:
        from jupyter_binder_ext.persistence.volume import read_persistence

        return read_persistence(self.site, self.launch())

    async def persistence(self) -> PersistenceAnswer:
        """One volume read of its own (`shared_persistence` is what every tab polls)."""
        return await asyncio.to_thread(self._read_persistence)

    @cached_property
    def volume_read(self) -> SharedVolumeRead:
        """The server's one shared volume read (made on first use, not at start-up)."""
        from jupyter_binder_ext.persistence.shared_read import SharedVolumeRead

        return SharedVolumeRead(self._read_persistence)

    async def shared_persistence(self) -> PersistenceAnswer:
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

    async def create_instance_dir(self) -> InstanceDirAnswer:
        from jupyter_binder_ext.persistence.volume import create_instance_dir

        return await asyncio.to_thread(create_instance_dir, self.site, self.launch())

    # -- ssh ------------------------------------------------------------------------------
    async def ssh(self) -> SshAnswer:
        from jupyter_binder_ext.ssh.status import read_ssh

        return await asyncio.to_thread(read_ssh, self.site)

    async def configure_git(self) -> ConfigureGitAnswer:
        from jupyter_binder_ext.ssh.status import configure_git

        return await asyncio.to_thread(configure_git, self.site)

    async def ssh_test(self) -> SshTestAnswer:
        from jupyter_binder_ext.ssh.status import test_connection

        return await test_connection(self.site)

    # -- projects -------------------------------------------------------------------------
    @cached_property
    def projects_service(self) -> ProjectsService:
        from jupyter_binder_ext.projects.service import ProjectsService

        return ProjectsService(self.site, self.launch, env=self.env, log=self.log)

    async def projects(self) -> ProjectsAnswer:
        return await self.projects_service.list()

    async def stop_project(
        self, name: str, remove: bool = False, force: bool = False
    ) -> StopAnswer:
        return await self.projects_service.stop(name, remove=remove, force=force)

    async def project_progress(self, name: str) -> ProgressFeed:
        """The shared feed of the hub's progress events for `name` (projects/progress.py)."""
        return await self.projects_service.follow_progress(name)

    async def build_log(self, build_id: str) -> BuildLogAnswer:
        """The whole log of a BinderHub build a relaunch follows."""
        return self.projects_service.build_log(build_id)

    async def project_report(self, name: str = "") -> ReportAnswer:
        """The service desk's report on project `name` (default: the last failed one): the
        projects and the `.resources` file gathered here, the text built by projects/report."""
        from jupyter_binder_ext.errors import BinderError
        from jupyter_binder_ext.projects.report import ReportFacts, build_report, check_report_name

        name = check_report_name(name)
        launch = self.launch()
        try:
            servers = (await self.projects())["servers"]
        except BinderError:
            if name and name != launch.server_name:
                raise
            servers = []  # not under a hub: a report on this notebook alone
        try:
            resources: ResourcesAnswer | None = await self.resources()
        except BinderError:
            resources = None
        failed_build = self.projects_service.build_feeds.latest_failed()
        token = self.env.get("JUPYTERHUB_API_TOKEN", "")
        now = datetime.now(timezone.utc)
        return build_report(ReportFacts(name, launch, servers, failed_build, resources, now, token))

    # -- .resources -----------------------------------------------------------------------
    async def resources(self) -> ResourcesAnswer:
        from jupyter_binder_ext.resources.file import read_resources

        # Off the event loop: the file may sit on a slow disk.
        return await asyncio.to_thread(read_resources, self.site, self.launch(), self.env)

    async def write_resources(
        self, values: object = None, text: object = None, if_match: str | None = None
    ) -> ResourcesAnswer:
        """`PUT resources`' fields, checked (resources/file.py) before the file is read."""
        from jupyter_binder_ext.resources.file import write_resources

        launch = self.launch()
        return await asyncio.to_thread(
            lambda: write_resources(self.site, launch, values, text, if_match, self.env)
        )

    async def relaunch(
        self,
        values: object = None,
        message: object = None,
        stop_current: object = None,
        labpath: object = None,
        **unknown: object,
    ) -> RelaunchAnswer:
        """`POST relaunch`'s fields, checked against RelaunchRequest before anything is done."""
        from jupyter_binder_ext.common.requests import check_request
        from jupyter_binder_ext.relaunch.flow import relaunch
        from jupyter_binder_ext.relaunch.requests import RelaunchRequest

        fields = {"values": values, "message": message, "stop_current": stop_current}
        request = check_request(RelaunchRequest, {**fields, "labpath": labpath, **unknown})
        return await relaunch(self, **request)

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

    async def work(self, remind_days: Any = None) -> WorkAnswer:
        from jupyter_binder_ext.work.service import remind_days as days

        return await self.work_service.read(days(remind_days))

    async def save_work(
        self, to: object, paths: object = None, overwrite: object = False, message: object = None
    ) -> SaveAnswer:
        """``POST work/save``, for every face: the fields checked by the one request check."""
        from jupyter_binder_ext.common.requests import check_request
        from jupyter_binder_ext.work.requests import WorkSaveRequest
        from jupyter_binder_ext.work.service import save

        fields = {"to": to, "paths": paths, "overwrite": overwrite, "message": message}
        return await save(self.work_service, check_request(WorkSaveRequest, fields))

    async def sibling_work(self, name: str) -> SiblingWorkAnswer:
        return await self.work_service.sibling(name)

    # -- environment (what BinderHub builds, what was installed since launch) --------------
    @cached_property
    def environment_service(self) -> EnvironmentService:
        from jupyter_binder_ext.environment.service import EnvironmentService

        return EnvironmentService(self.site, self.env)

    async def environment(self, dockerfile: bool = False) -> EnvironmentAnswer:
        return await self.environment_service.read(dockerfile)

    async def keep_environment(
        self, packages: object = None, file: object = None, **unknown: object
    ) -> KeepAnswer:
        return await self.environment_service.keep(packages, file, **unknown)
