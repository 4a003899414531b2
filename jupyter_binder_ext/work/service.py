"""``GET work``: the scan (cached, one at a time), the deletion date and the reminders.

The scan runs off the event loop; concurrent callers share one scan and its answer is kept
for :data:`WORK_CACHE_TTL` seconds, so however many tabs ask, git runs at most once per
interval. The deletion date is the ``expires_at`` the projects list already computes for
this server. Another project's own work summary is asked for only on request: the request
goes through the hub's proxy, which counts as activity for that project.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

from jupyter_binder_ext.common.coalesce import CoalescedRead
from jupyter_binder_ext.errors import BinderError, Conflict, InvalidInput, MissingScopes, NotFound
from jupyter_binder_ext.work.answers import (
    Reminder,
    RuntimeInstalls,
    SaveAnswer,
    SiblingWorkAnswer,
    WorkAnswer,
    WorkScan,
)
from jupyter_binder_ext.work.builders import SIBLING_SCOPE, HubFacts, build_reminder, build_work
from jupyter_binder_ext.work.context import WorkContext
from jupyter_binder_ext.work.installs import runtime_installs, unknown_installs
from jupyter_binder_ext.work.requests import WorkSaveRequest
from jupyter_binder_ext.work.scan import scan_work

WORK_CACHE_TTL = 5.0
DEFAULT_REMIND_DAYS = 2.0
MAX_REMIND_DAYS = 365.0
# Saves copy or commit whole files, for as long as that takes; they get threads of their own
# so that the server's default pool (every other route's file reads) stays free. More saves
# wait their turn in order.
SAVE_WORKERS = 2

T = TypeVar("T")


def remind_days(value: Any) -> float:
    """The reminder window in days, as a query string or a number gives it."""
    if value is None or value == "":
        return DEFAULT_REMIND_DAYS
    try:
        days = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"remind_days must be a number of days, not {value!r}.") from None
    if not 0 <= days <= MAX_REMIND_DAYS:
        raise InvalidInput(f"remind_days must be between 0 and {MAX_REMIND_DAYS:g}.")
    return days


class WorkService:
    def __init__(self, context: WorkContext) -> None:
        self.context = context
        # One scan at a time, shared by every caller, kept for WORK_CACHE_TTL seconds.
        self._scan: CoalescedRead[WorkScan] = CoalescedRead(
            lambda: scan_work(self.context.site, self.context.launch(), self.home), WORK_CACHE_TTL
        )
        self._saves_in_flight = 0

    @property
    def scans_run(self) -> int:
        """Scans actually started (tests and the bench read it)."""
        return self._scan.fetches

    @cached_property
    def save_pool(self) -> ThreadPoolExecutor:
        """The saves' own threads, made by the first save and shut down by :meth:`close`."""
        return ThreadPoolExecutor(max_workers=SAVE_WORKERS, thread_name_prefix="binder-save")

    @property
    def saves_in_flight(self) -> int:
        """Saves waiting for or running in the save pool (tests and the bench read it)."""
        return self._saves_in_flight

    async def run_save(self, job: Callable[..., T], *args: Any) -> T:
        """``job(*args)`` in the save pool; a save queued behind others waits its turn."""
        loop = asyncio.get_running_loop()
        self._saves_in_flight += 1
        try:
            return await loop.run_in_executor(self.save_pool, job, *args)
        finally:
            self._saves_in_flight -= 1

    def close(self) -> None:
        """Server shutdown: saves not started yet are dropped; those running finish."""
        pool = self.__dict__.get("save_pool")
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    @property
    def home(self) -> Path:
        return Path(self.context.env.get("HOME") or Path.home())

    def invalidate(self) -> None:
        self._scan.invalidate()

    async def scan(self) -> WorkScan:
        return await self._scan.read()

    async def read(self, days: float = DEFAULT_REMIND_DAYS) -> WorkAnswer:
        """The answer of ``GET work``."""
        # The environment's own cached scan, beside the work scan: no second pip scan.
        scan, installs = await asyncio.gather(self.scan(), self.runtime_installs())
        return build_work(scan, installs, await self.hub_facts(), days)

    async def runtime_installs(self) -> RuntimeInstalls:
        """Packages installed since launch and not in the environment files."""
        try:
            environment = await self.context.environment()
        except (BinderError, OSError, ValueError) as err:
            return unknown_installs(getattr(err, "message", None) or str(err))
        return runtime_installs(environment)

    async def hub_facts(self) -> HubFacts:
        """This server's entry in the hub's projects list, and the user's other projects."""
        name = self.context.launch().server_name
        try:
            projects = await self.context.projects()
        except BinderError as err:
            return HubFacts(name, err.message, None, ())
        if not projects.get("available", True):
            return HubFacts(name, str(projects.get("message", "")), None, ())
        servers: list[Mapping[str, Any]] = projects.get("servers") or []
        current = next((s for s in servers if s.get("is_current")), None)
        others = tuple(s for s in servers if not s.get("is_current"))
        return HubFacts(name, None, current, others)

    @staticmethod
    def _reminder(
        scan: Mapping[str, object], others: list[Mapping[str, Any]], days: float
    ) -> Reminder:
        return build_reminder(bool(scan["at_risk"]), others, days)

    # -- another project's own summary -------------------------------------------------------
    async def sibling(self, name: str) -> SiblingWorkAnswer:
        """Ask another running project of the user for its ``GET work``, through the proxy."""
        from jupyter_binder_ext.projects.names import validate_server_name

        name = validate_server_name(name)
        if name == self.context.launch().server_name:
            return {"name": name, "work": await self.read(), "message": "This project."}
        server = await self._running_sibling(name)
        work = await self._ask_sibling(name, self._server_base_url(str(server.get("url") or "")))
        return {
            "name": name,
            "work": work,
            "message": f"Read from {name} through the hub's proxy; this counts as activity, so "
            "its deletion date has moved on.",
        }

    async def _running_sibling(self, name: str) -> Mapping[str, Any]:
        """The hub's entry of the user's project `name`, refused unless it runs."""
        projects = await self.context.projects()
        if not projects.get("available", True):
            raise Conflict(str(projects.get("message") or "Projects are not available here."))
        servers: list[Mapping[str, Any]] = projects.get("servers") or []
        server = next((s for s in servers if s.get("name") == name), None)
        if server is None:
            raise NotFound(f"You have no project named {name!r}.", name=name)
        if server.get("stopped") or not server.get("ready"):
            raise Conflict(
                f"{name} is not running, so there is no server to ask for its work (a stopped "
                "project keeps its files and is not deleted for inactivity). Starting it "
                "counts as activity.",
                name=name,
                state=server.get("state"),
            )
        return server

    async def _ask_sibling(self, name: str, base: str) -> WorkAnswer:
        """``GET binder/api/work`` of the project at `base`, through the hub's proxy."""
        from jupyter_binder_ext.projects.hub_api import HubClient

        token = self.context.env.get("JUPYTERHUB_API_TOKEN", "")
        client = HubClient(base, token, self.context.site.hub_request_timeout)
        response = await client.request("GET", "/binder/api/work?remind_days=0")
        if response.status in (301, 302, 303, 401, 403):
            raise MissingScopes(
                f"The hub does not let this notebook reach your other projects, so {name}'s "
                f"work cannot be read from here: the server's token lacks {SIBLING_SCOPE}. "
                "Open the project itself to see it. A hub admin can grant it in "
                f'jupyterhub_config.py: c.Spawner.server_token_scopes = [..., "{SIBLING_SCOPE}"]',
                name=name,
                scopes=[SIBLING_SCOPE],
                hub_status=response.status,
            )
        if response.status == 404:
            raise NotFound(
                f"{name} answered 404 for binder/api/work: it runs without this extension (or "
                "an older one), so it cannot say what it would lose.",
                name=name,
            )
        if not response.ok:
            raise Conflict(
                f"{name} answered HTTP {response.status}: {response.hub_message}",
                name=name,
                status=response.status,
            )
        try:
            # Another server's own answer of the same route (same extension, same type).
            return cast(WorkAnswer, response.json())
        except ValueError:
            raise Conflict(f"{name} answered with something other than JSON.", name=name) from None

    def _server_base_url(self, url: str) -> str:
        """The sibling's address: the hub's full URL, or its path on the hub's public host."""
        if urlparse(url).scheme:
            return url.rstrip("/")
        env = self.context.env
        for public in (env.get("JUPYTERHUB_PUBLIC_URL", ""), self.context.launch().hub_url):
            parsed = urlparse(public)
            if parsed.scheme and parsed.netloc:
                return f"{parsed.scheme}://{parsed.netloc}{url}".rstrip("/")
        raise Conflict(
            "The hub's public address is unknown here (no JUPYTERHUB_PUBLIC_URL or public hub "
            "URL), so other projects cannot be reached through its proxy.",
            reason="no_public_url",
        )


async def save(service: WorkService, request: WorkSaveRequest) -> SaveAnswer:
    """``POST work/save``: the request's shape is checked already (the one request check);
    its paths and text here, before anything is done; then the save off the event loop."""
    from jupyter_binder_ext.work.save_github import save_to_github
    from jupyter_binder_ext.work.save_persistent import save_to_persistent
    from jupyter_binder_ext.work.selection import check_save

    choice = check_save(request)
    site, launch, home = service.context.site, service.context.launch(), service.home
    # A save lists the files as they are now, all of them: not the cached, capped scan. It
    # runs in the save pool, never the default one (see SAVE_WORKERS).
    try:
        if choice.to == "persistent":
            return await service.run_save(
                save_to_persistent, site, launch, home, choice.paths, choice.overwrite
            )
        return await service.run_save(
            save_to_github, site, launch, home, choice.paths, choice.message
        )
    finally:
        service.invalidate()
