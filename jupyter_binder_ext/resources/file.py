"""The `.resources` file on disk: ``GET`` and ``PUT binder/api/resources``.

:mod:`.model` parses, checks and renders the text (shared with the hub's hook);
:mod:`.facts` reads the file, :mod:`.builders` makes the answer and :mod:`.text` its text.
This module is the entry point of both routes, and writes the file atomically.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.files import write_atomic
from jupyter_binder_ext.common.requests import check_request
from jupyter_binder_ext.common.text import check_text
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import Conflict, InvalidInput
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.resources.answers import ResourcesAnswer
from jupyter_binder_ext.resources.builders import (
    build_resources,
    capped_problems,
    etag_of,
    read_problem,
    running_resources,
)
from jupyter_binder_ext.resources.facts import gather_resources, read_file
from jupyter_binder_ext.resources.model import (
    Problem,
    normalize_values,
    parse_resources,
    render_resources,
)
from jupyter_binder_ext.resources.requests import ResourcesWriteRequest
from jupyter_binder_ext.resources.text import describe_resources

__all__ = [
    "capped_problems",
    "check_write_request",
    "describe_resources",
    "etag_of",
    "invalid_input",
    "read_resources",
    "resources_path",
    "running_resources",
    "write_resources",
]

_write_lock = threading.Lock()


def resources_path(site: SiteConfig) -> Path:
    return site.repo_path() / site.resources_filename


def read_resources(
    site: SiteConfig, launch: LaunchInfo, env: Mapping[str, str] | None = None
) -> ResourcesAnswer:
    """The answer of ``GET binder/api/resources``."""
    facts = gather_resources(resources_path(site), launch, os.environ if env is None else env)
    return build_resources(facts, site)


def _clean_etag(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def check_write_request(values: object, text: object) -> ResourcesWriteRequest:
    """Refuse a request no face may pass on (REST, CLI and ``%binder`` alike), before any
    file is read: fields that do not fit :class:`ResourcesWriteRequest` (the one request
    check), or text no UTF-8 file can hold (a lone surrogate, NUL)."""
    request = check_request(ResourcesWriteRequest, {"values": values, "text": text})
    if "text" in request:
        check_text("text", request["text"])
    for key, value in request.get("values", {}).items():
        check_text("a key of values", key)
        if isinstance(value, str):
            check_text(f"values.{key}", value)
    return request


def write_resources(
    site: SiteConfig,
    launch: LaunchInfo,
    values: object = None,
    text: object = None,
    if_match: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ResourcesAnswer:
    """Apply ``values`` to the file (or replace it by ``text``), checked and atomically.

    ``if_match`` is optional: when given (the etag of a read, or ``*`` for "the file must
    exist"), a file changed since then raises :class:`Conflict` and nothing is written.
    Any error-severity problem raises :class:`InvalidInput` with ``problems``; warnings do
    not block. Returns the new state, as :func:`read_resources`.
    """
    request = check_write_request(values, text)
    values, text = request.get("values"), request.get("text")
    if (values is None) == (text is None):
        raise InvalidInput('Send either values (an object such as {"meml": 8}) or text, not both.')
    path = resources_path(site)
    with _write_lock:
        current, failure = read_file(path)
        problem = read_problem(failure, path)
        if problem is not None:
            raise Conflict(problem.message, problems=[problem.to_json()])
        _check_etag(site, current, if_match)
        if values is not None:
            new_text = _merge_values(site, current, values)
        else:
            assert text is not None
            new_text = text
        parsed = parse_resources(new_text, site.resources)
        if parsed.has_errors:
            raise invalid_input(site, parsed.errors)
        new_bytes = new_text.encode("utf-8")
        if new_bytes != current:
            write_atomic(path, new_bytes)
    return read_resources(site, launch, env=env)


def _check_etag(site: SiteConfig, current: bytes | None, if_match: str | None) -> None:
    """Refuse a write based on another version of the file than the one on disk."""
    expected = _clean_etag(if_match)
    actual = etag_of(current)
    if expected is None or expected == actual or (expected == "*" and current is not None):
        return
    raise Conflict(
        f"{site.resources_filename} changed since you loaded it: reload it and apply "
        "your change again.",
        etag=actual,
    )


def _merge_values(site: SiteConfig, current: bytes | None, values: Mapping[str, Any]) -> str:
    clean, problems = normalize_values(values, site.resources)
    if problems:
        raise invalid_input(site, problems)
    try:
        current_text = (current or b"").decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidInput(
            f"{site.resources_filename} is not UTF-8 text, so it cannot be edited value by "
            "value without losing bytes: replace its whole text instead.",
            problems=[],
        ) from err
    return render_resources(current_text, clean)


def invalid_input(site: SiteConfig, problems: list[Problem]) -> InvalidInput:
    first = problems[0]
    where = f"line {first.line}: " if first.line else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return InvalidInput(
        f"{site.resources_filename} was not changed: {where}{first.message}{more}",
        problems=capped_problems(problems),
    )
