"""The `.resources` file on disk: read it with its ETag, write it atomically, describe it.

The model (parse, check, render) is in :mod:`.resources`; this module adds the file system and
the answer of ``GET``/``PUT binder/api/resources`` shared by every face.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_binder_ext.common.answers import Warning
from jupyter_binder_ext.common.files import UnsafeFile, read_bytes, write_atomic
from jupyter_binder_ext.common.text import check_text
from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.errors import Conflict, InvalidInput
from jupyter_binder_ext.resources.model import (
    ABSENT_ETAG,
    KEYS,
    LABELS,
    NOT_GITHUB_WARNING,
    Number,
    Problem,
    Severity,
    defaults_dict,
    format_number,
    maximums_dict,
    normalize_values,
    parse_resources,
    render_resources,
    tidy_number,
)

if TYPE_CHECKING:
    from jupyter_binder_ext.config import SiteConfig
    from jupyter_binder_ext.launch.info import LaunchInfo

# -- the file --------------------------------------------------------------------------------


# The hub reads at most 16 KiB of the file; one this much larger is refused, never read whole.
RESOURCES_MAX_BYTES = 256 * 1024
# Problems listed in one answer; a file (or a request) with more says how many were left out.
MAX_PROBLEMS = 50

_write_lock = threading.Lock()


def etag_of(data: bytes | None) -> str:
    """A strong validator of the file's bytes (a fixed value when there is no file)."""
    return ABSENT_ETAG if data is None else hashlib.sha256(data).hexdigest()


def resources_path(site: SiteConfig) -> Path:
    return site.repo_path() / site.resources_filename


def _read_bytes(path: Path) -> tuple[bytes | None, Problem | None]:
    """The file's bytes (None when absent), or a problem: a link, a hard link, a FIFO, a
    device, a folder or a file far too large is reported and never read (see
    :mod:`..common.files`). A hard link is refused because this text is shown in the panel
    and committed by a relaunch: its other name may be the private key."""
    try:
        data = read_bytes(path, limit=RESOURCES_MAX_BYTES, links="never", hard_links="refuse")
        return data, None
    except UnsafeFile as err:
        return None, Problem(None, None, err.message)
    except IsADirectoryError:
        return None, Problem(None, None, f"{path} is a folder, not a file: rename or remove it.")
    except OSError as err:
        return None, Problem(None, None, f"Cannot read {path}: {err.strerror or err}.")


def running_resources(env: Mapping[str, str]) -> dict[str, Number | None]:
    """What this server runs with, from the spawner's environment (None when unknown)."""

    def number(name: str) -> float | None:
        try:
            value = float(env.get(name, "").strip())
        except ValueError:
            return None
        return value if math.isfinite(value) and value >= 0 else None

    def gigabytes(name: str) -> Number | None:
        value = number(name)
        return None if value is None else tidy_number(round(value / GB, 2))

    def cores(name: str) -> Number | None:
        value = number(name)
        return None if value is None else tidy_number(round(value, 3))

    return {
        "gpu": _gpu_count(env),
        "cpur": cores("CPU_GUARANTEE"),
        "cpul": cores("CPU_LIMIT"),
        "memr": gigabytes("MEM_GUARANTEE"),
        "meml": gigabytes("MEM_LIMIT"),
    }


def _gpu_count(env: Mapping[str, str]) -> int | None:
    # The NVIDIA container runtime's variable: device indexes or UUIDs, or none/void.
    value = env.get("NVIDIA_VISIBLE_DEVICES")
    if value is None:
        return None
    value = value.strip()
    if value in ("", "none", "void", "NoDevFiles"):
        return 0
    if value == "all":
        return None
    return len([part for part in value.split(",") if part.strip()])


def _warnings(site: SiteConfig, launch: LaunchInfo) -> list[Warning]:
    warnings: list[Warning] = []
    if launch.repo_url and not launch.is_github:
        warnings.append({"kind": "not_github", "level": "warning", "message": NOT_GITHUB_WARNING})
    elif not launch.under_binder:
        warnings.append(
            {
                "kind": "not_binder",
                "level": "info",
                "message": "This server was not launched from a BinderHub: .resources takes "
                "effect when the repository is launched through one.",
            }
        )
    return warnings


