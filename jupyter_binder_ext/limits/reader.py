"""The stateful side of ``GET binder/api/limits``: finds the cgroup, samples CPU time between
calls, and gathers one :class:`~.facts.LimitFacts` per answer; :func:`~.builders.build_limits`
turns it into the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.limits.answers import LimitsAnswer
from jupyter_binder_ext.limits.builders import build_limits
from jupyter_binder_ext.limits.cgroups import (
    NO_CGROUP,
    CgroupLayout,
    find_cgroup_layout,
    read_cpu,
    read_cpu_seconds,
    read_keyed,
    read_memory,
)
from jupyter_binder_ext.limits.facts import (
    HOST,
    CpuFacts,
    LimitFacts,
    MemoryFacts,
    SpawnerFigures,
    host_cpu_seconds,
    host_cpus,
    host_memory,
    parse_bytes,
)
from jupyter_binder_ext.limits.gpu import GpuReader
from jupyter_binder_ext.limits.kernel_files import KERNEL_FILES

# Two CPU samples closer than this give a noisy rate: the last rate is reused instead, so any
# number of polling tabs cost the same and see the same figure.
MIN_SAMPLE_INTERVAL = 0.1


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
    """What one answer read from the kernel's files, in one thread hop."""

    layout: CgroupLayout
    sample: _CpuSample
    cpu: CpuFacts  # with the rate still to be measured
    memory: MemoryFacts


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
        key = KERNEL_FILES.read(self._proc / "self" / "cgroup") or ""
        if self._layout is None or key != self._layout_key:
            self._layout = (
                find_cgroup_layout(self._proc, self.site.cgroup_root) if key else NO_CGROUP
            )
            self._layout_key = key
        return self._layout

    async def read(self) -> LimitsAnswer:
        return build_limits(await self.gather())

    async def gather(self) -> LimitFacts:
        # Off the event loop, in one thread hop: pseudo-files usually answer from memory,
        # but a cgroup's memory.stat can take milliseconds on a busy node.
        files = await asyncio.to_thread(self.gather_files)
        rate = await self._cpu_rate(files.layout, files.sample)
        cpu = replace(files.cpu, used_cores=rate.cores, throttled_now=rate.throttled)
        gpu = await asyncio.to_thread(self.gpu.read) if self.gpu.needs_io else self.gpu.read()
        return LimitFacts(cpu, files.memory, gpu, SpawnerFigures.from_env(self.env))

    def gather_files(self) -> _Files:
        """Every cgroup and /proc file one answer needs (in a thread)."""
        layout = self.layout()
        sample = self._sample(layout)
        cpu = CpuFacts(
            reading=read_cpu(layout.cpu) if layout.cpu is not None else None,
            limit_source=layout.cpu.source if layout.cpu is not None else None,
            usage_source=layout.cpuacct.source if layout.cpuacct is not None else HOST,
            used_cores=None,
            throttled_now=False,
            host_cpus=host_cpus(),
        )
        return _Files(layout, sample, cpu, self._memory(layout))

    # -- CPU --------------------------------------------------------------------------------
    def _sample(self, layout: CgroupLayout) -> _CpuSample:
        nr_throttled = None
        if layout.cpu is not None:
            nr_throttled = read_keyed(f"{layout.cpu.folder}/cpu.stat").get("nr_throttled")
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

    # -- memory -----------------------------------------------------------------------------
    def _memory(self, layout: CgroupLayout) -> MemoryFacts:
        if layout.memory is None:
            total, available = host_memory(self._proc)
            return MemoryFacts(None, None, total, available)
        reading = read_memory(layout.memory)
        host_total = None
        if reading.limit is None and parse_bytes(self.env.get("MEM_LIMIT")) is None:
            # The host's RAM does not change while the server runs: read /proc/meminfo once.
            if self._host_memory_total is None:
                self._host_memory_total, _ = host_memory(self._proc)
            host_total = self._host_memory_total
        return MemoryFacts(reading, layout.memory.source, host_total, None)
