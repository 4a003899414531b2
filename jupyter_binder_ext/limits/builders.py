"""The limits answer from its facts: pure, no I/O (kubespawner's ``objects.py`` style).

Every figure says where it came from. Warnings are decided here, so every face (sidebar,
magics, CLI) only shows them; so is the memory figure to show (the working set where the
kernel reports one: the figure the kubelet evicts and the kernel kills by).
"""

from __future__ import annotations

from jupyter_binder_ext.common.answers import Warning
from jupyter_binder_ext.common.readable import gib
from jupyter_binder_ext.limits.answers import CpuFigures, LimitsAnswer, MemoryFigures
from jupyter_binder_ext.limits.facts import (
    HOST,
    NONE,
    SPAWNER_ENV,
    CpuFacts,
    LimitFacts,
    MemoryFacts,
    SpawnerFigures,
)

# Working set above this fraction of the limit earns a warning (the kernel kills at 100%).
MEMORY_WARNING_FRACTION = 0.9


def cores(value: float) -> str:
    return f"{value:g} core" + ("" if value == 1 else "s")


def build_limits(facts: LimitFacts) -> LimitsAnswer:
    cpu = build_cpu(facts.cpu, facts.spawner)
    memory = build_memory(facts.memory, facts.spawner)
    return {
        "cpu": cpu,
        "memory": memory,
        "gpu": facts.gpu,
        "warnings": limit_warnings(cpu, memory),
        "notice": facts.spawner.notice,
    }


def build_cpu(facts: CpuFacts, spawner: SpawnerFigures) -> CpuFigures:
    reading = facts.reading
    if facts.limit_source is not None and reading is not None and reading.limit_cores is not None:
        limit, limit_source = reading.limit_cores, facts.limit_source
    elif spawner.cpu_limit is not None:
        limit, limit_source = spawner.cpu_limit, SPAWNER_ENV
    else:
        limit, limit_source = float(facts.host_cpus), HOST
    guarantee = spawner.cpu_guarantee
    throttled_seconds = reading.throttled_seconds if reading is not None else None
    return {
        "guarantee": guarantee,
        "guarantee_source": SPAWNER_ENV if guarantee is not None else NONE,
        "limit": limit,
        "limit_source": limit_source,
        "used_cores": round(facts.used_cores, 3) if facts.used_cores is not None else None,
        "throttled": facts.throttled_now,
        "nr_throttled": reading.nr_throttled if reading is not None else None,
        "throttled_seconds": (
            round(throttled_seconds, 3) if throttled_seconds is not None else None
        ),
        "source": facts.usage_source if facts.used_cores is not None else NONE,
    }


def build_memory(facts: MemoryFacts, spawner: SpawnerFigures) -> MemoryFigures:
    reading = facts.reading
    if reading is not None and facts.source is not None:
        limit, used, working_set = reading.limit, reading.usage, reading.working_set
        oom_kills, source = reading.oom_kills, facts.source
        limit_source = source if limit is not None else NONE
    else:
        total, available = facts.host_total, facts.host_available
        used = total - available if total and available is not None else None
        limit, limit_source = None, NONE
        working_set, oom_kills = used, None
        source = HOST if used is not None else NONE
    if limit is None and spawner.memory_limit is not None:
        limit, limit_source = spawner.memory_limit, SPAWNER_ENV
    if limit is None:
        limit = facts.host_total
        limit_source = HOST if limit is not None else NONE
    guarantee = spawner.memory_guarantee
    return {
        "guarantee": guarantee,
        "guarantee_source": SPAWNER_ENV if guarantee is not None else NONE,
        "limit": limit,
        "limit_source": limit_source,
        "used": used,
        "working_set": working_set,
        "in_use": working_set if working_set is not None else used,
        "oom_kills": oom_kills,
        "source": source,
    }


def limit_warnings(cpu: CpuFigures, memory: MemoryFigures) -> list[Warning]:
    """What the user should know about, each with the way out (a change to `.resources`).

    Each names its ``level`` and the ``figure`` it concerns (``cpu`` or ``memory``), so the
    faces colour the right bar without reading the message.
    """
    return [*_cpu_warnings(cpu), *_memory_warnings(memory)]


def _cpu_warnings(cpu: CpuFigures) -> list[Warning]:
    limit = cpu["limit"]
    limit_text = f" of {cores(limit)}" if limit else ""
    if cpu["throttled"]:
        message = (
            f"CPU is being throttled: this server hit its limit{limit_text} since the "
            "last check. To get more, raise cpul= in .resources and relaunch."
        )
        return [{"kind": "cpu_throttled", "level": "warning", "figure": "cpu", "message": message}]
    if cpu["nr_throttled"]:
        seconds = cpu["throttled_seconds"] or 0.0
        message = (
            f"CPU was throttled {cpu['nr_throttled']} times ({seconds:.1f} s in total) "
            f"at its limit{limit_text}. If that slows your work, raise cpul= in "
            ".resources and relaunch."
        )
        return [
            {"kind": "cpu_throttled_earlier", "level": "info", "figure": "cpu", "message": message}
        ]
    return []


def _memory_warnings(memory: MemoryFigures) -> list[Warning]:
    warnings: list[Warning] = []
    oom_kills, limit = memory["oom_kills"], memory["limit"]
    if oom_kills:
        limit_text = f" (limit {gib(limit)})" if limit else ""
        were = "es were" if oom_kills != 1 else " was"
        message = (
            f"{oom_kills} process{were} killed for running out of memory{limit_text}. "
            "Raise meml= in .resources and relaunch."
        )
        warnings.append(
            {"kind": "oom_kill", "level": "warning", "figure": "memory", "message": message}
        )
    working_set = memory["working_set"]
    enforced = memory["limit_source"] not in (HOST, NONE)
    if (
        enforced
        and limit
        and working_set is not None
        and working_set > MEMORY_WARNING_FRACTION * limit
    ):
        message = (
            f"Memory in use ({gib(working_set)}) is {working_set / limit:.0%} of the "
            f"{gib(limit)} limit; past it the kernel kills processes. Free memory, "
            "or raise meml= in .resources and relaunch."
        )
        warnings.append(
            {
                "kind": "memory_near_limit",
                "level": "warning",
                "figure": "memory",
                "message": message,
            }
        )
    return warnings
