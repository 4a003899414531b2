"""A small async client for the JupyterHub REST API, authenticated with this server's token.

Every request goes through :meth:`HubClient.request`, which bounds it in time and turns
transport failures into the core's errors (:class:`HubUnavailable`, :class:`HubTimeout`).
HTTP answers, errors included, come back as :class:`HubResponse`: what a 403 or a 404 means
depends on the call, so the caller interprets them. The token goes only into the
``Authorization`` header; it is never logged and never part of an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from jupyter_binder_ext.errors import HubTimeout, HubUnavailable

USER_AGENT = "jupyter-binder-ext"


@dataclass(frozen=True)
class HubResponse:
    """One answer of the hub: status, body and headers (names in lower case)."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body)

    @property
    def hub_message(self) -> str:
        """The hub's own error message (its JSON ``message``), or the body as text."""
        try:
            data = self.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return str(data["message"])
        return self.body.decode("utf-8", "replace").strip()[:500]

    @property
    def hub_version(self) -> str:
        return self.headers.get("x-jupyterhub-version", "")


def user_path(user: str, *rest: str) -> str:
    """``/users/{user}[/...]`` with every segment escaped (user and server names may hold @, +)."""
    return "/".join(["", "users", quote(user, safe=""), *(quote(part, safe="") for part in rest)])


class HubClient:
    """Requests to ``JUPYTERHUB_API_URL`` with the server's ``JUPYTERHUB_API_TOKEN``."""

    def __init__(
        self,
        api_url: str,
        token: str,
        timeout: float,
        log: logging.Logger | Any = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.timeout = float(timeout)
        self.log = log or logging.getLogger("jupyter_binder_ext")
        # How many requests reached the transport: the bench and the tests read it.
        self.requests_sent = 0

    def __repr__(self) -> str:  # never show the token
        return f"HubClient({self.api_url!r}, timeout={self.timeout})"

    async def request(
        self, method: str, path: str, body: Any = None, timeout: float | None = None
    ) -> HubResponse:
        """Send one request; answers within `timeout` (default: the client's) or HubTimeout."""
        timeout = self.timeout if timeout is None else float(timeout)
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

        url = self.api_url + path
        headers = {"Authorization": f"token {self._token}", "User-Agent": USER_AGENT}
        payload: bytes | None = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT", "PATCH"):
            payload = b""
        request = HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=payload,
            connect_timeout=timeout,
            request_timeout=timeout,
            follow_redirects=False,
            # The hub's DELETE takes a JSON body ({"remove": true}).
            allow_nonstandard_methods=True,
        )
        self.requests_sent += 1
        client = AsyncHTTPClient()
        try:
            # tornado's own timeouts cover the connection and the answer; wait_for is the
            # backstop for anything they miss (a resolver stuck in its thread).
            response = await asyncio.wait_for(
                client.fetch(request, raise_error=False), timeout + 1.0
            )
        except (asyncio.TimeoutError, TimeoutError) as err:
            raise self._timeout(method, path, timeout) from err
        except HTTPClientError as err:
            # 599: tornado's code for "no HTTP answer" (timeout or closed connection).
            if "timeout" in str(err).lower():
                raise self._timeout(method, path, timeout) from err
            raise self._unavailable(method, path, str(err)) from err
        except OSError as err:  # refused, reset, unknown host (StreamClosedError included)
            raise self._unavailable(method, path, str(err) or type(err).__name__) from err
        return HubResponse(
            status=response.code,
            body=response.body or b"",
            headers={k.lower(): v for k, v in response.headers.get_all()},
        )

    def _timeout(self, method: str, path: str, timeout: float) -> HubTimeout:
        self.log.warning("Hub API %s %s: no answer within %.1f s", method, path, timeout)
        return HubTimeout(
            f"The hub did not answer within {timeout:g} seconds. It may be busy or "
            "restarting; try again in a moment. The rest of this notebook keeps working.",
            hub_api_url=self.api_url,
            timeout=timeout,
        )

    def _unavailable(self, method: str, path: str, reason: str) -> HubUnavailable:
        self.log.warning("Hub API %s %s unreachable: %s", method, path, reason)
        return HubUnavailable(
            f"The hub cannot be reached ({reason}). It may be restarting; try again in a "
            "moment. The rest of this notebook keeps working.",
            hub_api_url=self.api_url,
            reason=reason,
        )
