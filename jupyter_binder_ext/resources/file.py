"""The `.resources` file on disk: read it with its ETag, write it atomically, describe it.

The model (parse, check, render) is in :mod:`.resources`; this module adds the file system and
the answer of ``GET``/``PUT binder/api/resources`` shared by every face.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import math
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.errors import BinderError, Conflict, Forbidden, InvalidInput
from jupyter_binder_ext.resources.model import (
    ABSENT_ETAG,
    KEYS,
    LABELS,
    NOT_GITHUB_WARNING,
    Number,
    Problem,
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


class WriteFailed(BinderError):
    """The file system refused the write (other than permissions); the file is unchanged."""

    status = 500
    code = "write_failed"


_write_lock = threading.Lock()


def etag_of(data: bytes | None) -> str:
    """A strong validator of the file's bytes (a fixed value when there is no file)."""
    return ABSENT_ETAG if data is None else hashlib.sha256(data).hexdigest()


def resources_path(site: SiteConfig) -> Path:
    return site.repo_path() / site.resources_filename


def _read_bytes(path: Path) -> tuple[bytes | None, Problem | None]:
    try:
        return path.read_bytes(), None
    except FileNotFoundError:
        return None, None
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


def _warnings(site: SiteConfig, launch: LaunchInfo) -> list[str]:
    warnings: list[str] = []
    if launch.repo_url and not launch.is_github:
        warnings.append(NOT_GITHUB_WARNING)
    elif not launch.under_binder:
        warnings.append(
            "This server was not launched from a BinderHub: .resources takes effect when the "
            "repository is launched through one."
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
        "exists": data is not None,
        "text": text,
        "values": parsed.values,
        "effective": parsed.effective,
        "defaults": defaults_dict(site.resources),
        "maximums": maximums_dict(site.resources),
        "running": running_resources(os.environ if env is None else env),
        "problems": [p.to_json() for p in problems],
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
    if (values is None) == (text is None):
        raise InvalidInput('Send either values (an object such as {"meml": 8}) or text, not both.')
    if text is not None and not isinstance(text, str):
        raise InvalidInput("text must be a string: the whole content of the file.")
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
            _atomic_write(path, new_bytes)
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
        problems=[p.to_json() for p in problems],
    )


def _atomic_write(path: Path, data: bytes) -> None:
    """Write beside the file, fsync, rename over it: readers see the old or the new bytes."""
    target = Path(os.path.realpath(path))
    folder = target.parent
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _default_file_mode()
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp_name).chmod(mode)
        Path(tmp_name).replace(target)
        tmp_name = None
        _fsync_dir(folder)
    except OSError as err:
        reason = err.strerror or str(err)
        if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise Forbidden(
                f"Cannot write {path}: {reason}. The folder is read-only for this server; "
                "the file was not changed.",
                path=str(path),
            ) from err
        raise WriteFailed(
            f"Cannot write {path}: {reason}. The file was not changed.", path=str(path)
        ) from err
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                Path(tmp_name).unlink()


def _default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is still atomic
    finally:
        os.close(fd)


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
        lines.append(f"Note: {warning}")
    return "\n".join(lines)
