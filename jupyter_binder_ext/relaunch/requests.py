"""The request of ``POST binder/api/relaunch``,
checked by :func:`.common.requests.check_request`.
"""

from __future__ import annotations

from typing import Annotated, TypedDict

from jupyter_binder_ext.common.requests import Field


class RelaunchRequest(TypedDict, total=False):
    """Body of ``POST relaunch``: new `.resources` values (default: the file as it is), the
    commit message, whether to stop this server once the new one is ready, and the path the
    new server opens."""

    values: Annotated[dict[str, object], Field(example='{"meml": 8}')]
    message: Annotated[str, Field(what="a string (the commit message)")]
    stop_current: bool
    labpath: Annotated[str, Field(what="a string (a path relative to the server root)")]
