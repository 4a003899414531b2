"""The answer of ``GET`` / ``PUT binder/api/resources`` from its facts: pure, no I/O.

The file's bytes are decoded, parsed and checked (:mod:`.model`), and every sentence of the
answer (a file that could not be read, one that is not UTF-8, the launch's warnings) is
made here; tests build it from hand-made :class:`.facts.ResourcesFacts`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from pathlib import Path

from jupyter_binder_ext.common.answers import Warning, warning
from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.config import ResourceDefaults, SiteConfig
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.resources.answers import (
    ResourceCeilings,
    ResourcesAnswer,
    ResourceSet,
    ResourcesProblem,
    ResourceValues,
    RunningResources,
)
from jupyter_binder_ext.resources.facts import GPU_VARIABLE, ReadFailure, ResourcesFacts
from jupyter_binder_ext.resources.model import (
    ABSENT_ETAG,
    NOT_GITHUB_WARNING,
    Number,
    Problem,
    Severity,
    defaults_dict,
    maximums_dict,
    parse_resources,
    tidy_number,
)

# Problems listed in one answer; a file (or a request) with more says how many were left out.
MAX_PROBLEMS = 50

NOT_BINDER_INFO = (
    "This server was not launched from a BinderHub: .resources takes effect when the "
    "repository is launched through one."
)


def build_resources(facts: ResourcesFacts, site: SiteConfig) -> ResourcesAnswer:
    text, decode_problem = decode(facts.file.data)
    parsed = parse_resources(text, site.resources)
    read_failure = read_problem(facts.file.failure, facts.file.path)
    problems = [p for p in (read_failure, decode_problem) if p] + parsed.problems
    return {
        "path": str(facts.file.path),
        "filename": site.resources_filename,
        "exists": facts.file.exists,
        "text": text,
        "values": resource_values(parsed.values),
        "effective": resource_set(parsed.effective),
        "defaults": resource_set(defaults_dict(site.resources)),
        "maximums": ceilings(site.resources),
        # The same ceilings under the name the sidebar reads: it refuses values above them.
        "ceilings": ceilings(site.resources),
        "running": running_resources(facts.spawner_env),
        "problems": capped_problems(problems),
        "has_errors": any(p.severity == "error" for p in problems),
        "is_github": facts.launch.is_github,
        "warnings": launch_warnings(facts.launch),
        "etag": etag_of(facts.file.data),
    }


def etag_of(data: bytes | None) -> str:
    """A strong validator of the file's bytes (a fixed value when there is no file)."""
    return ABSENT_ETAG if data is None else hashlib.sha256(data).hexdigest()


def read_problem(failure: ReadFailure | None, path: Path) -> Problem | None:
    """Why the file was not read, as the user fixes it (None when it was, or is absent)."""
    if failure is None:
        return None
    if failure.kind == "unsafe":
        return Problem(None, None, failure.detail)
    if failure.kind == "folder":
        return Problem(None, None, f"{path} is a folder, not a file: rename or remove it.")
    return Problem(None, None, f"Cannot read {path}: {failure.detail}.")


def decode(data: bytes | None) -> tuple[str, Problem | None]:
    """The file's text; bytes that are not UTF-8 are replaced, and said so."""
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


def launch_warnings(launch: LaunchInfo) -> list[Warning]:
    if launch.repo_url and not launch.is_github:
        return [warning("not_github", "warning", NOT_GITHUB_WARNING)]
    if not launch.under_binder:
        return [warning("not_binder", "info", NOT_BINDER_INFO)]
    return []


def capped_problems(problems: list[Problem]) -> list[ResourcesProblem]:
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


# -- the values, typed -------------------------------------------------------------------------


def resource_values(values: Mapping[str, Number]) -> ResourceValues:
    """The keys a file sets, in the file's order (the parser reads gpu, memr and meml as
    whole numbers)."""
    typed: ResourceValues = {}
    for key, value in values.items():
        if key == "gpu":
            typed["gpu"] = int(value)
        elif key == "cpur":
            typed["cpur"] = value
        elif key == "cpul":
            typed["cpul"] = value
        elif key == "memr":
            typed["memr"] = int(value)
        elif key == "meml":
            typed["meml"] = int(value)
    return typed


def resource_set(values: Mapping[str, Number]) -> ResourceSet:
    """All five keys (the site's defaults overlaid with the file's values)."""
    return {
        "gpu": int(values["gpu"]),
        "cpur": values["cpur"],
        "cpul": values["cpul"],
        "memr": int(values["memr"]),
        "meml": int(values["meml"]),
    }


def ceilings(defaults: ResourceDefaults) -> ResourceCeilings:
    maximums = maximums_dict(defaults)
    gpu, meml = maximums["gpu"], maximums["meml"]
    return {
        "gpu": None if gpu is None else int(gpu),
        "cpul": maximums["cpul"],
        "meml": None if meml is None else int(meml),
    }


def running_resources(env: Mapping[str, str]) -> RunningResources:
    """What this server runs with, from the spawner's environment (None when unknown)."""
    return {
        "gpu": gpu_count(env.get(GPU_VARIABLE)),
        "cpur": _cores(env.get("CPU_GUARANTEE")),
        "cpul": _cores(env.get("CPU_LIMIT")),
        "memr": _gigabytes(env.get("MEM_GUARANTEE")),
        "meml": _gigabytes(env.get("MEM_LIMIT")),
    }


def _number(text: str | None) -> float | None:
    try:
        value = float((text or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _cores(text: str | None) -> Number | None:
    value = _number(text)
    return None if value is None else tidy_number(round(value, 3))


def _gigabytes(text: str | None) -> Number | None:
    value = _number(text)
    return None if value is None else tidy_number(round(value / GB, 2))


def gpu_count(devices: str | None) -> int | None:
    """GPUs in ``NVIDIA_VISIBLE_DEVICES`` (indexes or UUIDs, or none/void); None: unknown."""
    if devices is None:
        return None
    value = devices.strip()
    if value in ("", "none", "void", "NoDevFiles"):
        return 0
    if value == "all":
        return None
    return len([part for part in value.split(",") if part.strip()])
