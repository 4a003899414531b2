"""Each demo server in a cgroup of its own, limited as its `.resources` asked.

On Kubernetes, KubeSpawner hands a pod's limits to the kubelet, which enforces them with
cgroups; a local process spawner enforces nothing. The demo does what the kubelet does: one
child of the hub's own cgroup per server (v1: in the memory, cpu and cpuacct hierarchies; v2:
in the unified one), its limits written before the server starts, and the server moved in
before it execs, so its kernels and terminals are inside too. Each server then reports its
own usage, and one that exceeds its memory limit is killed by the kernel, as in a pod.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_binder_ext.limits.cgroups import CgroupLayout, find_cgroup_layout

# The folder, under the hub's own cgroup, that holds one cgroup per demo server.
PARENT_NAME = "binder-demo"
CFS_PERIOD_US = 100_000
# v1 cpu.shares per guaranteed core (the kernel's default weight of one task), as the
# kubelet converts CPU requests.
SHARES_PER_CORE = 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CgroupUnavailable(Exception):
    """No cgroup could be made for the server (not root, no writable hierarchy...)."""


@dataclass(frozen=True)
class ServerLimits:
    mem_limit: int | None = None
    mem_guarantee: int | None = None
    cpu_limit: float | None = None
    cpu_guarantee: float | None = None


@dataclass(frozen=True)
class ServerCgroup:
    """A server's cgroup: one directory per hierarchy it spans."""

    version: int
    directories: tuple[Path, ...]

    @property
    def procs_files(self) -> list[str]:
        return [str(directory / "cgroup.procs") for directory in self.directories]


def cgroup_name(user: str, server: str) -> str:
    return _UNSAFE.sub("_", f"{user}.{server or 'default'}")


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def create_server_cgroup(
    name: str, limits: ServerLimits, layout: CgroupLayout | None = None
) -> ServerCgroup:
    """Make (or reuse) the cgroup `name` under this process's own cgroups, with `limits`."""
    layout = layout or find_cgroup_layout("/proc", "/sys/fs/cgroup")
    if layout.memory is None or layout.cpu is None:
        raise CgroupUnavailable("this process's memory and cpu cgroups were not found")
    try:
        if layout.memory.version == 2:
            return _create_v2(layout.memory.directory, name, limits)
        return _create_v1(layout, name, limits)
    except OSError as err:
        raise CgroupUnavailable(f"{err.filename or ''}: {err.strerror or err}") from err


def _create_v1(layout: CgroupLayout, name: str, limits: ServerLimits) -> ServerCgroup:
    assert layout.memory is not None and layout.cpu is not None
    parents = {layout.memory.directory, layout.cpu.directory}
    if layout.cpuacct is not None:
        parents.add(layout.cpuacct.directory)
    directories = {parent: parent / PARENT_NAME / name for parent in parents}
    for directory in directories.values():
        directory.mkdir(parents=True, exist_ok=True)
    memory = directories[layout.memory.directory]
    if limits.mem_limit:
        _write(memory / "memory.limit_in_bytes", str(limits.mem_limit))
    if limits.mem_guarantee:
        _write(memory / "memory.soft_limit_in_bytes", str(limits.mem_guarantee))
    cpu = directories[layout.cpu.directory]
    _write(cpu / "cpu.cfs_period_us", str(CFS_PERIOD_US))
    quota = int(limits.cpu_limit * CFS_PERIOD_US) if limits.cpu_limit else -1
    _write(cpu / "cpu.cfs_quota_us", str(quota))
    if limits.cpu_guarantee:
        _write(cpu / "cpu.shares", str(max(2, int(limits.cpu_guarantee * SHARES_PER_CORE))))
    return ServerCgroup(1, tuple(sorted(set(directories.values()))))


def _create_v2(own: Path, name: str, limits: ServerLimits) -> ServerCgroup:
    # v2 lets a cgroup hand controllers to its children only while it holds no process
    # itself: the servers' parent is a fresh folder that never holds one.
    parent = own / PARENT_NAME
    parent.mkdir(exist_ok=True)
    _write(own / "cgroup.subtree_control", "+memory +cpu")
    _write(parent / "cgroup.subtree_control", "+memory +cpu")
    directory = parent / name
    directory.mkdir(exist_ok=True)
    _write(directory / "memory.max", str(limits.mem_limit) if limits.mem_limit else "max")
    if limits.mem_guarantee:
        _write(directory / "memory.low", str(limits.mem_guarantee))
    quota = str(int(limits.cpu_limit * CFS_PERIOD_US)) if limits.cpu_limit else "max"
    _write(directory / "cpu.max", f"{quota} {CFS_PERIOD_US}")
    if limits.cpu_guarantee:
        # cpu.weight is 1..10000 with 100 the default weight of one core's worth.
        weight = min(10_000, max(1, int(limits.cpu_guarantee * 100)))
        _write(directory / "cpu.weight", str(weight))
    return ServerCgroup(2, (directory,))


def enter(cgroup: ServerCgroup) -> None:
    """Move the calling process into `cgroup` (used in the child, before it execs)."""
    pid = str(os.getpid()).encode()
    for procs in cgroup.procs_files:
        fd = os.open(procs, os.O_WRONLY)
        try:
            os.write(fd, pid)
        finally:
            os.close(fd)


def remove_server_cgroup(cgroup: ServerCgroup) -> bool:
    """Remove the cgroup once its processes are gone; False while one is still inside."""
    removed = True
    for directory in cgroup.directories:
        try:
            directory.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            removed = False
    return removed


def find_server_cgroup(name: str, layout: CgroupLayout | None = None) -> ServerCgroup | None:
    """The cgroup `name` where :func:`create_server_cgroup` puts it, if it is there: for a
    spawner that lost its record of it (a hub restarted between start and stop)."""
    layout = layout or find_cgroup_layout("/proc", "/sys/fs/cgroup")
    if layout.memory is None or layout.cpu is None:
        return None
    parents = {layout.memory.directory, layout.cpu.directory}
    if layout.cpuacct is not None:
        parents.add(layout.cpuacct.directory)
    found = sorted(parent / PARENT_NAME / name for parent in parents)
    found = [directory for directory in found if directory.is_dir()]
    return ServerCgroup(layout.memory.version, tuple(found)) if found else None


def _pids_inside(cgroup: ServerCgroup) -> set[int]:
    pids: set[int] = set()
    for procs in cgroup.procs_files:
        try:
            pids.update(int(line) for line in Path(procs).read_text().split())
        except (OSError, ValueError):
            continue
    return pids


def clear_server_cgroup(cgroup: ServerCgroup, timeout: float = 10.0) -> bool:
    """End what is still inside (a kernel its server left behind), as deleting a pod ends
    every process of it, then remove the cgroup. Blocking: call it in a thread. False when
    a process outlived `timeout` (the cgroup is then left for the next stop)."""
    deadline = time.monotonic() + timeout
    while True:
        for pid in _pids_inside(cgroup):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        if remove_server_cgroup(cgroup):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
