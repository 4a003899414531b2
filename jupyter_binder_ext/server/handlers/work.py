"""``GET binder/api/work``, ``GET .../work/projects/{name}`` and ``POST .../work/save``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.server.handlers.base import BinderAPIHandler

_SAVE_FIELDS = {"to", "paths", "overwrite", "message"}


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
        body = self.json_body()
        unknown = sorted(set(body) - _SAVE_FIELDS)
        if unknown:
            raise InvalidInput(
                f"Unknown field(s) {', '.join(unknown)}: the fields are to, paths, overwrite "
                "and message."
            )
        if "to" not in body:
            raise InvalidInput('to is required: "persistent" or "github".')
        data = await self.state.save_work(
            body["to"],
            body.get("paths"),
            overwrite=body.get("overwrite", False),
            message=body.get("message"),
        )
        self.send_json(data)
