"""``POST binder/api/relaunch``: write `.resources`, commit, push, launch the new commit."""

from __future__ import annotations

from tornado import web

from jupyter_binder_ext.relaunch.requests import RelaunchRequest
from jupyter_binder_ext.server.handlers.base import SMALL_BODY_BYTES, BinderAPIHandler


class RelaunchHandler(BinderAPIHandler):
    """Body ``{values?, message?, stop_current?, labpath?}``; see :mod:`..relaunch`.

    A refused push is a 200 with ``push.ok = false`` (the commit happened and is kept);
    invalid values are a 400 with ``problems``, with nothing written.
    """

    @web.authenticated
    async def post(self) -> None:
        request = self.request_fields(RelaunchRequest, SMALL_BODY_BYTES)
        # The texts (NUL, lone surrogates, lengths) are checked by the relaunch itself,
        # before it writes anything, for every face alike.
        self.send_json(await self.state.relaunch(**request))
