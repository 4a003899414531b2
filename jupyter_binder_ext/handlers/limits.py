"""``GET binder/api/limits``."""

from __future__ import annotations

from tornado import web

from .base import BinderAPIHandler


class LimitsHandler(BinderAPIHandler):
    @web.authenticated
    async def get(self) -> None:
        self.send_json(await self.state.limits())
