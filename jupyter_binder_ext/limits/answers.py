"""The answer of ``GET binder/api/limits``: cores and bytes as numbers, each with its source."""

from __future__ import annotations

from typing import TypedDict

from jupyter_binder_ext.common.answers import Warning


class CpuFigures(TypedDict):
    guarantee: float | None
    guarantee_source: str
    limit: float | None
    limit_source: str
    used_cores: float | None
    throttled: bool
    nr_throttled: int | None
    throttled_seconds: float | None
    source: str


class MemoryFigures(TypedDict):
    guarantee: int | None
    guarantee_source: str
    limit: int | None
    limit_source: str
    used: int | None
    working_set: int | None
    # The figure to show as "in use": the working set where the kernel gives one (what the
    # kubelet evicts and the kernel kills by), else the usage.
    in_use: int | None
    oom_kills: int | None
    source: str


class GpuDevice(TypedDict):
    index: int
    name: str | None
    uuid: str | None
    memory_total: int | None
    memory_used: int | None
    utilization: int | None
    mig: bool  # a MIG slice of GPU `index`, with its own memory


class GpuFigures(TypedDict):
    count: int
    devices: list[GpuDevice]
    source: str


class LimitsAnswer(TypedDict):
    cpu: CpuFigures
    memory: MemoryFigures
    gpu: GpuFigures
    warnings: list[Warning]
    notice: str | None
