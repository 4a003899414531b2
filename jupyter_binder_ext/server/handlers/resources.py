"""``GET`` / ``PUT binder/api/resources``: the repository's ``.resources`` file."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.resources.answers import ResourcesAnswer
from jupyter_binder_ext.resources.requests import ResourcesWriteRequest
from jupyter_binder_ext.server.handlers.base import SMALL_BODY_BYTES, BinderAPIHandler


class ResourcesHandler(BinderAPIHandler):
    """The file with its values, problems and etag; ``PUT`` changes it, checked first.

    ``If-Match`` is optional: with it (the sidebar, magics and CLI always send it) a file
    that changed since it was read answers 409 and is left alone; without it the write
    goes ahead.
    """

    def check_etag_header(self) -> bool:
        # The answer carries live figures (what runs now) besides the file: never a 304.
        return False

    def _send_state(self, data: ResourcesAnswer) -> None:
        self.set_header("ETag", f'"{data["etag"]}"')
        self.set_header("Cache-Control", "no-store")
        self.send_json(data)

    @web.authenticated
    async def get(self) -> None:
        self._send_state(await self.state.resources())

    @web.authenticated
    async def put(self) -> None:
        request = self.request_fields(ResourcesWriteRequest, SMALL_BODY_BYTES)
        if_match = self.request.headers.get("If-Match")
        # The core checks the values and the text (resources/file.py), for every face alike.
        self._send_state(await self.state.write_resources(**request, if_match=if_match))
