"""The answers of ``GET`` / ``PUT binder/api/resources``: the ``.resources`` file and its values.

Values are in the file's units: cores for ``cpur``/``cpul``, whole GB for ``memr``/``meml``,
a count for ``gpu``.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from jupyter_binder_ext.common.answers import Warning


class ResourceValues(TypedDict, total=False):
    """The keys a file sets (any of the five)."""

    gpu: int
    cpur: float
    cpul: float
    memr: int
    meml: int


class ResourceSet(TypedDict):
    """All five keys: what a server gets."""

    gpu: int
    cpur: float
    cpul: float
    memr: int
    meml: int


class ResourceCeilings(TypedDict):
    """The operator's maxima, on by default (null: the operator turned that one off)."""

    gpu: int | None
    cpul: float | None
    meml: int | None


class RunningResources(TypedDict):
    """What this server runs with now, from its environment (null when unknown)."""

    gpu: int | None
    cpur: float | None
    cpul: float | None
    memr: float | None
    meml: float | None


class ResourcesProblem(TypedDict):
    line: int | None
    key: str | None
    message: str
    severity: Literal["error", "warning"]


class ResourcesAnswer(TypedDict):
    path: str
    filename: str
    exists: bool
    text: str
    values: ResourceValues
    effective: ResourceSet
    defaults: ResourceSet
    maximums: ResourceCeilings
    ceilings: ResourceCeilings
    running: RunningResources
    problems: list[ResourcesProblem]
    has_errors: bool
    is_github: bool
    warnings: list[Warning]
    etag: str
