"""Names of the user's servers: which ones the hub lists, and new ones the extension makes.

Two sets of rules meet here. BinderHub names a server after the repository URL's path
(binderhub ``launcher.py:143-169``, ``unique_name_from_repo``): ``/`` becomes ``-``, lower
case, ``.git`` dropped, shortened to 15 + ``-`` + 15 characters past 32, then ``-`` and 8
random ``[a-z0-9]``. Such names keep whatever else the path held (``a+b-repo-...``,
``~user-...``, ``my.repo_x-...``), may start with a digit and be 41 characters long; hubs
before JupyterHub 6 stored them as they were, and JupyterHub 6 still lets their owner stop and
delete them (``allow_existing_invalid_named_servers``, jupyterhub ``app.py:1409-1427``). New
names must be JupyterHub 6 "safe slugs" (jupyterhub ``slugs.py:132-148``,
``handlers/base.py:1642-1647``): at most 30 of ``[a-z0-9-]``, starting with a letter, ending
with a letter or digit, no ``--``.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any
from urllib.parse import urlparse

from jupyter_binder_ext.errors import InvalidInput

NEW_NAME_MAX = 30
_SAFE_SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# JupyterHub stores a server name in a Unicode(255) column (orm.py:415) and routes
# /users/{user}/servers/([^/]*) (apihandlers/users.py:1248). BinderHub's names come from a URL
# path, so they hold RFC 3986 path characters: unreserved, sub-delims, ":", "@" and "%".
EXISTING_NAME_MAX = 255
_EXISTING_NAME = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%-]+")
_SUFFIX_CHARS = string.ascii_lowercase + string.digits
_SUFFIX_LENGTH = 8
# launcher.py:150: "user@host:path" (no "://") is an ssh URL
_SSH_REPO = re.compile(r".*@.*\:")


def validate_server_name(name: Any) -> str:
    """Check a name addressing one of the user's existing servers; return it unchanged.

    Every name BinderHub can have given a server passes; what cannot be one server's name in
    the hub's URL (``/``, ``?``, ``#``, spaces, ``.`` and ``..`` alone) does not.
    """
    if not isinstance(name, str) or not name:
        raise InvalidInput("A server name is required (as `projects` lists it).", name=name)
    if len(name) > EXISTING_NAME_MAX:
        raise InvalidInput(
            f"Server names are at most {EXISTING_NAME_MAX} characters; this one has {len(name)}.",
            name=name[:80],
        )
    if name in (".", "..") or not _EXISTING_NAME.fullmatch(name):
        raise InvalidInput(
            f"{name!r} is not a server name: names hold letters, digits and the characters of "
            "a URL path (- . _ ~ + @ : and the like), no '/', '?', '#' or spaces.",
            name=name,
        )
    return name


def is_new_server_name(name: str) -> bool:
    """True if a hub that enforces JupyterHub 6's rules accepts `name` for a new server."""
    return len(name) <= NEW_NAME_MAX and bool(_SAFE_SLUG.fullmatch(name))


def _random_suffix() -> str:
    return "".join(secrets.choice(_SUFFIX_CHARS) for _ in range(_SUFFIX_LENGTH))


def _repository_path(repo_url: str) -> str:
    if "://" not in repo_url and _SSH_REPO.match(repo_url):
        return repo_url.split(":", 1)[1]
    try:
        return urlparse(repo_url).path
    except ValueError:  # e.g. an unclosed "[" in the host: not a URL, name it as typed
        return repo_url


def binderhub_server_name(repo_url: str, suffix: str | None = None) -> str:
    """The name BinderHub gives a new server for `repo_url` (launcher.py:143-169).

    What BinderHub itself makes, for the demo and the tests: it need not be a JupyterHub 6
    safe slug (JupyterHub 6 then refuses it, as it refuses BinderHub's own launch).
    """
    prefix = _repository_path(repo_url).strip("/").replace("/", "-").lower()
    if prefix.endswith(".git"):
        prefix = prefix[:-4]
    if len(prefix) > 32:
        prefix = f"{prefix[:15]}-{prefix[-15:]}"
    return f"{prefix}-{suffix or _random_suffix()}"


def new_server_name(repo_url: str, suffix: str | None = None) -> str:
    """A BinderHub-style name for a new server: ``owner-repo-xxxxxxxx`` (a valid safe slug).

    Like BinderHub, the prefix is the repository path with ``/`` turned into ``-``; anything
    outside ``[a-z0-9]`` becomes ``-``, a prefix not starting with a letter gets ``p-``, and
    it is shortened (keeping both ends) so that the whole name stays within JupyterHub's 30
    characters.
    """
    path = _repository_path(repo_url.strip()).strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    prefix = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "project"
    if not prefix[0].isalpha():
        prefix = "p-" + prefix
    suffix = suffix or _random_suffix()
    room = NEW_NAME_MAX - len(suffix) - 1
    if len(prefix) > room:
        half = (room - 1) // 2
        prefix = prefix[:half].rstrip("-") + "-" + prefix[-(room - 1 - half) :].lstrip("-")
    name = re.sub(r"-+", "-", f"{prefix}-{suffix}")
    if not is_new_server_name(name):
        raise InvalidInput(f"Cannot build a server name from {repo_url!r}.", repo_url=repo_url)
    return name
