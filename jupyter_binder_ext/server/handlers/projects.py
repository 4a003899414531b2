"""``GET binder/api/projects`` and ``DELETE binder/api/projects/{name}``.

``GET binder/api/projects/{name}/progress`` relays the hub's progress events;
``sessions`` and ``sessions/{name}``, the paths of earlier releases, route here too.
"""

from __future__ import annotations

import asyncio
import json

from tornado import web
from tornado.iostream import StreamClosedError

from jupyter_binder_ext.errors import BinderError, Conflict, NotFound
from jupyter_binder_ext.projects.progress import ProgressFeed
from jupyter_binder_ext.server.handlers.base import BinderAPIHandler


class ProjectsHandler(BinderAPIHandler):
    @web.authenticated
    async def get(self) -> None:
        self.send_json(await self.state.projects())


class ProjectHandler(BinderAPIHandler):
    @web.authenticated
    async def delete(self, name: str) -> None:
        """Stop the server; ``?remove=1`` also deletes it; ``?force=1`` allows this one."""
        data = await self.state.stop_project(
            name, remove=self.query_flag("remove"), force=self.query_flag("force")
        )
        self.send_json(data)


class ProjectProgressHandler(BinderAPIHandler):
    """``GET projects/{name}/progress``: the hub's progress events of a starting server, as
    the hub sends them (``data: {json}``, one per event), from the one hub stream this
    server reads for every tab."""

    # Blank lines at this interval keep proxies from closing a quiet stream (the hub's 8 s).
    keepalive_interval = 8.0
    _relay: asyncio.Future[None] | None = None

    @web.authenticated
    async def get(self, name: str) -> None:
        feed = await self.state.project_progress(name)
        self._relay = asyncio.ensure_future(self._send_events(feed))
        try:
            await self._relay
        except asyncio.CancelledError:
            return  # the tab went away (on_connection_close)

    async def _send_events(self, feed: ProgressFeed) -> None:
        events = feed.follow(keepalive=self.keepalive_interval)
        sent = 0
        try:
            async for event in events:
                if not sent:
                    self.set_header("Content-Type", "text/event-stream")
                    self.set_header("Cache-Control", "no-cache")
                self.write("\n\n" if event is None else f"data: {json.dumps(event)}\n\n")
                sent += 1
                await self.flush()
        except StreamClosedError:
            return
        finally:
            await events.aclose()
        if not sent:
            raise not_starting(feed)
        self.finish()

    def on_connection_close(self) -> None:
        if self._relay is not None:
            self._relay.cancel()
        super().on_connection_close()


def not_starting(feed: ProgressFeed) -> BinderError:
    """The hub had no progress to give: no such server (404) or not starting (400)."""
    status, body = feed.refusal or (0, "")
    if status == 404:
        return NotFound(f"You have no server named {feed.name!r}.", name=feed.name)
    return Conflict(
        f"{feed.name} is not starting, and its last start did not fail: there is no progress "
        f"to follow. `projects` says its state.",
        name=feed.name,
        hub_status=status,
        hub_message=body[:300],
    )


class ProjectReportHandler(BinderAPIHandler):
    """``GET projects/{name}/report``: the plain-text report for the service desk."""

    @web.authenticated
    async def get(self, name: str) -> None:
        self.send_json(await self.state.project_report(name))


class ProjectBuildLogHandler(BinderAPIHandler):
    """``GET projects/builds/{build_id}/log``: the whole log of a BinderHub build a relaunch
    follows (``builds`` in ``GET projects`` has its last lines)."""

    @web.authenticated
    async def get(self, build_id: str) -> None:
        self.send_json(await self.state.build_log(build_id))