def read_resources(
    site: SiteConfig, launch: LaunchInfo, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The answer of ``GET binder/api/resources``."""
    path = resources_path(site)
    data, read_problem = _read_bytes(path)
    text, decode_problem = _decode(data)
    parsed = parse_resources(text, site.resources)
    problems = [p for p in (read_problem, decode_problem) if p] + parsed.problems
    return {
        "path": str(path),
        "filename": site.resources_filename,
        # A link or a FIFO named .resources exists, even though it is never read.
        "exists": data is not None or os.path.lexists(path),
        "text": text,
        "values": parsed.values,
        "effective": parsed.effective,
        "defaults": defaults_dict(site.resources),
        "maximums": maximums_dict(site.resources),
        # The same ceilings under the name the sidebar reads: it refuses values above them.
        "ceilings": maximums_dict(site.resources),
        "running": running_resources(os.environ if env is None else env),
        "problems": capped_problems(problems),
        "has_errors": any(p.severity == "error" for p in problems),
        "is_github": launch.is_github,
        "warnings": _warnings(site, launch),
        "etag": etag_of(data),
    }


def _decode(data: bytes | None) -> tuple[str, Problem | None]:
    if data is None:
        return "", None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return data.decode("utf-8", errors="replace"), Problem(
            None,
            None,
            f"The file is not UTF-8 text (byte {err.start}); save it as plain UTF-8 text.",
        )


def _clean_etag(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def check_write_request(values: object, text: object) -> None:
    """Refuse a request no face may pass on (REST, CLI and ``%binder`` alike), before any
    file is read: the wrong types, or text no UTF-8 file can hold (a lone surrogate, NUL)."""
    if values is not None and not isinstance(values, Mapping):
        raise InvalidInput('values must be an object, such as {"meml": 8}.')
    if text is not None and not isinstance(text, str):
        raise InvalidInput("text must be a string: the whole content of the file.")
    if text is not None:
        check_text("text", text)
    for key, value in (values or {}).items():
        if isinstance(key, str):  # other keys are unknown keys, named by normalize_values
            check_text("a key of values", key)
        if isinstance(value, str):
            check_text(f"values.{key}", value)


def write_resources(
    site: SiteConfig,
    launch: LaunchInfo,
    values: Mapping[str, Any] | None = None,
    text: str | None = None,
    if_match: str | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Apply ``values`` to the file (or replace it by ``text``), checked and atomically.

    ``if_match`` is optional: when given (the etag of a read, or ``*`` for "the file must
    exist"), a file changed since then raises :class:`Conflict` and nothing is written.
    Any error-severity problem raises :class:`InvalidInput` with ``problems``; warnings do
    not block. Returns the new state, as :func:`read_resources`.
    """
    check_write_request(values, text)
    if (values is None) == (text is None):
        raise InvalidInput('Send either values (an object such as {"meml": 8}) or text, not both.')
    path = resources_path(site)
    with _write_lock:
        current, read_problem = _read_bytes(path)
        if read_problem is not None:
            raise Conflict(read_problem.message, problems=[read_problem.to_json()])
        expected = _clean_etag(if_match)
        actual = etag_of(current)
        if expected is not None and not (
            expected == actual or (expected == "*" and current is not None)
        ):
            raise Conflict(
                f"{site.resources_filename} changed since you loaded it: reload it and apply "
                "your change again.",
                etag=actual,
            )
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


def capped_problems(problems: list[Problem]) -> list[dict[str, Any]]:
    """At most :data:`MAX_PROBLEMS` problems, the last saying how many more there were."""
    if len(problems) <= MAX_PROBLEMS:
        return [p.to_json() for p in problems]
    shown = [p.to_json() for p in problems[: MAX_PROBLEMS - 1]]
    left = len(problems) - len(shown)
    severity: Severity = (
        "error" if any(p.severity == "error" for p in problems[len(shown) :]) else "warning"
    )
    shown.append(
        Problem(None, None, f"... and {left} more problems, not listed.", severity).to_json()
    )
    return shown


# -- text for the magics and the CLI ---------------------------------------------------------


def describe_resources(data: Mapping[str, Any]) -> str:
    """Readable text: the file's values, the effective ones and what runs now; problems."""
    values = data.get("values", {})
    effective = data.get("effective", {})
    running = data.get("running", {})

    def cell(value: Any) -> str:
        return "-" if value is None else format_number(value)

    state = "" if data.get("exists") else " (no file: the site defaults apply)"
    lines = [f"{data.get('path', '.resources')}{state}", ""]
    lines.append(f"{'':28}{'file':>6}{'effective':>11}{'running':>9}")
    for key in KEYS:
        label = f"{LABELS[key]} [{key}]"
        lines.append(
            f"{label:28}{cell(values.get(key)):>6}{cell(effective.get(key)):>11}"
            f"{cell(running.get(key)):>9}"
        )
    problems = data.get("problems", [])
    if problems:
        lines.append("")
        lines.append("Problems:")
        for problem in problems:
            where = f"line {problem['line']}" if problem.get("line") else "file"
            lines.append(f"  {where} ({problem.get('severity', 'error')}): {problem['message']}")
    for warning in data.get("warnings", []):
        lines.append(f"Note: {warning['message']}")
    return "\n".join(lines)
