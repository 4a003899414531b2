"""How many named servers the hub lets the user hold, and where that figure came from.

In order: ``c.BinderExt.max_named_servers`` when an admin set it; the
``JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER`` variable in the server's environment (the one
BinderHub's launcher reads, binderhub ``launcher.py:55-56``; 0 means no limit, as for
JupyterHub's ``named_server_limit_per_user``, jupyterhub ``app.py:1385-1394``); the limit the
hub named when it last refused a new server; else 5, the seed site's.

Both refusals name the limit in the same words: JupyterHub's 400 (``handlers/base.py:1636-1640``)
and BinderHub's 409 (``launcher.py:228-235``) say "already has the maximum of N named servers".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from jupyter_binder_ext.config import DEFAULT_NAMED_SERVER_LIMIT

LIMIT_VARIABLE = "JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER"
_REFUSAL = re.compile(r"already has the maximum of (\d+) named servers")

# Where the limit came from, as ``GET projects`` says it (``limit_source``).
FROM_CONFIG = "config"
FROM_ENVIRONMENT = "environment"
FROM_HUB_REFUSAL = "hub_refusal"
FROM_DEFAULT = "default"

_SAYS = {
    FROM_CONFIG: "c.BinderExt.max_named_servers",
    FROM_ENVIRONMENT: f"{LIMIT_VARIABLE} in this server's environment",
    FROM_HUB_REFUSAL: "the hub's last refusal",
    FROM_DEFAULT: "the default (the hub's limit is unknown here)",
}


@dataclass(frozen=True)
class SlotLimit:
    """A limit (0: none) and where it came from."""

    limit: int
    source: str

    @property
    def described(self) -> str:
        return _SAYS.get(self.source, self.source)


def limit_in_refusal(message: str) -> int | None:
    """N from the hub's or BinderHub's "already has the maximum of N named servers"."""
    match = _REFUSAL.search(message)
    return int(match.group(1)) if match else None


def resolve_limit(
    configured: int, env: Mapping[str, str], refused_with: int | None = None
) -> SlotLimit:
    """The limit that applies now (see the module's doc for the order)."""
    if configured > 0:
        return SlotLimit(int(configured), FROM_CONFIG)
    value = env.get(LIMIT_VARIABLE, "").strip()
    if value.isdigit():
        return SlotLimit(int(value), FROM_ENVIRONMENT)
    if refused_with is not None:
        return SlotLimit(refused_with, FROM_HUB_REFUSAL)
    return SlotLimit(DEFAULT_NAMED_SERVER_LIMIT, FROM_DEFAULT)
