"""``GET work``: the scan (cached, one at a time), the deletion date and the reminders.

The scan runs off the event loop; concurrent callers share one scan and its answer is kept
for :data:`WORK_CACHE_TTL` seconds, so however many tabs ask, git runs at most once per
interval. The deletion date is the ``expires_at`` the projects list already computes for
this server. Another project's own work summary is asked for only on request: the request
goes through the hub's proxy, which counts as activity for that project.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

from jupyter_binder_ext.common.coalesce import CoalescedRead
from jupyter_binder_ext.common.readable import DAY, relative, span
from jupyter_binder_ext.errors import BinderError, Conflict, InvalidInput, MissingScopes, NotFound
from jupyter_binder_ext.work.answers import Deletion, ProjectAtRisk, Reminder
from jupyter_binder_ext.work.scan import loss_summary, scan_work

if TYPE_CHECKING:
    from jupyter_binder_ext.state import ExtensionState

WORK_CACHE_TTL = 5.0
DEFAULT_REMIND_DAYS = 2.0
MAX_REMIND_DAYS = 365.0
SIBLING_SCOPE = "access:servers!user"
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
    def __init__(self, state: ExtensionState) -> None:
        self.state = state
        # One scan at a time, shared by every caller, kept for WORK_CACHE_TTL seconds.
        self._scan: CoalescedRead[dict[str, Any]] = CoalescedRead(
            lambda: scan_work(self.state.site, self.state.launch(), self.home), WORK_CACHE_TTL
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
        return Path(self.state.env.get("HOME") or Path.home())

    def invalidate(self) -> None:
        self._scan.invalidate()

    async def scan(self) -> dict[str, Any]:
        return await self._scan.read()

    async def read(self, days: float = DEFAULT_REMIND_DAYS) -> dict[str, Any]:
        """The answer of ``GET work``."""
        scan = await self.scan()
        deletion, others = await self._deletion()
        reminder = self._reminder(scan, others, days)
        message = loss_summary(scan)
        if deletion["known"] and scan["at_risk"]:
            message += " " + deletion["message"]
        return {
            **scan,
            "deletion": deletion,
            "reminder": reminder,
            "sibling": {
                "possible": deletion["known"],
                "message": "Another project's own work summary is fetched only when you ask: "
                "the request goes through the hub's proxy and counts as activity there. It "
                f"needs the hub to grant this server {SIBLING_SCOPE}.",
            },
            "message": message,
        }

    async def _deletion(self) -> tuple[Deletion, list[dict[str, Any]]]:
        unknown: Deletion = {"known": False, "expires_at": None, "expires_in": None, "message": ""}
        try:
            projects = await self.state.projects()
        except BinderError as err:
            unknown["message"] = f"The deletion date is unknown: {err.message}"
            return unknown, []
        if not projects.get("available", True):
            unknown["message"] = f"The deletion date is unknown: {projects.get('message', '')}"
            return unknown, []
        servers = projects.get("servers") or []
        current = next((s for s in servers if s.get("is_current")), None)
        others = [s for s in servers if not s.get("is_current")]
        if current is None:
            unknown["message"] = (
                f"The hub does not list this server ({self.state.launch().server_name}), so "
                "its deletion date is unknown."
            )
            return unknown, others
        if current.get("expires_in") is None:
            unknown["message"] = "The hub reports no activity for this server yet."
            return unknown, others
        seconds = float(current["expires_in"])
        return {
            "known": True,
            "expires_at": current.get("expires_at"),
            "expires_in": seconds,
            # Words only: the panel shows the local date on hover, the text faces beside it.
            "message": f"If left idle, this project is deleted {relative(seconds)}.",
        }, others

    @staticmethod
    def _reminder(scan: dict[str, Any], others: list[dict[str, Any]], days: float) -> Reminder:
        near: list[ProjectAtRisk] = []
        for server in others:
            seconds = server.get("expires_in")
            if server.get("stopped") or seconds is None or float(seconds) > days * DAY:
                continue
            near.append(
                {
                    "name": str(server.get("name")),
                    "display_name": str(server.get("display_name") or server.get("name")),
                    "expires_at": server.get("expires_at"),
                    "expires_in": float(seconds),
                    "mark": f"deleted in {span(float(seconds))} if left idle: save its work",
                }
            )
        notify = bool(near) and bool(scan["at_risk"])
        message = ""
        if near:
            names = ", ".join(p["display_name"] for p in near)
            message = (
                f"{names} {'is' if len(near) == 1 else 'are'} within {days:g} days of deletion "
                "for inactivity. Like this project, "
                f"{'it' if len(near) == 1 else 'they'} may hold unsaved work: open "
                f"{'it' if len(near) == 1 else 'them'}, or check "
                f"{'its' if len(near) == 1 else 'their'} work from the Binder panel."
            )
        return {"notify": notify, "days": days, "message": message, "projects": near}

    # -- another project's own summary -------------------------------------------------------
    async def sibling(self, name: str) -> dict[str, Any]:
        """Ask another running project of the user for its ``GET work``, through the proxy."""
        from jupyter_binder_ext.projects.hub_api import HubClient
        from jupyter_binder_ext.projects.names import validate_server_name

        name = validate_server_name(name)
        launch = self.state.launch()
        if name == launch.server_name:
            return {"name": name, "work": await self.read(), "message": "This project."}
        projects = await self.state.projects()
        if not projects.get("available", True):
            raise Conflict(str(projects.get("message") or "Projects are not available here."))
        server = next((s for s in projects.get("servers") or [] if s.get("name") == name), None)
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
        base = self._server_base_url(str(server.get("url") or ""))
        token = self.state.env.get("JUPYTERHUB_API_TOKEN", "")
        client = HubClient(base, token, self.state.site.hub_request_timeout)
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
            work = response.json()
        except ValueError:
            raise Conflict(f"{name} answered with something other than JSON.", name=name) from None
        return {
            "name": name,
            "work": work,
            "message": f"Read from {name} through the hub's proxy; this counts as activity, so "
            "its deletion date has moved on.",
        }

    def _server_base_url(self, url: str) -> str:
        """The sibling's address: the hub's full URL, or its path on the hub's public host."""
        if urlparse(url).scheme:
            return url.rstrip("/")
        env = self.state.env
        for public in (env.get("JUPYTERHUB_PUBLIC_URL", ""), self.state.launch().hub_url):
            parsed = urlparse(public)
            if parsed.scheme and parsed.netloc:
                return f"{parsed.scheme}://{parsed.netloc}{url}".rstrip("/")
        raise Conflict(
            "The hub's public address is unknown here (no JUPYTERHUB_PUBLIC_URL or public hub "
            "URL), so other projects cannot be reached through its proxy.",
            reason="no_public_url",
        )


