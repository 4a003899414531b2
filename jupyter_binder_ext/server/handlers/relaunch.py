"""``POST binder/api/relaunch``: write `.resources`, commit, push, launch the new commit."""

from __future__ import annotations

from typing import Any

from tornado import web

from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.server.handlers.base import (
    SMALL_BODY_BYTES,
    BinderAPIHandler,
)

_FIELDS = {"values", "message", "stop_current", "labpath"}


class RelaunchHandler(BinderAPIHandler):
    """Body ``{values?, message?, stop_current?, labpath?}``; see :mod:`..relaunch`.

    A refused push is a 200 with ``push.ok = false`` (the commit happened and is kept);
    invalid values are a 400 with ``problems``, with nothing written.
    """

    @web.authenticated
    async def post(self) -> None:
        body = self.json_body(SMALL_BODY_BYTES)
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise InvalidInput(
                f"Unknown field(s) {', '.join(unknown)}: the fields are "
                "values, message, stop_current and labpath."
            )
        values: Any = body.get("values")
        if values is not None and not isinstance(values, dict):
            raise InvalidInput('values must be an object, such as {"meml": 8}.')
        message = body.get("message")
        if message is not None and not isinstance(message, str):
            raise InvalidInput("message must be a string (the commit message).")
        labpath = body.get("labpath") or ""
        if not isinstance(labpath, str):
            raise InvalidInput("labpath must be a string (a path relative to the server root).")
        stop_current = body.get("stop_current", False)
        if not isinstance(stop_current, bool):
            raise InvalidInput("stop_current must be true or false.")
        # The texts (NUL, lone surrogates, lengths) are checked by the flow itself, before
        # it writes anything, for every face alike.
        data = await self.state.relaunch(
            values=values, message=message, stop_current=stop_current, labpath=labpath
        )
        self.send_json(data)
