"""``GET binder/api/ssh``, ``POST binder/api/ssh/configure-git`` and ``POST .../ssh/test``."""

from __future__ import annotations

from tornado import web
from tornado.ioloop import IOLoop

from jupyter_binder_ext.server.handlers.base import BinderAPIHandler


class SSHHandler(BinderAPIHandler):
    @web.authenticated
    async def get(self) -> None:
        # Off the event loop: it stats and may copy the key, and runs ssh-keygen and git.
        self.send_json(await IOLoop.current().run_in_executor(None, self.state.ssh))


class ConfigureGitHandler(BinderAPIHandler):
    @web.authenticated
    async def post(self) -> None:
        self.no_body()
        self.send_json(await IOLoop.current().run_in_executor(None, self.state.configure_git))


class SSHTestHandler(BinderAPIHandler):
    @web.authenticated
    async def post(self) -> None:
        self.no_body()
        self.send_json(await self.state.ssh_test())