async def save(
    service: WorkService,
    to: Any,
    paths: Any = None,
    overwrite: Any = False,
    message: Any = None,
) -> dict[str, Any]:
    """``POST work/save``: every field checked first, then the save off the event loop."""
    from jupyter_binder_ext.work.save_github import save_to_github
    from jupyter_binder_ext.work.save_persistent import save_to_persistent
    from jupyter_binder_ext.work.selection import check_message, check_paths

    if to not in ("persistent", "github"):
        raise InvalidInput('to must be "persistent" or "github".')
    clean = check_paths(paths)
    if not isinstance(overwrite, bool):
        raise InvalidInput("overwrite must be true or false.")
    text = check_message(message)
    if to == "persistent" and text is not None:
        raise InvalidInput("message is for saving to github (it commits); a copy needs none.")
    if to == "github" and overwrite:
        raise InvalidInput("overwrite is for copies to the volume; a push never overwrites.")
    if to == "github" and clean is not None and not (text or "").strip():
        raise InvalidInput(
            "paths choose the files to commit: give a commit message too (without one, only "
            "the commits already made are pushed)."
        )
    state = service.state
    launch = state.launch()
    # A save lists the files as they are now, all of them: not the cached, capped scan. It
    # runs in the save pool, never the default one (see SAVE_WORKERS).
    try:
        if to == "persistent":
            copied = await service.run_save(
                save_to_persistent, state.site, launch, service.home, clean, overwrite
            )
            return dict(copied)
        return dict(
            await service.run_save(save_to_github, state.site, launch, service.home, clean, text)
        )
    finally:
        service.invalidate()
