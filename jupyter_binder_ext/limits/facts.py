"""What one limits answer is made of, as read from the kernel and the spawner's environment.

Limits and usage come from the server's own cgroup (see :mod:`.cgroups`); guarantees, which no
kernel file records, from the spawner's environment (``CPU_GUARANTEE``, ``MEM_GUARANTEE``);
``CPU_LIMIT`` / ``MEM_LIMIT`` stand in when the cgroup sets no limit, and the host's totals when
nothing limits at all. The reads are here; what the figures and warnings say is decided by the
pure builders in :mod:`.builders`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jupyter_binder_ext.limits.answers import GpuFigures
from jupyter_binder_ext.limits.cgroups import CpuReading, MemoryReading

# Where a figure came from, besides a cgroup's own source ("cgroup v1", "cgroup v2").
SPAWNER_ENV = "spawner env"
HOST = "host"
NONE = "none"

# The hub's hook (hub/apply.py) puts a sentence here when `.resources` could not be applied.
NOTICE_ENV = "BINDER_RESOURCES_NOTICE"

_BYTE_SUFFIXES = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_bytes(value: str | None) -> int | None:
    """``"2147483648"``, ``"2G"``, ``"512M"`` → bytes (JupyterHub's suffixes, powers of 1024)."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", value, re.IGNORECASE)
    if not match:
        return None
    return int(float(match.group(1)) * _BYTE_SUFFIXES[match.group(2).upper()])


def parse_cores(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        cores = float(value)
    except ValueError:
        return None
    return cores if cores > 0 else None


# -- the host, when no cgroup tells ---------------------------------------------------------


def host_cpus() -> int:
    """CPUs this process may run on (cpusets and affinity included)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def host_memory(proc_root: Path) -> tuple[int | None, int | None]:
    """(MemTotal, MemAvailable) in bytes from ``/proc/meminfo``."""
    values: dict[str, int] = {}
    try:
        text = (proc_root / "meminfo").read_text()
    except OSError:
        return None, None
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key] = int(parts[0]) * 1024  # meminfo counts in kB
    return values.get("MemTotal"), values.get("MemAvailable")


def host_cpu_seconds(proc_root: Path) -> float | None:
    """Busy CPU time of the whole host so far, from the first line of ``/proc/stat``."""
    try:
        with (proc_root / "stat").open() as file:
            first = file.readline().split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    ticks = [int(v) for v in first[1:]]
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait are busy.
    busy = sum(ticks[:3]) + sum(ticks[5:8])
    return busy / os.sysconf("SC_CLK_TCK")


# -- the facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpawnerFigures:
    """What the spawner put in the environment: guarantees, and limits where no cgroup tells."""

    cpu_guarantee: float | None
    cpu_limit: float | None
    memory_guarantee: int | None
    memory_limit: int | None
    notice: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SpawnerFigures:
        return cls(
            cpu_guarantee=parse_cores(env.get("CPU_GUARANTEE")),
            cpu_limit=parse_cores(env.get("CPU_LIMIT")),
            memory_guarantee=parse_bytes(env.get("MEM_GUARANTEE")),
            memory_limit=parse_bytes(env.get("MEM_LIMIT")),
            notice=env.get(NOTICE_ENV) or None,
        )


@dataclass(frozen=True)
class CpuFacts:
    reading: CpuReading | None  # the cpu controller's files; None without one
    limit_source: str | None  # that controller's source ("cgroup v1"...)
    usage_source: str  # where usage was counted: cpuacct's source, or the host
    used_cores: float | None  # cores busy between two samples; None when not measurable
    throttled_now: bool  # throttled between those two samples
    host_cpus: int


@dataclass(frozen=True)
class MemoryFacts:
    reading: MemoryReading | None  # the memory controller's files; None without one
    source: str | None  # that controller's source
    host_total: int | None  # read only where it is needed (no cgroup, or no limit anywhere)
    host_available: int | None  # read only without a memory cgroup


@dataclass(frozen=True)
class LimitFacts:
    cpu: CpuFacts
    memory: MemoryFacts
    gpu: GpuFigures
    spawner: SpawnerFigures
