"""``GET binder/api/projects`` and ``DELETE binder/api/projects/{name}``.

``sessions`` and ``sessions/{name}``, the paths of earlier releases, route here too.
"""

from __future__ import annotations

from tornado import web

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
