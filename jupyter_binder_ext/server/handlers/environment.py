"""``GET binder/api/environment`` and ``POST .../environment/keep``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.server.handlers.base import SMALL_BODY_BYTES, BinderAPIHandler


class EnvironmentHandler(BinderAPIHandler):
    """What the next build uses, what was installed since launch, the checks;
    ``?dockerfile=1`` adds the Dockerfile repo2docker would render."""

    @web.authenticated
    async def get(self) -> None:
        self.send_json(await self.state.environment(dockerfile=self.query_flag("dockerfile")))


class KeepHandler(BinderAPIHandler):
    """Body ``{packages: [names], file?: "auto"}``: pin them in the file repo2docker reads."""

    @web.authenticated
    async def post(self) -> None:
        # The fields are checked against KeepRequest by the one request check, for every face.
        self.send_json(await self.state.keep_environment(**self.json_body(SMALL_BODY_BYTES)))
