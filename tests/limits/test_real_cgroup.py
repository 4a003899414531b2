"""A real Jupyter server inside freshly created cgroup v1 groups reports the real limits.

As root, the test creates a child cgroup in this machine's v1 memory, cpu and cpuacct
hierarchies (found here from /proc/self/mountinfo, independently of the code under test),
sets a 2 GiB memory limit and a 1.5 CPU quota, starts `jupyter server` in them, makes the
kernel OOM-kill a memory hog in the same cgroup, and compares ``GET binder/api/limits`` with
the cgroup's own files.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

GIB = 1024**3
# Usage moves while the request is served; the server's own allocations stay well below this.
USAGE_TOLERANCE = 16 * 1024**2
CONTROLLERS = ("memory", "cpu", "cpuacct")
VENV_BIN = Path(sys.executable).parent


def _v1_hierarchies() -> dict[str, Path]:
    """controller → the directory of this process's own cgroup in that v1 hierarchy."""
    own: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            own[controller] = path
    found: dict[str, Path] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(tail) < 3 or tail[0] != "cgroup" or fields[3] != "/":
            continue
        for controller in set(tail[2].split(",")) & set(CONTROLLERS):
            if controller in own:
                found[controller] = Path(fields[4]) / own[controller].lstrip("/")
    return found


@dataclass
class LimitedCgroup:
    dirs: dict[str, Path]  # controller → the fresh child cgroup

    def file(self, controller: str, name: str) -> Path:
        return self.dirs[controller] / name

    def keyed(self, controller: str, name: str) -> dict[str, int]:
        pairs = (line.split() for line in self.file(controller, name).read_text().splitlines())
        return {key: int(value) for key, value in pairs}

    def number(self, controller: str, name: str) -> int:
        return int(self.file(controller, name).read_text())

    def enter_command(self) -> list[str]:
        """A shell prefix that moves itself into every cgroup, then execs the command."""
        targets = " ".join(f"'{d}/cgroup.procs'" for d in sorted(set(self.dirs.values())))
        script = f'for f in {targets}; do echo $$ > "$f" || exit 97; done; exec "$@"'
        return ["sh", "-c", script, "sh"]


@pytest.fixture
def limited_cgroup() -> Iterator[LimitedCgroup]:
    if os.geteuid() != 0:
        pytest.fail(
            "test_limits_real_cgroup must run as root: it creates cgroups with a 2 GiB memory "
            "limit and a 1.5 CPU quota (CI runs it as root)."
        )
    parents = _v1_hierarchies()
    missing = [c for c in CONTROLLERS if c not in parents]
    if missing:
        pytest.fail(
            f"No cgroup v1 hierarchy for {', '.join(missing)} in /proc/self/mountinfo: this "
            "test needs the v1 memory, cpu and cpuacct controllers mounted (v2 is covered by "
            "test_limits_cgroup_trees.py)."
        )
    name = f"jbe-test-{secrets.token_hex(4)}"
    created: list[Path] = []
    dirs: dict[str, Path] = {}
    try:
        for controller in CONTROLLERS:
            directory = parents[controller] / name
            if directory not in created:  # co-mounted controllers share one directory
                try:
                    directory.mkdir()
                except OSError as err:
                    pytest.fail(f"Cannot create cgroup {directory}: {err} (is it writable?)")
                created.append(directory)
            dirs[controller] = directory
        group = LimitedCgroup(dirs)
        group.file("memory", "memory.limit_in_bytes").write_text(str(2 * GIB))
        group.file("cpu", "cpu.cfs_period_us").write_text("100000")
        group.file("cpu", "cpu.cfs_quota_us").write_text("150000")
        yield group
    finally:
        for directory in reversed(created):
            _remove_cgroup(directory)


def _remove_cgroup(directory: Path) -> None:
    # rmdir succeeds once no task is left; a killed process may take a moment to leave.
    for _ in range(50):
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"Could not remove test cgroup {directory}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@dataclass
class RunningServer:
    url: str
    token: str
    process: subprocess.Popen[bytes]


