"""``GET binder/api/environment`` and ``POST .../environment/keep``."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.server.handlers.base import SMALL_BODY_BYTES, BinderAPIHandler

_KEEP_FIELDS = {"packages", "file"}


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
        body = self.json_body(SMALL_BODY_BYTES)
        unknown = sorted(set(body) - _KEEP_FIELDS)
        if unknown:
            raise InvalidInput(
                f"Unknown field(s) {', '.join(unknown)}: the fields are packages and file."
            )
        data = await self.state.keep_environment(body.get("packages"), body.get("file", "auto"))
        self.send_json(data)
