"""Shared behaviour of the REST handlers: JSON in and out, core errors as JSON answers."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler

from jupyter_binder_ext.errors import BinderError, InvalidInput
from jupyter_binder_ext.state import ExtensionState


class BinderAPIHandler(APIHandler):
    """Base for every ``binder/api/*`` handler."""

    @property
    def state(self) -> ExtensionState:
        return self.settings["binder_ext"]

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object ({} when empty)."""
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except ValueError as err:
            raise InvalidInput(f"The request body is not valid JSON: {err}") from err
        if not isinstance(body, dict):
            raise InvalidInput("The request body must be a JSON object.")
        return body

    def send_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    # A BinderError raised by the core becomes its own status and JSON body, with no
    # traceback in the log: it is an answer, not a crash.
    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], BinderError):
            status_code = exc_info[1].status
        super().send_error(status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], BinderError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(exc_info[1].to_json()))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, BinderError):
            self.log.warning("%s %s: %s", self.request.method, self.request.path, value.message)
            return
        super().log_exception(typ, value, tb)

    def query_flag(self, name: str) -> bool:
        return self.get_query_argument(name, "0").lower() in ("1", "true", "yes")