@pytest.fixture
def server_in_cgroup(limited_cgroup: LimitedCgroup, tmp_path: Path) -> Iterator[RunningServer]:
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MEM_", "CPU_", "JUPYTERHUB_", "BINDER_", "JUPYTER_"))
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
    )
    root = tmp_path / "root"
    root.mkdir()
    command = [
        *limited_cgroup.enter_command(),
        str(VENV_BIN / "jupyter"),
        "server",
        "--allow-root",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.jpserver_extensions=jupyter_binder_ext=True",
    ]
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter server exited ({process.returncode}):\n{_log(tmp_path)}")
            try:
                _get(f"{url}/api/status", token)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter server did not answer in 90 s:\n{_log(tmp_path)}")
                time.sleep(0.3)
        yield RunningServer(url, token, process)
    finally:
        _stop(process)
        log.close()


def _log(tmp_path: Path) -> str:
    return (tmp_path / "server.log").read_text(errors="replace")[-4000:]


def _oom_kill_a_hog(group: LimitedCgroup, server: RunningServer) -> None:
    # The OOM killer picks the biggest process in the cgroup; the hog also volunteers itself
    # (raising one's own oom_score_adj needs no privilege), so the server is never chosen.
    hog_code = (
        "open('/proc/self/oom_score_adj', 'w').write('1000')\n"
        "chunks = [bytes([1]) * (64 << 20) for _ in range(48)]\n"  # 3 GiB, every page touched
    )
    hog = subprocess.run(
        [*group.enter_command(), sys.executable, "-c", hog_code],
        timeout=120,
        check=False,
    )
    assert hog.returncode == -signal.SIGKILL, "the 3 GiB hog should be OOM-killed at 2 GiB"


def test_server_in_a_fresh_cgroup_reports_its_real_limits(
    limited_cgroup: LimitedCgroup, server_in_cgroup: RunningServer
) -> None:
    group, server = limited_cgroup, server_in_cgroup
    # The server really runs in the test's cgroups.
    own = Path(f"/proc/{server.process.pid}/cgroup").read_text()
    for controller in CONTROLLERS:
        assert f"/{group.dirs[controller].name}\n" in own

    _oom_kill_a_hog(group, server)
    assert server.process.poll() is None, "the server itself must survive the OOM kill"

    before = group.number("memory", "memory.usage_in_bytes")
    data = _get(f"{server.url}/binder/api/limits", server.token)
    after = group.number("memory", "memory.usage_in_bytes")
    memory, cpu = data["memory"], data["cpu"]

    assert memory["limit"] == 2 * GIB
    assert memory["limit_source"] == "cgroup v1"
    assert memory["source"] == "cgroup v1"
    assert cpu["limit"] == 1.5
    assert cpu["limit_source"] == "cgroup v1"
    assert cpu["source"] == "cgroup v1"

    # What the API reports is what the cgroup's own files say.
    low, high = min(before, after), max(before, after)
    assert low - USAGE_TOLERANCE <= memory["used"] <= high + USAGE_TOLERANCE
    assert memory["used"] > 20 * 1024**2  # a running Jupyter server, not an empty cgroup
    stat = group.keyed("memory", "memory.stat")
    expected_ws = memory["used"] - stat["total_inactive_file"]
    assert abs(memory["working_set"] - expected_ws) <= USAGE_TOLERANCE
    oom_kills = group.keyed("memory", "memory.oom_control")["oom_kill"]
    assert oom_kills == 1
    assert memory["oom_kills"] == oom_kills
    assert "oom_kill" in [w["kind"] for w in data["warnings"]]
    throttled = group.keyed("cpu", "cpu.stat")["nr_throttled"]
    assert cpu["nr_throttled"] <= throttled
    assert isinstance(cpu["used_cores"], float) and cpu["used_cores"] >= 0
