"""The user's projects (JupyterHub named servers): list them, stop, delete and start them.

Everything goes through the hub's REST API with this server's own ``JUPYTERHUB_API_TOKEN``
(:mod:`.hub_api`); the token never leaves this process. The list is cached briefly and
concurrent callers share one hub request, so however many browser tabs poll, the hub sees at
most one request per ``projects_cache_ttl`` from this server. :mod:`.listing` turns the
hub's answer into the list and its text; :mod:`.names` holds the rules for names.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import quote

from jupyter_binder_ext.common.coalesce import CoalescedRead
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import (
    BinderError,
    CommandFailed,
    Conflict,
    HubTimeout,
    HubUnavailable,
    InvalidInput,
    MissingScopes,
    NotFound,
    NotUnderHub,
)
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.projects.answers import (
    BuildLogAnswer,
    ProjectsAnswer,
    SpawnFailure,
    StopAnswer,
)
from jupyter_binder_ext.projects.build_progress import BuildFeeds
from jupyter_binder_ext.projects.failure import failure_entry
from jupyter_binder_ext.projects.hub_api import HubClient, HubResponse, user_path
from jupyter_binder_ext.projects.listing import (
    ListingFacts,
    format_time,
    full_message,
    not_available,
    parse_time,
    server_entry,
    summarize,
)
from jupyter_binder_ext.projects.names import validate_server_name
from jupyter_binder_ext.projects.progress import (
    ProgressFeed,
    ProgressFeeds,
    is_final,
    progress_path,
    read_hub_stream,
)
from jupyter_binder_ext.projects.slot_limit import (
    FROM_HUB_REFUSAL,
    SlotLimit,
    limit_in_refusal,
    resolve_limit,
)

# -- scopes ----------------------------------------------------------------------------------
READ_SCOPE = "read:servers!user"
MANAGE_SCOPE = "servers!user"
DELETE_SCOPE = "delete:servers!user"
START_SCOPE = "start:servers!user"  # split out of servers!user in JupyterHub 6
# JupyterHub's `server` role: what a server token holds when server_token_scopes is unset.
DEFAULT_SERVER_SCOPES = ("access:servers!server", "users:activity!user")
RECOMMENDED_SCOPES = (*DEFAULT_SERVER_SCOPES, READ_SCOPE, MANAGE_SCOPE)
CONFIG_LINE = (
    "c.Spawner.server_token_scopes = [" + ", ".join(f'"{s}"' for s in RECOMMENDED_SCOPES) + "]"
)

# The hub answers a stop or a start only after waiting up to its slow_stop_timeout /
# slow_spawn_timeout (10 s by default) for it to finish; actions get that much longer.
ACTION_EXTRA_TIMEOUT = 15.0


def missing_scopes(action: str, needed: tuple[str, ...], response: HubResponse) -> MissingScopes:
    """The 403 a user can act on: which scopes the hub must grant, and the config line."""
    return MissingScopes(
        f"The hub does not let this notebook {action}: the server's token lacks "
        f"{' or '.join(needed)}. A hub admin can grant these to every notebook server "
        f"({READ_SCOPE} to list projects, {MANAGE_SCOPE} or {DELETE_SCOPE} to stop and "
        f"delete them) in jupyterhub_config.py: {CONFIG_LINE}",
        scopes=list(needed),
        recommended_scopes=list(RECOMMENDED_SCOPES),
        config=CONFIG_LINE,
        hub_status=response.status,
        hub_message=response.hub_message,
    )


def _hub_failed(action: str, response: HubResponse) -> HubUnavailable:
    return HubUnavailable(
        f"The hub failed to {action} (HTTP {response.status}: {response.hub_message}).",
        hub_status=response.status,
        hub_message=response.hub_message,
    )


# -- the service ----------------------------------------------------------------------------


class ProjectsService:
    """List, stop, delete and start the user's named servers, with a coalescing cache."""

    poll_interval = 0.5

    def __init__(
        self,
        site: SiteConfig,
        launch_provider: Callable[[], LaunchInfo],
        env: Mapping[str, str] | None = None,
        log: logging.Logger | Any = None,
    ) -> None:
        self.site = site
        self._launch_provider = launch_provider
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.log = log or logging.getLogger("jupyter_binder_ext")
        self._client: HubClient | None = None
        self._client_key: tuple[str, str, float] | None = None
        # The user model, shared by every caller for projects_cache_ttl. Errors are kept
        # for the same interval: a struggling hub must not get one request per poll from
        # every tab.
        self.user_model_read: CoalescedRead[dict[str, Any]] = CoalescedRead(
            self._fetch_current_user_model,
            ttl=lambda: float(self.site.projects_cache_ttl),
            cache_errors=(BinderError,),
        )
        self.hub_version = ""
        # The limit the hub named when it last refused a new server (see slot_limit).
        self.refused_with: int | None = None
        # One hub progress stream per starting server, for every tab (projects/progress.py).
        self.progress_feeds = ProgressFeeds(self._read_progress_into, log=self.log)
        # Why each stopped server's last start failed, asked of the hub once per attempt:
        # name -> ((last_activity, started), failure or None). See _failure_of.
        self._failures: dict[str, tuple[tuple[Any, Any], SpawnFailure | None]] = {}
        self._failure_checks: dict[str, asyncio.Future[SpawnFailure | None]] = {}
        # How many failure checks reached the hub (the tests read it).
        self.failure_checks_sent = 0
        # BinderHub builds that relaunches follow (projects/build_progress.py).
        self.build_feeds = BuildFeeds(
            lambda: self.env.get("JUPYTERHUB_API_TOKEN", ""),
            lambda: float(self.site.hub_request_timeout),
            log=self.log,
        )

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def client(self) -> HubClient:
        """The hub client for the current env (rebuilt if URL, token or timeout change)."""
        key = (
            self.env.get("JUPYTERHUB_API_URL", ""),
            self.env.get("JUPYTERHUB_API_TOKEN", ""),
            float(self.site.hub_request_timeout),
        )
        if self._client is None or key != self._client_key:
            self._client = HubClient(key[0], key[1], key[2], log=self.log)
            self._client_key = key
        return self._client

    @property
    def _action_timeout(self) -> float:
        return float(self.site.hub_request_timeout) + ACTION_EXTRA_TIMEOUT

    def _not_under_hub_reason(self, launch: LaunchInfo) -> str:
        if not launch.under_hub:
            return (
                "Not running under JupyterHub: there are no other projects to list. Under a "
                "hub, this lists your named servers and free slots."
            )
        if not self.env.get("JUPYTERHUB_API_TOKEN"):
            return "This server has no JUPYTERHUB_API_TOKEN, so it cannot ask the hub."
        if not launch.user:
            return "JUPYTERHUB_USER is not set, so the hub user is unknown."
        return ""

    def _context(self) -> LaunchInfo:
        launch = self._launch_provider()
        reason = self._not_under_hub_reason(launch)
        if reason:
            raise NotUnderHub(reason)
        return launch

    def invalidate(self) -> None:
        """Forget the cached list (after a change); an in-flight fetch is not reused."""
        self.user_model_read.invalidate()

    async def _fetch_user_model(self, launch: LaunchInfo) -> dict[str, Any]:
        """One hub request for the user's model with every server, stopped ones included."""
        response = await self.client.request(
            "GET", user_path(launch.user) + "?include_stopped_servers=1"
        )
        self.hub_version = response.hub_version or self.hub_version
        if response.status in (401, 403, 404):
            raise missing_scopes("list your projects", (READ_SCOPE,), response)
        if not response.ok:
            raise _hub_failed("list your servers", response)
        try:
            model = response.json()
        except ValueError as err:
            raise HubUnavailable(f"The hub answered with invalid JSON: {err}") from err
        if not isinstance(model, dict):
            raise HubUnavailable("The hub answered with something other than a user model.")
        # Without read:servers the hub still answers 200 (the server role's
        # users:activity!user lets it read the user's activity) but leaves out `servers`.
        if not isinstance(model.get("servers"), dict):
            raise missing_scopes("list your projects", (READ_SCOPE,), response)
        return model

    async def _fetch_current_user_model(self) -> dict[str, Any]:
        return await self._fetch_user_model(self._context())

    async def _user_model(self) -> dict[str, Any]:
        """The user model, from the cache, a fetch already in flight, or one new request."""
        return await self.user_model_read.read()

    # -- public API -------------------------------------------------------------------------
    def slot_limit(self) -> SlotLimit:
        """The named-server limit that applies now, and where it came from."""
        return resolve_limit(int(self.site.max_named_servers or 0), self.env, self.refused_with)

    async def current_image(self) -> tuple[str, str]:
        """(image, where it came from) of this server: its environment (JUPYTER_IMAGE_SPEC,
        JUPYTER_IMAGE), else the ``image`` BinderHub put into its ``user_options``, as the
        hub lists them; ("", "") when neither says."""
        launch = self._launch_provider()
        if launch.image:
            return launch.image, launch.image_source
        if self._not_under_hub_reason(launch):
            return "", ""
        try:
            model = await self._user_model()
        except BinderError:
            return "", ""
        server = model["servers"].get(launch.server_name) or {}
        options = server.get("user_options") or {}
        image = options.get("image") if isinstance(options, Mapping) else None
        return (str(image), "hub user_options") if image else ("", "")

    async def list(self) -> ProjectsAnswer:
        """``GET projects``: the user's named servers, slots used and the limit."""
        launch = self._launch_provider()
        reason = self._not_under_hub_reason(launch)
        slots = self.slot_limit()
        site = replace(self.site, max_named_servers=slots.limit)
        if reason:
            return not_available(launch, site, reason, self._listing_facts(slots.source))
        model = await self._user_model()  # also learns the hub's version
        data = summarize(model, launch, site, facts=self._listing_facts(slots.source))
        await self._add_progress_and_failures(data, model["servers"], launch)
        return data

    def _listing_facts(self, limit_source: str) -> ListingFacts:
        builds = tuple(self.build_feeds.entries())
        return ListingFacts(limit_source, self.hub_version, builds)

    def build_log(self, build_id: str) -> BuildLogAnswer:
        """``GET projects/builds/{build_id}/log``: a followed build's whole log."""
        feed = self.build_feeds.get(build_id)
        if feed is None or feed.refused:
            raise NotFound(f"No BinderHub build {build_id!r} is followed here.", id=build_id)
        return feed.log_answer()

    # -- progress and failures ---------------------------------------------------------------
    async def _read_progress_into(self, feed: ProgressFeed) -> None:
        """Read the hub's progress stream of `feed.name` into the feed, until its end."""
        launch = self._context()

        def on_event(event: dict[str, Any]) -> bool:
            feed.publish(event)
            return not is_final(event)

        answer = await read_hub_stream(
            self.client.api_url.rstrip("/") + progress_path(launch.user, feed.name),
            self.env.get("JUPYTERHUB_API_TOKEN", ""),
            on_event,
            connect_timeout=float(self.site.hub_request_timeout),
            keep_going=lambda: self.progress_feeds.wanted(feed),
        )
        if answer.status != 200:
            feed.refusal = (answer.status, answer.error_body.decode("utf-8", "replace")[:500])

    async def follow_progress(self, name: str) -> ProgressFeed:
        """The shared feed of `name`'s progress (started now if none runs)."""
        self._context()
        return self.progress_feeds.feed(validate_server_name(name))

    async def _add_progress_and_failures(
        self, data: ProjectsAnswer, servers: Mapping[str, Any], launch: LaunchInfo
    ) -> None:
        """``starting`` for each starting server, ``failure`` for each stopped one whose
        last start failed; feeds and remembered failures of vanished servers are dropped."""
        deletable_names = [str(d["name"]) for d in data["deletable"]]
        checks = []
        for entry in data["servers"]:
            name = entry["name"]
            if entry["state"] == "starting":
                feed = self.progress_feeds.feed(name)
                latest = feed.latest or {}
                entry["starting"] = {
                    "progress": int(latest.get("progress") or 0),
                    "message": str(latest.get("message") or "Server requested"),
                }
            elif entry["stopped"]:
                checks.append((entry, servers.get(name) or {}))
            if entry["state"] != "starting":
                self.progress_feeds.forget(name)
        failures = await asyncio.gather(
            *(
                self._failure_of(
                    launch, e["name"], hub, [n for n in deletable_names if n != e["name"]]
                )
                for e, hub in checks
            )
        )
        for (entry, _), failure in zip(checks, failures):
            entry["failure"] = failure
        for gone in set(self._failures) - {e["name"] for e in data["servers"]}:
            del self._failures[gone]

    async def _failure_of(
        self, launch: LaunchInfo, name: str, server: Mapping[str, Any], deletable: Sequence[str]
    ) -> SpawnFailure | None:
        """Why the last start of stopped `name` failed (None if it did not), asked of the hub
        once per attempt: each start sets the server's last_activity and started anew
        (jupyterhub user.py:962-964), so they tell one attempt from the next."""
        key = (server.get("last_activity"), server.get("started"))
        known = self._failures.get(name)
        if known is not None and known[0] == key:
            return known[1]
        inflight = self._failure_checks.get(name)
        if inflight is None:
            inflight = asyncio.ensure_future(self._ask_failure(launch, name, server, deletable))
            self._failure_checks[name] = inflight
            inflight.add_done_callback(lambda _: self._failure_checks.pop(name, None))
        try:
            failure = await asyncio.shield(inflight)
        except BinderError:
            return None  # the hub did not answer: ask again on the next list
        self._failures[name] = (key, failure)
        return failure

    async def _ask_failure(
        self, launch: LaunchInfo, name: str, server: Mapping[str, Any], deletable: Sequence[str]
    ) -> SpawnFailure | None:
        # A feed that followed the start saw the failed event itself, with the messages
        # before it: no need to ask.
        feed = self.progress_feeds.peek(name)
        seen = feed.latest if feed is not None else None
        if feed is not None and seen is not None and seen.get("failed"):
            return self._failure(str(seen.get("message") or ""), server, feed.messages, deletable)
        self.failure_checks_sent += 1
        events: builtins.list[dict[str, Any]] = []

        def first_event(event: dict[str, Any]) -> bool:
            events.append(event)
            return False

        timeout = float(self.site.hub_request_timeout)
        try:
            # A stopped server's stream answers at once: the failed event while the hub holds
            # the failed spawn, else 400 "not starting" (users.py:1067-1081).
            answer = await asyncio.wait_for(
                read_hub_stream(
                    self.client.api_url.rstrip("/") + progress_path(launch.user, name),
                    self.env.get("JUPYTERHUB_API_TOKEN", ""),
                    first_event,
                    connect_timeout=timeout,
                    limit=timeout,
                ),
                timeout + 1.0,
            )
        except (asyncio.TimeoutError, TimeoutError, OSError) as err:
            raise HubTimeout(f"The hub did not say why {name} stopped: {err}") from err
        except Exception as err:  # tornado's HTTPClientError (599): no answer
            raise HubUnavailable(f"The hub did not say why {name} stopped: {err}") from err
        if answer.status != 200 or not events or not events[0].get("failed"):
            return None
        return self._failure(str(events[0].get("message") or ""), server, [], deletable)

    @staticmethod
    def _failure(
        message: str, server: Mapping[str, Any], log_lines: Sequence[str], deletable: Sequence[str]
    ) -> SpawnFailure:
        return failure_entry(
            message,
            at=format_time(parse_time(server.get("last_activity"))),
            phase="start",
            log_lines=log_lines,
            deletable=deletable,
        )

    async def stop(self, name: str, remove: bool = False, force: bool = False) -> StopAnswer:
        """Stop one server; with `remove`, delete it too (which frees its slot)."""
        launch = self._context()
        name = validate_server_name(name)
        verb: Literal["stop", "delete"] = "delete" if remove else "stop"
        if name == launch.server_name and not force:
            raise Conflict(
                f"{name} is the server this notebook runs in: to {verb} it anyway, confirm "
                "with force (?force=1, --force). Unsaved work in it is lost.",
                name=name,
                is_current=True,
            )
        response = await self.client.request(
            "DELETE",
            user_path(launch.user, "servers", name),
            {"remove": True} if remove else None,
            timeout=self._action_timeout,
        )
        self.invalidate()
        if response.status in (401, 403, 404):
            raise await self._explain_refused_stop(launch, name, verb, response)
        if response.status == 400:
            raise InvalidInput(
                f"The hub refused to {verb} {name}: {response.hub_message}",
                name=name,
                hub_status=response.status,
                hub_message=response.hub_message,
            )
        if not response.ok:
            raise _hub_failed(f"{verb} {name}", response)
        status = "deleted" if remove else "stopped"
        if response.status == 202:
            status = await self._wait_stopped(launch, name, remove)
        self.invalidate()
        return {
            "name": name,
            "action": verb,
            "removed": remove and status == "deleted",
            "status": status,
            "message": self._stop_message(name, remove, status),
        }

    async def _explain_refused_stop(
        self, launch: LaunchInfo, name: str, verb: str, response: HubResponse
    ) -> BinderError:
        # The hub answers 404 both for "no such server" and for a token whose delete scope
        # does not cover the server; the list tells the two apart.
        needed = (MANAGE_SCOPE, DELETE_SCOPE)
        if response.status == 404:
            try:
                model = await self._fetch_user_model(launch)
            except MissingScopes:
                model = None
            if model is not None and name not in model["servers"]:
                return NotFound(
                    f"You have no server named {name!r}; `projects` lists the ones you have.",
                    name=name,
                )
        return missing_scopes(f"{verb} your projects", needed, response)

    async def _wait_stopped(self, launch: LaunchInfo, name: str, remove: bool) -> str:
        """After a 202 (the hub is still stopping it), poll for the outcome.

        As long as any other action may take: the server has just outlived the hub's own
        stop timeout, and shutting down a busy server takes a few seconds more.
        """
        deadline = time.monotonic() + self._action_timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(self.poll_interval)
            try:
                model = await self._fetch_user_model(launch)
            except (MissingScopes, HubTimeout, HubUnavailable):
                return "stopping"
            server = model["servers"].get(name)
            if server is None:
                return "deleted"
            if server.get("stopped") and not server.get("pending") and not remove:
                return "stopped"
        return "stopping"

    @staticmethod
    def _stop_message(name: str, remove: bool, status: str) -> str:
        if status == "deleted":
            return f"Deleted {name}: its slot is free."
        if status == "stopped":
            return (
                f"Stopped {name}. It still holds a project slot until you delete it "
                "(a stopped project keeps its slot)."
            )
        then = " and will be deleted once stopped" if remove else ""
        return f"The hub is still stopping {name}{then}; refresh the list in a moment."

    def server_url(self, launch: LaunchInfo, name: str) -> str:
        base = self.env.get("JUPYTERHUB_BASE_URL", "") or "/"
        base = base if base.endswith("/") else base + "/"
        return f"{base}user/{quote(launch.user, safe='')}/{quote(name, safe='')}/"

    async def start(self, name: str, user_options: Mapping[str, Any]) -> dict[str, Any]:
        """Start (creating if needed) the named server with BinderHub-shaped user_options."""
        launch = self._context()
        name = validate_server_name(name)
        if not isinstance(user_options, Mapping):
            raise InvalidInput("user_options must be a JSON object.")
        response = await self.client.request(
            "POST",
            user_path(launch.user, "servers", name),
            dict(user_options),
            timeout=self._action_timeout,
        )
        self.invalidate()
        message = response.hub_message
        if response.status in (401, 403, 404):
            raise missing_scopes("start projects", (MANAGE_SCOPE, START_SCOPE), response)
        if response.status == 400 and "already running" in message:
            status = "running"
        elif response.status in (400, 409) and "maximum" in message:
            raise await self._slots_full(launch, name, response)
        elif response.status == 400:
            raise InvalidInput(
                f"The hub refused to start {name}: {message}",
                name=name,
                hub_status=response.status,
                hub_message=message,
            )
        elif not response.ok:
            raise _hub_failed(f"start {name}", response)
        else:
            status = "starting" if response.status == 202 else "running"
        return {
            "name": name,
            "status": status,
            "url": self.server_url(launch, name),
            "message": f"{name} is {'ready' if status == 'running' else 'starting'}.",
        }

    async def _slots_full(self, launch: LaunchInfo, name: str, response: HubResponse) -> Conflict:
        """The hub's "maximum of N named servers": why, and which projects to delete.

        JupyterHub counts stopped servers too; BinderHub shows this refusal only as "Failed to
        launch image", so the answer names the limit and the projects that hold the slots.
        """
        named = limit_in_refusal(response.hub_message)
        if named is not None:
            self.refused_with = named
        slots = self.slot_limit()
        limit = named if named is not None else slots.limit
        try:
            listed = summarize(await self._user_model(), launch, self.site)
            candidates = [str(d["name"]) for d in listed["deletable"]]
            stopped = [str(d["name"]) for d in listed["deletable"] if d["stopped"]]
        except BinderError:
            candidates, stopped = [], []
        which = ""
        if candidates:
            which = f" Delete one of: {', '.join(candidates[:5])}"
            if stopped:
                which += f" ({len(stopped)} of them stopped, holding a slot all the same)"
            which += "."
        return Conflict(
            f"The hub refused to start {name}: {response.hub_message.strip()}"
            f"{which} {full_message(limit, launch.control_panel_url)}",
            name=name,
            hub_status=response.status,
            hub_message=response.hub_message,
            limit=limit,
            limit_source=slots.source if named is None else FROM_HUB_REFUSAL,
            deletable=candidates,
        )

    async def wait_ready(self, name: str, timeout: float) -> dict[str, Any]:
        """Poll the hub until `name` is ready; its ``GET projects`` row with ``status``."""
        launch = self._context()
        name = validate_server_name(name)
        deadline = time.monotonic() + float(timeout)
        while True:
            model = await self._fetch_user_model(launch)
            server = model["servers"].get(name)
            if server is not None and server.get("ready"):
                self.invalidate()
                entry = server_entry(name, server, launch, self.site, datetime.now(timezone.utc))
                return {**entry, "status": "running", "message": f"{name} is ready."}
            if server is None or (server.get("stopped") and not server.get("pending")):
                self.invalidate()
                raise CommandFailed(
                    f"The hub did not start {name}: the server stopped before it was ready. "
                    "The hub's log (or its control panel) says why.",
                    name=name,
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HubTimeout(
                    f"{name} is still starting after {timeout:g} seconds; it may still come "
                    "up: open it from the list in a while.",
                    name=name,
                    url=self.server_url(launch, name),
                )
            await asyncio.sleep(min(1.0, remaining))
