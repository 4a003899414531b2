"""Names of the user's servers: which ones the hub accepts, and new BinderHub-style ones."""

from __future__ import annotations

import re
import secrets
import string
from typing import Any
from urllib.parse import urlparse

from jupyter_binder_ext.errors import InvalidInput

# JupyterHub 6 creates only "safe slug" names: lowercase letters, digits and single hyphens,
# starting with a letter and ending with a letter or digit, at most 30 characters.
NEW_NAME_MAX = 30
_SAFE_SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# Servers created by older hubs may carry any URL-safe name; they can still be stopped/deleted.
EXISTING_NAME_MAX = 255
_EXISTING_NAME = re.compile(r"^[A-Za-z0-9._~-]+$")
_SUFFIX_CHARS = string.ascii_lowercase + string.digits
_SUFFIX_LENGTH = 8


def validate_server_name(name: Any) -> str:
    """Check a name addressing one of the user's existing servers; return it unchanged."""
    if not isinstance(name, str) or not name:
        raise InvalidInput("A server name is required (as `projects` lists it).", name=name)
    if len(name) > EXISTING_NAME_MAX:
        raise InvalidInput(
            f"Server names are at most {EXISTING_NAME_MAX} characters; this one has {len(name)}.",
            name=name[:80],
        )
    if name in (".", "..") or not _EXISTING_NAME.fullmatch(name):
        raise InvalidInput(
            f"{name!r} is not a server name: names hold only letters, digits and - . _ ~ "
            "(no '/', no spaces).",
            name=name,
        )
    return name


def is_new_server_name(name: str) -> bool:
    """True if a hub that enforces JupyterHub 6's rules accepts `name` for a new server."""
    return len(name) <= NEW_NAME_MAX and bool(_SAFE_SLUG.fullmatch(name))


def new_server_name(repo_url: str, suffix: str | None = None) -> str:
    """A BinderHub-style name for a new server: ``owner-repo-xxxxxxxx`` (a valid safe slug).

    Like BinderHub, the prefix is the repository path with ``/`` turned into ``-``; it is
    shortened (keeping both ends) so that the whole name stays within JupyterHub's 30
    characters.
    """
    path = repo_url.strip()
    if "://" in path:
        path = urlparse(path).path
    elif "@" in path and ":" in path:  # git@host:owner/repo
        path = path.split(":", 1)[1]
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    prefix = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "project"
    if not prefix[0].isalpha():
        prefix = "p-" + prefix
    suffix = suffix or "".join(secrets.choice(_SUFFIX_CHARS) for _ in range(_SUFFIX_LENGTH))
    room = NEW_NAME_MAX - len(suffix) - 1
    if len(prefix) > room:
        half = (room - 1) // 2
        prefix = prefix[:half].rstrip("-") + "-" + prefix[-(room - 1 - half) :].lstrip("-")
    name = re.sub(r"-+", "-", f"{prefix}-{suffix}")
    if not is_new_server_name(name):
        raise InvalidInput(f"Cannot build a server name from {repo_url!r}.", repo_url=repo_url)
    return name
