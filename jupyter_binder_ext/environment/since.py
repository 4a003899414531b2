"""Since when "installed since launch" counts: the server's start.

The server publishes its start time in its environment (:data:`SINCE_ENV`), so that
``jupyter binder environment`` and ``%binder environment`` run in its terminals and kernels
count from the same moment. Elsewhere the container's start (PID 1) stands in. Imported by
the server at start-up: nothing here may be heavy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

SINCE_ENV = "JUPYTER_BINDER_EXT_SINCE"


def process_start(pid: int | str = "self", proc_root: str = "/proc") -> float | None:
    """When a process started (seconds since the epoch), from procfs; None when unknown."""
    try:
        stat_text = Path(proc_root, str(pid), "stat").read_text()
        boot_line = next(
            line
            for line in Path(proc_root, "stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat_text.rsplit(")", 1)[-1].split()
    try:
        ticks = int(fields[19])  # field 22, starttime, in clock ticks since boot
        boot = int(boot_line.split()[1])
    except (IndexError, ValueError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def server_since(proc_root: str = "/proc") -> str:
    """What the server publishes in SINCE_ENV: its own start."""
    return repr(process_start("self", proc_root) or time.time())


def since(env: Mapping[str, str], proc_root: str = "/proc") -> float:
    """The baseline: the server's published start, else the container's, else now."""
    try:
        return float(env[SINCE_ENV])
    except (KeyError, ValueError):
        pass
    return process_start(1, proc_root) or process_start("self", proc_root) or time.time()
