"""Shared behaviour of the REST handlers: JSON in and out, core errors as JSON answers."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from http.client import responses
from typing import Any, TypeVar, cast

from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from jupyter_binder_ext.common.requests import check_request
from jupyter_binder_ext.common.text import check_text
from jupyter_binder_ext.errors import BinderError, InvalidInput
from jupyter_binder_ext.state import ExtensionState

# The `error` of answers refused before any of our code ran, by HTTP status.
_HTTP_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "internal_error",
}

# The largest request body a binder/api route reads (a list of files to save, say); the
# routes whose body is a handful of fields read far less (SMALL_BODY_BYTES).
MAX_BODY_BYTES = 1024 * 1024
SMALL_BODY_BYTES = 64 * 1024
# How deep a body's objects and arrays may nest (the deepest real body is two levels).
MAX_BODY_DEPTH = 16


class BodyTooLarge(BinderError):
    status = 413
    code = "too_large"


def _depth_ok(value: Any, depth: int = 0) -> bool:
    if depth > MAX_BODY_DEPTH:
        return False
    if isinstance(value, dict):
        return all(_depth_ok(item, depth + 1) for item in value.values())
    if isinstance(value, list):
        return all(_depth_ok(item, depth + 1) for item in value)
    return True


__all__ = ["SMALL_BODY_BYTES", "BinderAPIHandler", "BodyTooLarge", "check_text"]

T = TypeVar("T")
R = TypeVar("R")  # a request type (a TypedDict)


class BinderAPIHandler(APIHandler):
    """Base for every ``binder/api/*`` handler."""

    @property
    def state(self) -> ExtensionState:
        return cast(ExtensionState, self.settings["binder_ext"])

    def json_body(self, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
        """The request body as a JSON object ({} when empty); 413 over `limit` bytes, 400 when
        it is not JSON, not an object, or nested deeper than any real request."""
        raw = self.request.body
        if not raw:
            return {}
        if len(raw) > limit:
            raise BodyTooLarge(
                f"The request body is {len(raw)} bytes; this route reads at most {limit}.",
                limit=limit,
            )
        try:
            body = json.loads(raw)
        except RecursionError:
            raise InvalidInput("The request body nests objects or arrays too deeply.") from None
        except ValueError as err:
            raise InvalidInput(f"The request body is not valid JSON: {err}") from None
        if not isinstance(body, dict):
            raise InvalidInput("The request body must be a JSON object.")
        if not _depth_ok(body):
            raise InvalidInput(
                f"The request body nests objects or arrays more than {MAX_BODY_DEPTH} deep."
            )
        return body

    def request_fields(self, shape: type[R], limit: int = MAX_BODY_BYTES) -> R:
        """The body's fields as `shape` (its declared request type), checked by the one
        request check (common/requests.py): an unknown, missing or mistyped field is a 400
        naming it."""
        return check_request(shape, self.json_body(limit))

    def no_body(self) -> None:
        """For actions that take no parameters: nothing, or ``{}``; anything else is a 400
        (a client sending fields here expects them to mean something)."""
        body = self.json_body()
        if body:
            raise InvalidInput(
                f"{self.request.method} {self.request.path} takes no parameters; it got "
                f"{', '.join(sorted(body)[:10])}. Send an empty body or {{}}."
            )

    async def in_thread(self, func: Callable[..., T], *args: Any) -> T:
        """Run blocking core code (file reads, git, ssh-keygen) off the event loop."""
        return await IOLoop.current().run_in_executor(None, functools.partial(func, *args))

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
        # Refusals from Jupyter Server itself (no token, no XSRF, a crash) answer in the same
        # shape as ours, {error, message}, and never with a traceback.
        exception = exc_info[1] if exc_info else None
        message = responses.get(status_code, "Unknown HTTP Error")
        if isinstance(exception, web.HTTPError) and exception.log_message:
            message = (
                exception.log_message % exception.args
                if exception.args
                else (exception.log_message)
            )
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "error": _HTTP_ERROR_CODES.get(status_code, "http_error"),
                    "message": message,
                    "reason": getattr(exception, "reason", None),
                }
            )
        )

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, BinderError):
            self.log.warning("%s %s: %s", self.request.method, self.request.path, value.message)
            return
        super().log_exception(typ, value, tb)

    def query_flag(self, name: str) -> bool:
        return self.get_query_argument(name, "0").lower() in ("1", "true", "yes")
