"""``GET binder/api/work``, ``GET .../work/projects/{name}`` and ``POST .../work/save``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.server.handlers.base import BinderAPIHandler
from jupyter_binder_ext.work.requests import WorkSaveRequest


class WorkHandler(BinderAPIHandler):
    """This server's work at risk; ``?remind_days=N`` sets the reminder window."""

    @web.authenticated
    async def get(self) -> None:
        days = self.get_query_argument("remind_days", None)
        self.send_json(await self.state.work(days))


class SiblingWorkHandler(BinderAPIHandler):
    """Another project's own summary, read through the hub's proxy: only when asked, since
    the request counts as activity there."""

    @web.authenticated
    async def get(self, name: str) -> None:
        self.send_json(await self.state.sibling_work(name))


class WorkSaveHandler(BinderAPIHandler):
    """Body ``{to: "persistent" | "github", paths?, overwrite?, message?}``.

    A refused push is a 200 with ``ok: false`` (a commit made first is kept, and said).
    """

    @web.authenticated
    async def post(self) -> None:
        request = self.request_fields(WorkSaveRequest)
        self.send_json(await self.state.save_work(**request))
