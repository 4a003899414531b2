"""Answer types every domain shares: a warning (and its builder), and an error answer.

Every REST answer has one declared type (a ``TypedDict`` in its domain's ``answers.py``); the
handlers, the magics and the CLI return exactly it. ``server/answers.py`` names the type of
each route; the tests check every live answer against it, and ``labextension/src/answers.ts``
and the tables of ``docs/rest-api.md`` are generated from these declarations.
"""

from __future__ import annotations

from typing import Literal, TypedDict

Level = Literal["info", "warning", "error"]


class _WarningKeys(TypedDict):
    kind: str
    level: Level
    message: str


class Warning(_WarningKeys, total=False):
    """Something the user should know, said by the server: the panel only shows it.

    ``figure`` names the figure it concerns (``cpu``, ``memory``, ``used``...), where it
    concerns one, so that a face marks that figure without reading the message.
    """

    figure: str


class ErrorAnswer(TypedDict):
    """Any 4xx/5xx answer: ``error`` (a machine-readable kind) and a message to act on.

    Errors carry further details named by the error (``path``, ``problems``...): the one
    answer type whose keys are open.
    """

    error: str
    message: str


def warning(kind: str, level: Level, message: str, figure: str | None = None) -> Warning:
    """One :class:`Warning`, ``figure`` only where it concerns one figure."""
    answer: Warning = {"kind": kind, "level": level, "message": message}
    if figure:
        answer["figure"] = figure
    return answer


class CommitFacts(TypedDict):
    """A commit the extension made (``created``), or the commit already there when nothing
    differed: built by :meth:`.git_commit.Committed.to_json` only."""

    sha: str
    short_sha: str
    message: str
    branch: str | None
    created: bool
    author: str
    note: str
    files: list[str]


class PushFacts(TypedDict):
    """A push, tried or held back (``ok: false`` with ``reason`` and a ``hint``): built by
    :meth:`.git_push.PushResult.to_json` only."""

    ok: bool
    remote: str
    url: str
    ref: str
    branch: str
    output: str
    reason: str
    hint: str
    returncode: int | None
    command: str
