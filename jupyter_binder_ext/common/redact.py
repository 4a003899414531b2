"""Hide credentials in URLs and in text that may hold URLs, before any answer or log line.

A git remote, ``BINDER_REPO_URL``, a hub's ``user_options`` or a marker on the volume may
carry a token: as the user name or password of a URL (``https://TOKEN@github.com/...``,
``https://oauth2:TOKEN@gitlab.com/...``, ``git+https://...``) or in its query
(``?access_token=...``). Every face shows URLs through :func:`redact`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

HIDDEN = "***"
# The userinfo of a URL: everything up to the last "@" before the host (a token may itself
# hold an "@"), never past the authority ("/", "?", "#" or a space end it).
_USERINFO_RE = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*)://([^/?#\s]+)@")
_SECRET_QUERY_RE = re.compile(
    r"([?&;](?:[A-Za-z0-9_-]*token|password|passwd|secret|key|sig|signature)=)[^&;#\s]+",
    re.IGNORECASE,
)
_WEB_SCHEMES = ("http", "https", "ftp", "ftps")
# A whole URL percent-encoded into one path segment, as BinderHub writes a git or gl spec.
_ENCODED_URL_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*%3A%2F%2F[^/?#&\s]*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it hidden: all the userinfo of a web URL
    (a token is often the user name), the password of any other (``ssh://git:pw@`` keeps
    ``git``, which is no secret), and secret-looking query values."""

    def hide(match: re.Match[str]) -> str:
        scheme, userinfo = match.group(1), match.group(2)
        if scheme.lower().rsplit("+", 1)[-1] in _WEB_SCHEMES:
            return f"{scheme}://{HIDDEN}@"
        if ":" in userinfo:
            return f"{scheme}://{userinfo.split(':', 1)[0]}:{HIDDEN}@"
        if "@" in userinfo:  # a user name holding "@": more than a user name
            return f"{scheme}://{HIDDEN}@"
        return match.group(0)

    def hide_encoded(match: re.Match[str]) -> str:
        decoded = unquote(match.group(0))
        shown = _plain(decoded)
        return match.group(0) if shown == decoded else quote(shown, safe="")

    def _plain(value: str) -> str:
        return _SECRET_QUERY_RE.sub(rf"\g<1>{HIDDEN}", _USERINFO_RE.sub(hide, value))

    return _plain(_ENCODED_URL_RE.sub(hide_encoded, text))


def redact_strings(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `data` whose string values are redacted (one level deep)."""
    return {key: redact(value) if isinstance(value, str) else value for key, value in data.items()}
