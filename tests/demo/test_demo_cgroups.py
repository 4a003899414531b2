"""The demo puts each server in a cgroup of its own with its limits, as the kubelet does.

Real cgroup v1 here (as root): a process moved in before exec is limited and OOM-killed by
the kernel. The v2 layout is a file tree laid out as the kernel lays out a unified hierarchy.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_binder_ext.demo.cgroups import (
    PARENT_NAME,
    CgroupUnavailable,
    ServerLimits,
    cgroup_name,
    create_server_cgroup,
    enter,
    remove_server_cgroup,
)
from jupyter_binder_ext.limits.cgroups import Cgroup, CgroupLayout, find_cgroup_layout

MIB = 1024**2
HOG = "b = bytearray(512 * 1024 * 1024); b[::4096] = b'x' * (len(b) // 4096); print('survived')"


def test_names_are_safe_cgroup_folder_names() -> None:
    assert cgroup_name("alice", "") == "alice.default"
    assert cgroup_name("a/b", "x y") == "a_b.x_y"


def test_v2_limits_are_written_as_the_kernel_reads_them(tmp_path: Path) -> None:
    own = tmp_path / "sys" / "fs" / "cgroup" / "user.slice"
    own.mkdir(parents=True)
    (own / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (own / "cgroup.subtree_control").write_text("")
    unified = Cgroup(2, "/user.slice", own, tmp_path / "sys" / "fs" / "cgroup")
    layout = CgroupLayout(memory=unified, cpu=unified, cpuacct=unified)
    limits = ServerLimits(
        mem_limit=2 * 1024**3, mem_guarantee=1024**3, cpu_limit=1.5, cpu_guarantee=1
    )
    cgroup = create_server_cgroup("alice.r", limits, layout)
    server = own / PARENT_NAME / "alice.r"
    assert cgroup.version == 2
    assert cgroup.procs_files == [str(server / "cgroup.procs")]
    assert (server / "memory.max").read_text() == str(2 * 1024**3)
    assert (server / "memory.low").read_text() == str(1024**3)
    assert (server / "cpu.max").read_text() == "150000 100000"
    assert (server / "cpu.weight").read_text() == "100"
    # Controllers handed down through a parent that never holds a process.
    assert (own / "cgroup.subtree_control").read_text() == "+memory +cpu"
    assert (own / PARENT_NAME / "cgroup.subtree_control").read_text() == "+memory +cpu"


def test_v2_without_limits_writes_max(tmp_path: Path) -> None:
    own = tmp_path / "cg"
    own.mkdir()
    unified = Cgroup(2, "/", own, own)
    create_server_cgroup("s", ServerLimits(), CgroupLayout(unified, unified, unified))
    assert (own / PARENT_NAME / "s" / "memory.max").read_text() == "max"
    assert (own / PARENT_NAME / "s" / "cpu.max").read_text() == "max 100000"


def test_no_cgroup_found_is_said_plainly() -> None:
    with pytest.raises(CgroupUnavailable, match="memory and cpu cgroups were not found"):
        create_server_cgroup("s", ServerLimits(), CgroupLayout(None, None, None))


@pytest.fixture
def v1_cgroup():  # type: ignore[no-untyped-def]
    layout = find_cgroup_layout("/proc", "/sys/fs/cgroup")
    assert layout.memory is not None and layout.memory.version == 1, "cgroup v1 here"
    name = f"test-{secrets.token_hex(4)}"
    limits = ServerLimits(
        mem_limit=128 * MIB, mem_guarantee=64 * MIB, cpu_limit=0.5, cpu_guarantee=0.25
    )
    cgroup = create_server_cgroup(name, limits)
    yield cgroup
    assert remove_server_cgroup(cgroup)
    assert not any(directory.exists() for directory in cgroup.directories)


def test_v1_a_server_beyond_its_memory_is_killed_by_the_kernel(v1_cgroup) -> None:  # type: ignore[no-untyped-def]
    directories = {d.parts[4]: d for d in v1_cgroup.directories}  # /sys/fs/cgroup/<controller>
    assert (directories["memory"] / "memory.limit_in_bytes").read_text().strip() == str(128 * MIB)
    assert (directories["memory"] / "memory.soft_limit_in_bytes").read_text().strip() == str(
        64 * MIB
    )
    assert (directories["cpu"] / "cpu.cfs_quota_us").read_text().strip() == "50000"
    assert (directories["cpu"] / "cpu.shares").read_text().strip() == "256"

    inside = subprocess.run(
        [sys.executable, "-c", "print(open('/proc/self/cgroup').read())"],
        preexec_fn=lambda: enter(v1_cgroup),
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"memory:/{directories['memory'].relative_to('/sys/fs/cgroup/memory')}" in inside.stdout

    hog = subprocess.run(
        [sys.executable, "-c", HOG],
        preexec_fn=lambda: enter(v1_cgroup),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert hog.returncode == -9, hog.stdout + hog.stderr  # SIGKILL from the OOM killer
    oom = dict(
        line.split()
        for line in (directories["memory"] / "memory.oom_control").read_text().splitlines()
    )
    assert int(oom["oom_kill"]) >= 1
