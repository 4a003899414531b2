"""Limits read from cgroup v1 / v2 file trees laid out exactly as the kernel lays them out.

Each case builds a fake /proc (self/cgroup, self/mountinfo, meminfo, stat) and a fake
/sys/fs/cgroup in the kernel's own file names and formats, then reads them through the same
LimitsReader the server uses.
"""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from fixtures.cgroup_trees import (
    GIB,
    V1_UNLIMITED,
    FakeSystem,
    fake_system,
    set_v2_cpu_usage,
    v1_cpu,
    v1_cpuacct,
    v1_memory,
    v2_cgroup,
    write,
    write_proc_stat,
)

from jupyter_binder_ext.limits.cgroups import cgroup_mounts, find_cgroup_layout, parse_proc_cgroup
from jupyter_binder_ext.limits.gpu import GpuReader
from jupyter_binder_ext.limits.reader import LimitsReader
from jupyter_binder_ext.limits.text import describe_limits


class SteppingClock:
    """Each CPU sample is taken 0.25 s after the previous one (exact in binary)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


def reader(system: FakeSystem, env: dict[str, str] | None = None) -> LimitsReader:
    env = env or {}
    no_gpu = GpuReader({"NVIDIA_VISIBLE_DEVICES": "void"})
    return LimitsReader(system.site(), env=env, gpu=no_gpu, clock=SteppingClock())


def kinds(data: dict[str, Any]) -> list[str]:
    return [w["kind"] for w in data["warnings"]]


SYSFS_LINES = (
    "1104 1037 0:322 / / rw,relatime master:456 - overlay overlay "
    "rw,lowerdir=/var/lib/containerd/l/1,upperdir=/var/lib/containerd/u/1,workdir=/var/lib/w/1\n"
    "1105 1104 0:325 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "1106 1104 0:326 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "1110 1104 0:327 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro\n"
)
POD = "kubepods-burstable-pod6a1b2c3d_4e5f_6789_abcd_ef0123456789.slice"
SCOPE = "cri-containerd-4f1c2d3e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d.scope"
V2_LEAF = f"/kubepods.slice/kubepods-burstable.slice/{POD}/{SCOPE}"


# -- cgroup v2 ------------------------------------------------------------------------------


async def test_v2_namespaced_container_view(tmp_path: Path) -> None:
    # A cgroup namespace: the process sees its own cgroup as "/", mounted at /sys/fs/cgroup.
    system = fake_system(
        tmp_path,
        "0::/\n",
        SYSFS_LINES + "1111 1110 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - "
        "cgroup2 cgroup rw,nsdelegate,memory_recursiveprot\n",
    )
    leaf = v2_cgroup(
        system.at(""),
        memory_max="2147483648",
        memory_current=1_500_000_000,
        inactive_file=300_000_000,
        oom_kill=2,
        cpu_max="150000 100000",
        usage_usec=40_000_000,
        nr_throttled=7,
        throttled_usec=2_500_000,
    )
    limits = reader(system)
    data = await limits.read()
    assert data["memory"] == {
        "guarantee": None,
        "guarantee_source": "none",
        "limit": 2 * GIB,
        "limit_source": "cgroup v2",
        "used": 1_500_000_000,
        "working_set": 1_200_000_000,
        "in_use": 1_200_000_000,
        "oom_kills": 2,
        "source": "cgroup v2",
    }
    cpu = data["cpu"]
    assert cpu["limit"] == 1.5
    assert cpu["limit_source"] == "cgroup v2"
    assert cpu["nr_throttled"] == 7
    assert cpu["throttled_seconds"] == 2.5
    assert cpu["throttled"] is False  # no new throttling between the two first samples
    assert cpu["used_cores"] == 0.0
    assert cpu["source"] == "cgroup v2"
    assert kinds(data) == ["cpu_throttled_earlier", "oom_kill"]
    assert "raise cpul= in .resources" in data["warnings"][0]["message"]
    assert "Raise meml= in .resources" in data["warnings"][1]["message"]

    # 0.375 s of CPU in 0.25 s of wall time, and throttled again meanwhile.
    set_v2_cpu_usage(leaf, 40_375_000, nr_throttled=9)
    data = await limits.read()
    assert data["cpu"]["used_cores"] == 1.5
    assert data["cpu"]["throttled"] is True
    assert kinds(data)[0] == "cpu_throttled"
    assert "1.5 cores" in data["warnings"][0]["message"]


def _v2_host_view(tmp_path: Path) -> FakeSystem:
    # No cgroup namespace: the full kubepods path, the whole hierarchy mounted.
    return fake_system(
        tmp_path,
        f"0::{V2_LEAF}\n",
        "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n"
        "25 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"
        "35 25 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 "
        "cgroup2 rw,nsdelegate,memory_recursiveprot\n",
    )


def _v2_ancestors(system: FakeSystem, pod_memory: str, pod_cpu: str) -> None:
    # The root cgroup has no memory.max / cpu.max; kubepods.slice holds the node allocatable.
    v2_cgroup(system.at(""), memory_max=None, cpu_max=None)
    v2_cgroup(system.at("", "/kubepods.slice"), memory_max=str(60 * GIB))
    v2_cgroup(system.at("", "/kubepods.slice/kubepods-burstable.slice"))
    v2_cgroup(
        system.at("", f"/kubepods.slice/kubepods-burstable.slice/{POD}"),
        memory_max=pod_memory,
        cpu_max=pod_cpu,
    )


async def test_v2_host_view_with_kubepods_path(tmp_path: Path) -> None:
    system = _v2_host_view(tmp_path)
    _v2_ancestors(system, pod_memory=str(8 * GIB), pod_cpu="800000 100000")
    v2_cgroup(
        system.at("", V2_LEAF),
        memory_max=str(4 * GIB),
        memory_current=int(3.9 * GIB),
        inactive_file=int(0.1 * GIB),
        cpu_max="400000 100000",
    )
    data = await reader(system).read()
    assert data["memory"]["limit"] == 4 * GIB
    assert data["memory"]["working_set"] == int(3.9 * GIB) - int(0.1 * GIB)
    assert data["memory"]["oom_kills"] == 0
    assert data["cpu"]["limit"] == 4.0
    assert data["cpu"]["nr_throttled"] == 0
    assert data["cpu"]["limit_source"] == data["memory"]["source"] == "cgroup v2"
    # 3.8 of 4 GB: close enough to the OOM killer to warn, and nothing else.
    assert kinds(data) == ["memory_near_limit"]
    assert "95%" in data["warnings"][0]["message"]


async def test_v2_unlimited_leaf_takes_the_parents_limit(tmp_path: Path) -> None:
    system = _v2_host_view(tmp_path)
    _v2_ancestors(system, pod_memory=str(3 * GIB), pod_cpu="250000 100000")
    v2_cgroup(system.at("", V2_LEAF), memory_max="max", cpu_max="max 100000", memory_current=GIB)
    data = await reader(system).read()
    assert data["memory"]["limit"] == 3 * GIB
    assert data["memory"]["limit_source"] == "cgroup v2"
    assert data["cpu"]["limit"] == 2.5


async def test_v2_controller_not_enabled_falls_back_to_env_then_host(tmp_path: Path) -> None:
    # The leaf's parent did not delegate memory or cpu (cgroup.controllers lists neither):
    # the v2 files are absent, so the spawner's MEM_LIMIT and the host's CPUs stand in.
    system = _v2_host_view(tmp_path)
    _v2_ancestors(system, pod_memory="max", pod_cpu="max 100000")
    v2_cgroup(system.at("", V2_LEAF), controllers="pids", memory_max=None, cpu_max=None)
    data = await reader(system, {"MEM_LIMIT": str(5 * GIB), "MEM_GUARANTEE": "1G"}).read()
    assert data["memory"]["limit"] == 5 * GIB
    assert data["memory"]["limit_source"] == "spawner env"
    assert data["memory"]["guarantee"] == GIB
    assert data["memory"]["guarantee_source"] == "spawner env"
    assert data["memory"]["source"] == "host"
    assert data["cpu"]["limit"] == len(os.sched_getaffinity(0))
    assert data["cpu"]["limit_source"] == "host"
    # CPU time is still accounted in v2's cpu.stat, controller or not.
    assert data["cpu"]["source"] == "cgroup v2"


# -- cgroup v1 ------------------------------------------------------------------------------

V1_POD_PATH = "/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/9b8a7c6d5e4f"


async def test_v1_co_mounted_cpu_cpuacct_container_view(tmp_path: Path) -> None:
    # A container without a cgroup namespace on a v1 node: the runtime bind-mounts each
    # hierarchy's sub-tree for the container; /proc/self/cgroup shows the full path.
    path = V1_POD_PATH
    system = fake_system(
        tmp_path,
        f"12:hugetlb:{path}\n11:pids:{path}\n10:devices:{path}\n9:memory:{path}\n"
        f"8:cpu,cpuacct:{path}\n7:cpuset:{path}\n6:blkio:{path}\n5:freezer:{path}\n"
        f"4:net_cls,net_prio:{path}\n1:name=systemd:{path}\n",
        SYSFS_LINES
        + "1500 1110 0:40 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs rw,mode=755\n"
        f"1501 1500 0:27 {path} /sys/fs/cgroup/systemd ro,nosuid,nodev,noexec,relatime "
        "master:11 - cgroup cgroup rw,xattr,name=systemd\n"
        f"1502 1500 0:31 {path} /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime "
        "master:16 - cgroup cgroup rw,cpu,cpuacct\n"
        f"1503 1500 0:34 {path} /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime "
        "master:19 - cgroup cgroup rw,memory\n"
        f"1504 1500 0:35 {path} /sys/fs/cgroup/pids ro,nosuid,nodev,noexec,relatime "
        "master:20 - cgroup cgroup rw,pids\n",
    )
    co_mounted = system.at("cpu,cpuacct")
    v1_cpu(co_mounted, quota=200000, period=100000, nr_throttled=3, throttled_time_ns=1_200_000_000)
    v1_cpuacct(co_mounted, usage_ns=90_000_000_000)
    v1_memory(
        system.at("memory"),
        limit=4 * GIB,
        usage=1_000_000_000,
        total_inactive_file=250_000_000,
        oom_kill=1,
    )
    limits = reader(system, {"CPU_GUARANTEE": "0.5", "CPU_LIMIT": "8"})
    data = await limits.read()
    assert data["cpu"]["limit"] == 2.0
    assert data["cpu"]["limit_source"] == "cgroup v1"  # the cgroup wins over CPU_LIMIT
    assert data["cpu"]["guarantee"] == 0.5
    assert data["cpu"]["nr_throttled"] == 3
    assert data["cpu"]["throttled_seconds"] == 1.2
    assert data["memory"]["limit"] == 4 * GIB
    assert data["memory"]["used"] == 1_000_000_000
    assert data["memory"]["working_set"] == 750_000_000
    assert data["memory"]["oom_kills"] == 1
    assert data["memory"]["source"] == "cgroup v1"

    v1_cpuacct(co_mounted, usage_ns=90_000_000_000 + 500_000_000)
    data = await limits.read()
    assert data["cpu"]["used_cores"] == 2.0


def _this_machines_layout(tmp_path: Path) -> FakeSystem:
    # The mountinfo of the machine these tests were written on: v1 cpu and cpuacct mounted
    # as separate hierarchies, plus an empty v2 "unified" mount (a hybrid layout).
    return fake_system(
        tmp_path,
        "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
        "4:memory:/process_api/f28a97a8aa18ed940fcb4a45c92d2c9f\n3:cpuset:/\n"
        "2:cpuacct:/jbe-test\n1:cpu:/jbe-test\n0::/\n",
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
        "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
        "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
    )


async def test_v1_separate_cpu_and_cpuacct_in_a_hybrid_layout(tmp_path: Path) -> None:
    system = _this_machines_layout(tmp_path)
    v1_memory(system.at("memory"), usage=20 * GIB)
    v1_memory(system.at("memory", "/process_api"), usage=3 * GIB)
    v1_memory(
        system.at("memory", "/process_api/f28a97a8aa18ed940fcb4a45c92d2c9f"),
        limit=2 * GIB,
        usage=600_000_000,
        total_inactive_file=100_000_000,
    )
    v1_cpu(system.at("cpu"))
    v1_cpu(system.at("cpu", "/jbe-test"), quota=150000, period=100000)
    v1_cpuacct(system.at("cpuacct"), usage_ns=10**13)
    acct = v1_cpuacct(system.at("cpuacct", "/jbe-test"), usage_ns=5_000_000_000)
    # The unified hierarchy holds no controller here, but its cpu.stat still counts CPU time
    # (of the whole v2 root): it must not be mistaken for this cgroup's usage.
    v2_cgroup(system.at("unified"), controllers="", memory_max=None, cpu_max=None)
    set_v2_cpu_usage(system.at("unified"), 77_000_000)

    layout = find_cgroup_layout(system.proc_root, system.cgroup_root)
    assert layout.cpu is not None and layout.cpu.directory == system.at("cpu", "/jbe-test")
    assert layout.cpuacct is not None and layout.cpuacct.version == 1
    assert layout.cpuacct.directory == system.at("cpuacct", "/jbe-test")

    limits = reader(system)
    data = await limits.read()
    assert data["cpu"]["limit"] == 1.5
    assert data["cpu"]["limit_source"] == "cgroup v1"
    assert data["memory"]["limit"] == 2 * GIB
    assert data["memory"]["used"] == 600_000_000
    assert data["memory"]["working_set"] == 500_000_000
    assert data["memory"]["oom_kills"] == 0
    assert data["memory"]["source"] == "cgroup v1"
    assert kinds(data) == []

    v1_cpuacct(acct, usage_ns=5_000_000_000 + 125_000_000)
    set_v2_cpu_usage(system.at("unified"), 99_000_000)
    data = await limits.read()
    assert data["cpu"]["used_cores"] == 0.5
    assert data["cpu"]["source"] == "cgroup v1"


async def test_hybrid_co_mounted_v1_with_systemd_unified(tmp_path: Path) -> None:
    # systemd's hybrid mode: v1 controllers co-mounted as cpu,cpuacct, v2 at .../unified with
    # the process in a systemd scope there.
    scope = "/system.slice/jupyter.service"
    system = fake_system(
        tmp_path,
        f"11:memory:{scope}\n4:cpu,cpuacct:{scope}\n1:name=systemd:{scope}\n0::{scope}\n",
        "24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
        "25 24 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755\n"
        "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - "
        "cgroup2 cgroup2 rw,nsdelegate\n"
        "27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - "
        "cgroup cgroup rw,xattr,name=systemd\n"
        "31 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - "
        "cgroup cgroup rw,cpu,cpuacct\n"
        "38 25 0:36 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:21 - "
        "cgroup cgroup rw,memory\n",
    )
    v2_cgroup(system.at("unified"), controllers="", memory_max=None, cpu_max=None)
    v2_cgroup(system.at("unified", scope), controllers="", memory_max=None, cpu_max=None)
    v1_memory(system.at("memory"))
    v1_memory(system.at("memory", scope), limit=6 * GIB, usage=GIB, total_inactive_file=GIB // 2)
    v1_cpu(system.at("cpu,cpuacct"))
    v1_cpu(system.at("cpu,cpuacct", scope), quota=50000, period=50000)
    v1_cpuacct(system.at("cpu,cpuacct"))
    v1_cpuacct(system.at("cpu,cpuacct", scope), usage_ns=1_000_000_000)

    layout = find_cgroup_layout(system.proc_root, system.cgroup_root)
    assert layout.memory is not None and layout.memory.version == 1
    assert layout.cpu is not None and layout.cpu.version == 1
    assert layout.cpuacct is not None and layout.cpuacct.version == 1
    data = await reader(system).read()
    assert data["memory"]["limit"] == 6 * GIB
    assert data["memory"]["working_set"] == GIB // 2
    assert data["cpu"]["limit"] == 1.0
    assert {data["cpu"]["source"], data["memory"]["source"]} == {"cgroup v1"}


async def test_v1_unlimited_leaf_with_limited_parent(tmp_path: Path) -> None:
    system = _this_machines_layout(tmp_path)
    v1_memory(system.at("memory"))
    # The parent limits to 3 GiB; the leaf says "unlimited", the kernel's huge number.
    v1_memory(system.at("memory", "/process_api"), limit=3 * GIB)
    v1_memory(
        system.at("memory", "/process_api/f28a97a8aa18ed940fcb4a45c92d2c9f"),
        limit=V1_UNLIMITED,
        hierarchical_limit=3 * GIB,
        usage=GIB,
    )
    v1_cpu(system.at("cpu"), quota=300000, period=100000)
    v1_cpu(system.at("cpu", "/jbe-test"), quota=-1)
    v1_cpuacct(system.at("cpuacct"))
    v1_cpuacct(system.at("cpuacct", "/jbe-test"))
    data = await reader(system).read()
    assert data["memory"]["limit"] == 3 * GIB
    assert data["memory"]["limit_source"] == "cgroup v1"
    assert data["cpu"]["limit"] == 3.0


async def test_v1_limit_set_above_the_visible_tree(tmp_path: Path) -> None:
    # Inside a container only its own sub-tree is mounted: an ancestor's limit is invisible
    # as a file but the kernel reports it as hierarchical_memory_limit.
    path = V1_POD_PATH
    system = fake_system(
        tmp_path,
        f"9:memory:{path}\n8:cpu,cpuacct:{path}\n",
        f"1502 1500 0:31 {path} /sys/fs/cgroup/cpu,cpuacct ro,relatime master:16 - cgroup "
        "cgroup rw,cpu,cpuacct\n"
        f"1503 1500 0:34 {path} /sys/fs/cgroup/memory ro,relatime master:19 - cgroup cgroup "
        "rw,memory\n",
    )
    v1_memory(system.at("memory"), limit=V1_UNLIMITED, hierarchical_limit=GIB, usage=GIB // 4)
    v1_cpu(system.at("cpu,cpuacct"))
    v1_cpuacct(system.at("cpu,cpuacct"))
    data = await reader(system, {"CPU_LIMIT": "3"}).read()
    assert data["memory"]["limit"] == GIB
    assert data["cpu"]["limit"] == 3.0
    assert data["cpu"]["limit_source"] == "spawner env"


# -- no cgroup ------------------------------------------------------------------------------


async def test_no_cgroup_at_all_reads_the_host(tmp_path: Path) -> None:
    system = fake_system(
        tmp_path,
        None,
        None,
        meminfo_kb=(16 * 1024 * 1024, 12 * 1024 * 1024),
        stat_ticks=(1000, 0, 500, 90000, 100, 0, 20, 0, 0, 0),
    )
    limits = reader(system, {"BINDER_RESOURCES_NOTICE": "Your .resources was ignored."})
    data = await limits.read()
    assert data["memory"] == {
        "guarantee": None,
        "guarantee_source": "none",
        "limit": 16 * GIB,
        "limit_source": "host",
        "used": 4 * GIB,
        "working_set": 4 * GIB,
        "in_use": 4 * GIB,
        "oom_kills": None,
        "source": "host",
    }
    assert data["cpu"]["limit"] == len(os.sched_getaffinity(0))
    assert data["cpu"]["limit_source"] == "host"
    assert data["cpu"]["nr_throttled"] is None
    assert data["cpu"]["source"] == "host"
    assert data["notice"] == "Your .resources was ignored."
    assert data["warnings"] == []  # a nearly full host is not this server's limit

    # The host was busy for 0.25 s * 2 CPUs: two CPUs' worth of ticks in 0.25 s.
    ticks = round(0.5 * os.sysconf("SC_CLK_TCK"))
    write_proc_stat(system.proc_root, (1000 + ticks, 0, 500, 90000, 100, 0, 20, 0, 0, 0))
    data = await limits.read()
    assert data["cpu"]["used_cores"] == 2.0


async def test_mount_that_does_not_show_our_cgroup_is_not_used(tmp_path: Path) -> None:
    # A mount made in another cgroup namespace shows a root outside ours ("/../.."): it does
    # not contain this process's cgroup, so the host figures are used instead of a wrong one.
    system = fake_system(
        tmp_path,
        "0::/\n",
        "35 25 0:30 /../../kubepods.slice /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n",
    )
    v2_cgroup(system.at(""), memory_max=str(GIB))
    data = await reader(system).read()
    assert data["memory"]["limit_source"] == "host"
    assert data["cpu"]["source"] == "host"


def test_parsers_follow_the_kernels_formats() -> None:
    mounts = cgroup_mounts(
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 /a\\040b /sys/fs/cgroup/cpu,cpuacct rw shared:1 master:2 - cgroup cgroup "
        "rw,cpu,cpuacct\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "22 1 259:1 / / rw - ext4 /dev/root rw\n"
    )
    assert [(m.mount_point, m.root, m.version) for m in mounts] == [
        ("/sys/fs/cgroup/cpu", "/", 1),
        ("/sys/fs/cgroup/cpu,cpuacct", "/a b", 1),
        ("/sys/fs/cgroup/unified", "/", 2),
    ]
    assert {"cpu", "cpuacct"} <= mounts[1].controllers
    v1, v2 = parse_proc_cgroup("2:cpu,cpuacct:/x\n1:name=systemd:/y\n0::/z (deleted)\n")
    assert v1 == {"cpu": "/x", "cpuacct": "/x", "name=systemd": "/y"}
    assert v2 == "/z"


async def test_first_read_waits_for_a_second_sample_with_the_real_clock(tmp_path: Path) -> None:
    system = _v2_host_view(tmp_path)
    _v2_ancestors(system, pod_memory="max", pod_cpu="max 100000")
    v2_cgroup(system.at("", V2_LEAF), usage_usec=123)
    limits = LimitsReader(system.site(), env={}, gpu=GpuReader({"NVIDIA_VISIBLE_DEVICES": "void"}))
    data = await limits.read()
    # Two samples of an unchanged counter some time apart: a rate of exactly zero.
    assert data["cpu"]["used_cores"] == 0.0
    assert data["cpu"]["source"] == "cgroup v2"


async def test_a_slow_cgroup_file_never_holds_up_the_event_loop(tmp_path: Path) -> None:
    # memory.stat as a FIFO: a read that answers only when something writes to it, as a
    # busy node's memory.stat may take its time. The loop must keep running meanwhile.
    system = _v2_host_view(tmp_path)
    _v2_ancestors(system, pod_memory="max", pod_cpu="max 100000")
    leaf = system.at("", V2_LEAF)
    v2_cgroup(leaf, usage_usec=123)
    limits = reader(system)
    await limits.read()  # the first read, which waits for a second CPU sample, is done
    stat = leaf / "memory.stat"
    stat.unlink()
    os.mkfifo(stat)
    loop_ran, written = threading.Event(), threading.Event()

    def answer() -> None:
        loop_ran.wait(10)  # without a thread hop the loop never gets here: answer anyway
        with stat.open("w") as fifo:
            fifo.write("inactive_file 1024\n")
        written.set()

    writer = threading.Thread(target=answer)
    writer.start()
    try:
        pending = asyncio.ensure_future(limits.read())
        await asyncio.sleep(0.05)
        assert not written.is_set()  # the loop ran while memory.stat had not answered
        loop_ran.set()
        data = await pending
        assert data["memory"]["source"] == "cgroup v2"
    finally:
        loop_ran.set()
        writer.join(10)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MEM_GUARANTEE": "2147483648", "MEM_LIMIT": "4G"}, (2 * GIB, 4 * GIB)),
        ({"MEM_GUARANTEE": "512M", "MEM_LIMIT": "1.5G"}, (512 * 1024**2, int(1.5 * GIB))),
        ({"MEM_GUARANTEE": "lots", "MEM_LIMIT": ""}, (None, 16 * GIB)),
    ],
)
async def test_spawner_env_byte_values(
    tmp_path: Path, env: dict[str, str], expected: tuple[Any, Any]
) -> None:
    system = fake_system(tmp_path, None, None)
    data = await reader(system, env).read()
    assert (data["memory"]["guarantee"], data["memory"]["limit"]) == expected


async def test_describe_limits_is_readable(tmp_path: Path) -> None:
    system = _v2_host_view(tmp_path)
    _v2_ancestors(system, pod_memory="max", pod_cpu="max 100000")
    v2_cgroup(
        system.at("", V2_LEAF),
        memory_max=str(2 * GIB),
        memory_current=GIB,
        oom_kill=1,
        cpu_max="150000 100000",
    )
    write(system.at("", V2_LEAF) / "memory.events", "low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n")
    data = await reader(system, {"CPU_GUARANTEE": "1", "MEM_GUARANTEE": str(GIB)}).read()
    text = describe_limits(data)
    lines = text.splitlines()
    assert lines[0] == "CPU"
    assert "limit       1.5 cores" in text
    assert "guaranteed  1 core " in text
    assert "limit       2.0 GiB" in text
    assert "OOM kills   1" in text
    assert "GPU (none: NVIDIA_VISIBLE_DEVICES='void' gives this server no GPU)" in text
    assert lines[-1].startswith("! 1 process was killed for running out of memory")
