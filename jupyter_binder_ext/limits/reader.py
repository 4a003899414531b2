"""CPU, memory and GPU guarantees, limits and live usage, read from where they are enforced.

Limits and usage come from the server's own cgroup (see :mod:`.cgroups`); guarantees, which no
kernel file records, from the spawner's environment (``CPU_GUARANTEE``, ``MEM_GUARANTEE``);
``CPU_LIMIT`` / ``MEM_LIMIT`` stand in when the cgroup sets no limit, and the host's totals when
nothing limits at all. Every figure says where it came from. Warnings are computed here, so
every face (sidebar, magics, CLI) only shows them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.answers import Warning
from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.limits.cgroups import (
    NO_CGROUP,
    CgroupLayout,
    CpuReading,
    find_cgroup_layout,
    read_cpu,
    read_cpu_seconds,
    read_keyed,
    read_memory,
)
from jupyter_binder_ext.limits.gpu import GpuReader

SPAWNER_ENV = "spawner env"
HOST = "host"
NONE = "none"

# Two CPU samples closer than this give a noisy rate: the last rate is reused instead, so any
# number of polling tabs cost the same and see the same figure.
MIN_SAMPLE_INTERVAL = 0.1
# Working set above this fraction of the limit earns a warning (the kernel kills at 100%).
MEMORY_WARNING_FRACTION = 0.9
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


# -- the reader -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _CpuSample:
    key: str  # which counter (a cgroup directory, or "host"): a change means start over
    at: float
    seconds: float | None
    nr_throttled: int | None


@dataclass(frozen=True)
class _CpuRate:
    key: str
    cores: float | None
    throttled: bool


@dataclass(frozen=True)
class _Files:
    """What one answer read from the kernel's files."""

    layout: CgroupLayout
    sample: _CpuSample
    cpu: CpuReading | None
    memory: dict[str, Any]


