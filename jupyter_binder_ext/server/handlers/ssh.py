"""``GET binder/api/ssh``, ``POST binder/api/ssh/configure-git`` and ``POST .../ssh/test``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.server.handlers.base import BinderAPIHandler


class SSHHandler(BinderAPIHandler):
    @web.authenticated
    async def get(self) -> None:
        self.send_json(await self.state.ssh())


class ConfigureGitHandler(BinderAPIHandler):
    @web.authenticated
    async def post(self) -> None:
        self.no_body()
        self.send_json(await self.state.configure_git())


class SSHTestHandler(BinderAPIHandler):
    @web.authenticated
    async def post(self) -> None:
        self.no_body()
        self.send_json(await self.state.ssh_test())
