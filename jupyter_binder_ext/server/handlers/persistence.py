"""``GET binder/api/persistence`` and ``POST binder/api/persistence/instance-dir``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.server.handlers.base import BinderAPIHandler


class PersistenceHandler(BinderAPIHandler):
    @web.authenticated
    async def get(self) -> None:
        # One read per interval for every tab, in a thread of its own (see shared_read).
        self.send_json(await self.state.shared_persistence())


class InstanceDirHandler(BinderAPIHandler):
    @web.authenticated
    async def post(self) -> None:
        self.no_body()
        try:
            data = await self.state.create_instance_dir()
        finally:
            self.state.volume_read.invalidate()  # the volume changed: the next read is fresh
        self.send_json(data, status=201 if data["action"]["created"] else 200)
