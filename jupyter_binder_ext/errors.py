"""Errors the core raises; every face turns them into a message the user can act on."""

from __future__ import annotations

from typing import Any


class BinderError(Exception):
    """A failure with a user-facing message, an HTTP status and machine-readable details."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class InvalidInput(BinderError):
    status = 400
    code = "invalid"


class NotFound(BinderError):
    status = 404
    code = "not_found"


class Conflict(BinderError):
    status = 409
    code = "conflict"


class Forbidden(BinderError):
    status = 403
    code = "forbidden"


class MissingScopes(Forbidden):
    code = "missing_scopes"


class NotUnderHub(BinderError):
    status = 409
    code = "not_under_hub"


class HubUnavailable(BinderError):
    status = 502
    code = "hub_unavailable"


class HubTimeout(BinderError):
    status = 504
    code = "hub_timeout"


class CommandFailed(BinderError):
    """An external command (git, ssh) failed; `details` carries its own output."""

    status = 502
    code = "command_failed"
