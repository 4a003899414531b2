"""``GET`` / ``PUT binder/api/resources``: the repository's ``.resources`` file."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.resources.answers import ResourcesAnswer
from jupyter_binder_ext.server.handlers.base import SMALL_BODY_BYTES, BinderAPIHandler

_PUT_FIELDS = {"values", "text"}


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
        # Off the event loop: the file may sit on a slow disk (and is never a FIFO we wait on).
        self._send_state(await self.in_thread(self.state.resources))

    @web.authenticated
    async def put(self) -> None:
        body = self.json_body(SMALL_BODY_BYTES)
        unknown = sorted(set(body) - _PUT_FIELDS)
        if unknown:
            raise InvalidInput(
                f'Unknown field(s) {", ".join(unknown)}: send {{"values": {{...}}}} or '
                '{"text": "..."}.'
            )
        values, text = body.get("values"), body.get("text")
        if_match = self.request.headers.get("If-Match")
        # The core checks the values and the text (resources/file.py), for every face alike.
        data = await self.in_thread(
            lambda: self.state.write_resources(values=values, text=text, if_match=if_match)
        )
        self._send_state(data)
