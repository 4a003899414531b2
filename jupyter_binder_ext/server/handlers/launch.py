"""``GET binder/api/launch``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.server.handlers.base import BinderAPIHandler


class LaunchHandler(BinderAPIHandler):
    @web.authenticated
    async def get(self) -> None:
        self.send_json(await self.state.launch_answer())
