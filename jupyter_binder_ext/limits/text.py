"""``%binder limits`` and ``jupyter binder limits``: the limits answer as text."""

from __future__ import annotations

from jupyter_binder_ext.common.readable import gib
from jupyter_binder_ext.limits.answers import CpuFigures, GpuFigures, LimitsAnswer, MemoryFigures
from jupyter_binder_ext.limits.builders import cores


def _row(label: str, value: str, source: str | None = None) -> str:
    line = f"  {label:<12}{value}"
    return f"{line:<46}({source})" if source else line


def _cores_or_unknown(value: float | None) -> str:
    return cores(value) if value is not None else "unknown"


def describe_limits(answer: LimitsAnswer) -> str:
    lines = [*_cpu_lines(answer["cpu"]), *_memory_lines(answer["memory"])]
    lines += _gpu_lines(answer["gpu"])
    lines += [f"! {warning['message']}" for warning in answer["warnings"]]
    if answer["notice"]:
        lines.append(f"Notice: {answer['notice']}")
    return "\n".join(lines)


def _cpu_lines(cpu: CpuFigures) -> list[str]:
    used = cpu["used_cores"]
    lines = [
        "CPU",
        _row("in use", f"{used:.2f} cores" if used is not None else "unknown", cpu["source"]),
        _row("guaranteed", _cores_or_unknown(cpu["guarantee"]), cpu["guarantee_source"]),
        _row("limit", _cores_or_unknown(cpu["limit"]), cpu["limit_source"]),
    ]
    if cpu["nr_throttled"] is not None:
        seconds = cpu["throttled_seconds"] or 0.0
        now = ", throttled now" if cpu["throttled"] else ""
        lines.append(_row("throttled", f"{cpu['nr_throttled']} times, {seconds:.1f} s{now}"))
    return lines


def _memory_lines(memory: MemoryFigures) -> list[str]:
    in_use = gib(memory["used"])
    if memory["working_set"] is not None:
        in_use += f", working set {gib(memory['working_set'])}"
    lines = [
        "Memory",
        _row("in use", in_use, memory["source"]),
        _row("guaranteed", gib(memory["guarantee"]), memory["guarantee_source"]),
        _row("limit", gib(memory["limit"]), memory["limit_source"]),
    ]
    if memory["oom_kills"] is not None:
        lines.append(_row("OOM kills", str(memory["oom_kills"])))
    return lines


def _gpu_lines(gpu: GpuFigures) -> list[str]:
    lines = [f"GPU ({gpu['source']})"]
    if not gpu["devices"]:
        lines.append("  no GPU")
    for device in gpu["devices"]:
        parts = [f"{device['index']}: {device['name'] or 'unknown model'}"]
        if device["memory_total"] is not None:
            parts.append(f"memory {gib(device['memory_used'])} of {gib(device['memory_total'])}")
        if device["utilization"] is not None:
            parts.append(f"{device['utilization']}% busy")
        lines.append("  " + ", ".join(parts))
    return lines
