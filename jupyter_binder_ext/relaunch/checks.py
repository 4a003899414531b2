"""What a relaunch checks before it touches anything: its texts and the new values.

The request's fields are checked against :class:`.requests.RelaunchRequest` by the one
request check (:func:`.common.requests.check_request`, in ``state.relaunch`` and the
handler); what a type cannot say is checked here, for every face alike: a NUL character or a
lone surrogate would fail only at the commit or the launch, after the file was saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from jupyter_binder_ext.common.text import check_text
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.resources.answers import ResourcesAnswer
from jupyter_binder_ext.resources.file import invalid_input
from jupyter_binder_ext.resources.model import (
    KEYS,
    format_number,
    normalize_values,
    parse_resources,
    render_resources,
)

# A commit message and a path in the new server: generous, but not unbounded.
MAX_MESSAGE_LENGTH = 10_000
MAX_LABPATH_LENGTH = 4096


def check_relaunch_text(
    message: str | None, labpath: str, values: Mapping[str, Any] | None = None
) -> None:
    """The texts of a relaunch, checked before anything is written."""
    if message is not None:
        check_text("message", message, max_length=MAX_MESSAGE_LENGTH)
    check_text("labpath", labpath, max_length=MAX_LABPATH_LENGTH)
    for key, value in (values or {}).items():
        check_text("a key of values", key)
        if isinstance(value, str):
            check_text(f"values.{key}", value)
    if ".." in PurePosixPath(labpath).parts:
        raise InvalidInput(
            "labpath is a path in the new server's files and cannot hold '..'; nothing was "
            "changed.",
            field="labpath",
        )


def check_values(
    site: SiteConfig, current: ResourcesAnswer, values: Mapping[str, Any] | None
) -> None:
    """The new values (or, without any, the file as it is) make a valid file."""
    if values is None:
        errors = [p for p in current["problems"] if p["severity"] == "error"]
        if errors:
            raise InvalidInput(
                f"{site.resources_filename} has problems; fix them before relaunching: "
                + "; ".join(
                    f"line {p['line']}: {p['message']}" if p["line"] else p["message"]
                    for p in errors
                ),
                problems=errors,
            )
        return
    clean, problems = normalize_values(values, site.resources)
    if problems:
        raise invalid_input(site, problems)
    parsed = parse_resources(render_resources(current["text"], clean), site.resources)
    if parsed.has_errors:
        raise invalid_input(site, parsed.errors)


def default_message(values: Mapping[str, Any]) -> str:
    asked = " ".join(f"{k}={format_number(values[k])}" for k in KEYS if k in values)
    return f"Update .resources: {asked}" if asked else "Update .resources: site defaults"
