"""The request of ``PUT binder/api/resources``,
checked by :func:`.common.requests.check_request`.
"""

from __future__ import annotations

from typing import Annotated, TypedDict

from jupyter_binder_ext.common.requests import Field


class ResourcesWriteRequest(TypedDict, total=False):
    """Body of ``PUT resources``: new values (merged into the file, its comments kept), or
    the whole text of the file."""

    values: Annotated[dict[str, object], Field(example='{"meml": 8}')]
    text: Annotated[str, Field(what="a string (the whole content of the file)")]
