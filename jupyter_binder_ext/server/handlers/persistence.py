"""``GET binder/api/persistence`` and ``POST binder/api/persistence/instance-dir``."""

from __future__ import annotations

from tornado import web
from tornado.ioloop import IOLoop

from jupyter_binder_ext.server.handlers.base import BinderAPIHandler


class PersistenceHandler(BinderAPIHandler):
    @web.authenticated
    async def get(self) -> None:
        # Off the event loop: the probe write and the bounded walk touch a network volume.
        self.send_json(await IOLoop.current().run_in_executor(None, self.state.persistence))


class InstanceDirHandler(BinderAPIHandler):
    @web.authenticated
    async def post(self) -> None:
        data = await IOLoop.current().run_in_executor(None, self.state.create_instance_dir)
        self.send_json(data, status=201 if data["action"]["created"] else 200)
