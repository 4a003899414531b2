"""The request of ``POST binder/api/environment/keep``, checked by
:func:`.common.requests.check_request`."""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from jupyter_binder_ext.common.requests import Field

MAX_PACKAGES = 200

KeepFile = Literal["auto", "environment.yml", "requirements.txt"]


class _KeepRequired(TypedDict):
    packages: Annotated[
        list[str],
        Field(
            what="a non-empty list of package names",
            example='["pandas"]',
            max_items=MAX_PACKAGES,
            item="a package name",
        ),
    ]


class KeepRequest(_KeepRequired, total=False):
    """Body of ``POST environment/keep``: the packages installed since launch to pin, and
    the file to pin them in (``auto``: the one repo2docker reads)."""

    file: KeepFile
