"""The request of ``POST binder/api/work/save``,
checked by :func:`.common.requests.check_request`.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from jupyter_binder_ext.common.requests import Field

MAX_PATHS = 5000

SaveTarget = Literal["persistent", "github"]


class _WorkSaveRequired(TypedDict):
    to: SaveTarget


class WorkSaveRequest(_WorkSaveRequired, total=False):
    """Body of ``POST work/save``: where to, which files (default: all at risk), whether a
    copy replaces a different file, the commit message (github)."""

    paths: Annotated[
        list[str],
        Field(
            what="a list of file paths",
            example='["results/a.csv"]',
            max_items=MAX_PATHS,
            item="a file path",
        ),
    ]
    overwrite: bool
    message: Annotated[str, Field(what="a string (the commit message)")]