class LimitsReader:
    """Reads the limits on every call; keeps the previous CPU sample for the usage rate.

    ``gpu`` and ``clock`` are seams for tests (a GPU reader with a stand-in NVML, a clock
    they move by hand).
    """

    def __init__(
        self,
        site: SiteConfig,
        env: Mapping[str, str],
        log: logging.Logger | Any = None,
        gpu: GpuReader | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.site = site
        self.env = env
        self.log = log or logging.getLogger("jupyter_binder_ext")
        self.gpu = gpu or GpuReader(env, self.log)
        self._clock = clock
        self._proc = Path(site.proc_root)
        self._layout: CgroupLayout | None = None
        self._layout_key: str | None = None
        self._baseline: _CpuSample | None = None
        self._rate: _CpuRate | None = None
        self._host_memory_total: int | None = None

    # The cgroup is looked up again only when /proc/self/cgroup changes (a process moved).
    def layout(self) -> CgroupLayout:
        try:
            key = (self._proc / "self" / "cgroup").read_text()
        except OSError:
            key = ""
        if self._layout is None or key != self._layout_key:
            self._layout = (
                find_cgroup_layout(self._proc, self.site.cgroup_root) if key else NO_CGROUP
            )
            self._layout_key = key
        return self._layout

    def _read_files(self) -> _Files:
        """Every cgroup and /proc file one answer needs, read in one go (in a thread)."""
        layout = self.layout()
        sample = self._sample(layout)
        cpu = read_cpu(layout.cpu) if layout.cpu is not None else None
        return _Files(layout, sample, cpu, self._memory(layout))

    async def read(self) -> dict[str, Any]:
        # Off the event loop, in one thread hop: pseudo-files usually answer from memory,
        # but a cgroup's memory.stat can take milliseconds on a busy node.
        files = await asyncio.to_thread(self._read_files)
        cpu = await self._cpu(files)
        memory = files.memory
        if self.gpu.needs_io:
            gpu = await asyncio.to_thread(self.gpu.read)
        else:
            gpu = self.gpu.read()
        return {
            "cpu": cpu,
            "memory": memory,
            "gpu": gpu,
            "warnings": limit_warnings(cpu, memory),
            "notice": self.env.get(NOTICE_ENV) or None,
        }

    # -- CPU --------------------------------------------------------------------------------
    def _sample(self, layout: CgroupLayout) -> _CpuSample:
        nr_throttled = None
        if layout.cpu is not None:
            nr_throttled = read_keyed(layout.cpu.directory / "cpu.stat").get("nr_throttled")
        if layout.cpuacct is not None:
            key = str(layout.cpuacct.directory)
            seconds = read_cpu_seconds(layout.cpuacct)
        else:
            key, seconds = HOST, host_cpu_seconds(self._proc)
        return _CpuSample(key, self._clock(), seconds, nr_throttled)

    async def _cpu_rate(self, layout: CgroupLayout, now: _CpuSample) -> _CpuRate:
        base = self._baseline
        if base is None or base.key != now.key:
            base = self._baseline = now
        if now.at - base.at < MIN_SAMPLE_INTERVAL:
            if self._rate is not None and self._rate.key == now.key:
                return self._rate
            # First read: wait for a second sample without blocking the event loop.
            await asyncio.sleep(MIN_SAMPLE_INTERVAL - (now.at - base.at))
            now = await asyncio.to_thread(self._sample, layout)
        elapsed = now.at - base.at
        cores = None
        if base.seconds is not None and now.seconds is not None and elapsed > 0:
            cores = max(now.seconds - base.seconds, 0.0) / elapsed
        throttled = (
            base.nr_throttled is not None
            and now.nr_throttled is not None
            and now.nr_throttled > base.nr_throttled
        )
        rate = _CpuRate(now.key, cores, throttled)
        if self._baseline is None or now.at >= self._baseline.at:
            self._baseline, self._rate = now, rate
        return rate

    async def _cpu(self, files: _Files) -> dict[str, Any]:
        layout, reading = files.layout, files.cpu
        rate = await self._cpu_rate(layout, files.sample)
        guarantee = parse_cores(self.env.get("CPU_GUARANTEE"))
        if layout.cpu is not None and reading is not None and reading.limit_cores is not None:
            limit, limit_source = reading.limit_cores, layout.cpu.source
        elif (env_limit := parse_cores(self.env.get("CPU_LIMIT"))) is not None:
            limit, limit_source = env_limit, SPAWNER_ENV
        else:
            limit, limit_source = float(host_cpus()), HOST
        usage_source = layout.cpuacct.source if layout.cpuacct is not None else HOST
        if rate.cores is None:
            usage_source = NONE
        throttled_seconds = reading.throttled_seconds if reading is not None else None
        return {
            "guarantee": guarantee,
            "guarantee_source": SPAWNER_ENV if guarantee is not None else NONE,
            "limit": limit,
            "limit_source": limit_source,
            "used_cores": round(rate.cores, 3) if rate.cores is not None else None,
            "throttled": rate.throttled,
            "nr_throttled": reading.nr_throttled if reading is not None else None,
            "throttled_seconds": (
                round(throttled_seconds, 3) if throttled_seconds is not None else None
            ),
            "source": usage_source,
        }

    # -- memory -----------------------------------------------------------------------------
    def _host_total(self) -> int | None:
        # The host's RAM does not change while the server runs: read /proc/meminfo once.
        if self._host_memory_total is None:
            self._host_memory_total, _ = host_memory(self._proc)
        return self._host_memory_total

    def _memory(self, layout: CgroupLayout) -> dict[str, Any]:
        guarantee = parse_bytes(self.env.get("MEM_GUARANTEE"))
        host_total: int | None = None
        if layout.memory is not None:
            reading = read_memory(layout.memory)
            limit, used, working_set = reading.limit, reading.usage, reading.working_set
            oom_kills, source = reading.oom_kills, layout.memory.source
            limit_source = source if limit is not None else NONE
        else:
            host_total, available = host_memory(self._proc)
            used = host_total - available if host_total and available is not None else None
            limit, limit_source = None, NONE
            working_set, oom_kills = used, None
            source = HOST if used is not None else NONE
        if limit is None and (env_limit := parse_bytes(self.env.get("MEM_LIMIT"))) is not None:
            limit, limit_source = env_limit, SPAWNER_ENV
        if limit is None:
            if host_total is None:
                host_total = self._host_total()
            limit, limit_source = host_total, HOST if host_total is not None else NONE
        return {
            "guarantee": guarantee,
            "guarantee_source": SPAWNER_ENV if guarantee is not None else NONE,
            "limit": limit,
            "limit_source": limit_source,
            "used": used,
            "working_set": working_set,
            "oom_kills": oom_kills,
            "source": source,
        }


# -- warnings and text ----------------------------------------------------------------------


def _gb(value: float) -> str:
    return f"{value / GB:.2f} GB"


def _cores(value: float) -> str:
    return f"{value:g} core" + ("" if value == 1 else "s")


def limit_warnings(cpu: Mapping[str, Any], memory: Mapping[str, Any]) -> list[Warning]:
    """What the user should know about, each with the way out (a change to `.resources`).

    Each names its ``level`` and the ``figure`` it concerns (``cpu`` or ``memory``), so the
    faces colour the right bar without reading the message.
    """
    warnings: list[Warning] = []
    limit = cpu.get("limit")
    limit_text = f" of {_cores(limit)}" if limit else ""
    if cpu.get("throttled"):
        warnings.append(
            {
                "kind": "cpu_throttled",
                "level": "warning",
                "figure": "cpu",
                "message": (
                    f"CPU is being throttled: this server hit its limit{limit_text} since the "
                    "last check. To get more, raise cpul= in .resources and relaunch."
                ),
            }
        )
    elif cpu.get("nr_throttled"):
        seconds = cpu.get("throttled_seconds") or 0.0
        warnings.append(
            {
                "kind": "cpu_throttled_earlier",
                "level": "info",
                "figure": "cpu",
                "message": (
                    f"CPU was throttled {cpu['nr_throttled']} times ({seconds:.1f} s in total) "
                    f"at its limit{limit_text}. If that slows your work, raise cpul= in "
                    ".resources and relaunch."
                ),
            }
        )
    oom_kills = memory.get("oom_kills")
    mem_limit = memory.get("limit")
    mem_limit_text = f" (limit {_gb(mem_limit)})" if mem_limit else ""
    if oom_kills:
        warnings.append(
            {
                "kind": "oom_kill",
                "level": "warning",
                "figure": "memory",
                "message": (
                    f"{oom_kills} process{'es were' if oom_kills != 1 else ' was'} killed for "
                    f"running out of memory{mem_limit_text}. Raise meml= in .resources and "
                    "relaunch."
                ),
            }
        )
    working_set = memory.get("working_set")
    enforced = memory.get("limit_source") not in (HOST, NONE)
    if (
        enforced
        and mem_limit
        and working_set is not None
        and working_set > MEMORY_WARNING_FRACTION * mem_limit
    ):
        warnings.append(
            {
                "kind": "memory_near_limit",
                "level": "warning",
                "figure": "memory",
                "message": (
                    f"Memory in use ({_gb(working_set)}) is {working_set / mem_limit:.0%} of the "
                    f"{_gb(mem_limit)} limit; past it the kernel kills processes. Free memory, "
                    "or raise meml= in .resources and relaunch."
                ),
            }
        )
    return warnings


def _row(label: str, value: str, source: str | None = None) -> str:
    line = f"  {label:<12}{value}"
    return f"{line:<46}({source})" if source else line


def describe_limits(data: Mapping[str, Any]) -> str:
    """Readable text for ``%binder limits`` and ``jupyter binder limits``."""
    cpu, memory, gpu = data.get("cpu", {}), data.get("memory", {}), data.get("gpu", {})

    def cores(value: Any) -> str:
        return _cores(value) if value is not None else "unknown"

    def size(value: Any) -> str:
        return _gb(value) if value is not None else "unknown"

    used = cpu.get("used_cores")
    lines = [
        "CPU",
        _row("in use", f"{used:.2f} cores" if used is not None else "unknown", cpu.get("source")),
        _row("guaranteed", cores(cpu.get("guarantee")), cpu.get("guarantee_source")),
        _row("limit", cores(cpu.get("limit")), cpu.get("limit_source")),
    ]
    if cpu.get("nr_throttled") is not None:
        seconds = cpu.get("throttled_seconds") or 0.0
        now = ", throttled now" if cpu.get("throttled") else ""
        lines.append(_row("throttled", f"{cpu['nr_throttled']} times, {seconds:.1f} s{now}"))
    in_use = size(memory.get("used"))
    if memory.get("working_set") is not None:
        in_use += f", working set {_gb(memory['working_set'])}"
    lines += [
        "Memory",
        _row("in use", in_use, memory.get("source")),
        _row("guaranteed", size(memory.get("guarantee")), memory.get("guarantee_source")),
        _row("limit", size(memory.get("limit")), memory.get("limit_source")),
    ]
    if memory.get("oom_kills") is not None:
        lines.append(_row("OOM kills", str(memory["oom_kills"])))
    lines.append(f"GPU ({gpu.get('source', NONE)})")
    devices = gpu.get("devices") or []
    if not devices:
        lines.append("  no GPU")
    for device in devices:
        parts = [f"{device.get('index')}: {device.get('name') or 'unknown model'}"]
        if device.get("memory_total") is not None:
            parts.append(
                f"memory {size(device.get('memory_used'))} of {_gb(device['memory_total'])}"
            )
        if device.get("utilization") is not None:
            parts.append(f"{device['utilization']}% busy")
        lines.append("  " + ", ".join(parts))
    for warning in data.get("warnings") or []:
        lines.append(f"! {warning['message']}")
    if data.get("notice"):
        lines.append(f"Notice: {data['notice']}")
    return "\n".join(lines)
