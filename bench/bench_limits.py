"""Server-side latency of ``GET binder/api/limits`` against jupyter-resource-usage's metrics.

One real ``jupyter server`` runs both extensions. The anchor, jupyter-resource-usage's
``GET /api/metrics/v1``, walks the server's whole process tree with psutil on every request;
ours reads a handful of cgroup files. Both are requested alternately in the same server and
run, first with no extra process under the server, then with 300 ``sleep`` processes under it.
The 300 are really descendants of the server: the bench opens a terminal through the
server's REST API (the server forks its shell) and starts them from that shell.

The latency is the server's own: tornado's request time, as the server logs it for each
request (``200 GET /binder/api/limits (...) 0.42ms``), so HTTP client overhead is left out.

Run: ``.venv/bin/python bench/bench_limits.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import common
import psutil
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

OURS = "/binder/api/limits"
ANCHOR = "/api/metrics/v1"
# A trivial authenticated GET: the server's own floor (auth, routing, logging) for both.
FLOOR = "/api/status"
TARGET_RATIO_AT_300 = 20.0
# "Flat": our median with 300 processes at most this many times our median with none.
FLAT_FACTOR = 1.3
LOG_LINE = re.compile(r"\b200 GET (\S+?)(?:\?\S*)? \(.*?\) ([0-9.]+)ms")


class Server:
    """A jupyter server with both extensions, logging every request with its duration."""

    def __init__(self, workdir: Path, track_cpu: bool) -> None:
        self.port, self.token = common.free_port(), secrets.token_hex(16)
        self.log_path = workdir / "server.log"
        root = workdir / "root"
        root.mkdir()
        env = common.plain_env()
        env.update(
            JUPYTER_CONFIG_DIR=str(workdir / "config"),
            JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
            SHELL="/bin/bash",
        )
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                str(common.VENV_BIN / "jupyter"),
                "server",
                "--allow-root",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.token={self.token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.log_level=DEBUG",
                "--ServerApp.jpserver_extensions=jupyter_binder_ext=True",
                "--ServerApp.jpserver_extensions=jupyter_resource_usage=True",
                "--ServerApp.jpserver_extensions=jupyter_server_terminals=True",
                f"--ResourceUseDisplay.track_cpu_percent={track_cpu}",
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str) -> tuple[int, bytes]:
        self.conn.request(method, path, headers={"Authorization": f"token {self.token}"})
        response = self.conn.getresponse()
        return response.status, response.read()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"jupyter server exited:\n{self.log_tail()}")
            try:
                if self.request("GET", "/api/status")[0] == 200:
                    return
            except OSError:
                self.conn.close()
                time.sleep(0.2)
        raise SystemExit(f"jupyter server did not answer in {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def log_offset(self) -> int:
        self._log.flush()
        return self.log_path.stat().st_size

    def request_times(self, since: int) -> dict[str, list[float]]:
        """Server-side request times (ms) logged since byte offset ``since``, per path."""
        time.sleep(0.2)  # let the server flush its last lines
        with self.log_path.open("rb") as file:
            file.seek(since)
            text = file.read().decode(errors="replace")
        times: dict[str, list[float]] = {}
        for match in LOG_LINE.finditer(text):
            times.setdefault(match.group(1), []).append(float(match.group(2)))
        return times

    def descendants(self) -> list[psutil.Process]:
        children: list[psutil.Process] = psutil.Process(self.process.pid).children(recursive=True)
        return children

    def count_named(self, name: str) -> int:
        count = 0
        for process in self.descendants():
            with contextlib.suppress(psutil.NoSuchProcess):  # a short-lived one just ended
                count += process.name() == name
        return count

    def settle(self, timeout: float = 20) -> None:
        """Wait until start-up helpers the server forks (e.g. an ``npm`` probe) are gone."""
        deadline = time.monotonic() + timeout
        while self.descendants() and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop(self) -> None:
        children = self.descendants()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(children, timeout=10)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.conn.close()
        self._log.close()


async def spawn_under_server(server: Server, count: int) -> None:
    """Open a terminal through the API and start ``count`` sleeps from its shell."""
    status, body = server.request("POST", "/api/terminals")
    if status != 200:
        raise SystemExit(f"could not open a terminal ({status}): {body[:200]!r}")
    name = json.loads(body)["name"]
    url = f"ws://127.0.0.1:{server.port}/terminals/websocket/{name}"
    request = HTTPRequest(url, headers={"Authorization": f"token {server.token}"})
    socket_ = await websocket_connect(request)
    command = f"for i in $(seq {count}); do sleep 3600 & done; echo spawned-{count}\r"
    socket_.write_message(json.dumps(["stdin", command]))
    deadline = time.monotonic() + 60
    while server.count_named("sleep") < count:
        if time.monotonic() > deadline:
            raise SystemExit("the terminal did not start the sleep processes in 60 s")
        await asyncio.sleep(0.2)
    socket_.close()


def measure(server: Server, rounds: int, warmup: int) -> dict[str, list[float]]:
    for _ in range(warmup):
        for path in (OURS, ANCHOR):
            status, body = server.request("GET", path)
            if status != 200:
                raise SystemExit(f"GET {path} answered {status}: {body[:300]!r}")
    time.sleep(0.2)  # the server logs a request just after answering it: let the last land
    since = server.log_offset()
    for i in range(rounds):
        # Alternate which goes first, so neither always meets a warmer cache.
        for path in (OURS, ANCHOR, FLOOR) if i % 2 == 0 else (ANCHOR, OURS, FLOOR):
            server.request("GET", path)
    times = server.request_times(since)
    for path in (OURS, ANCHOR, FLOOR):
        if len(times.get(path, [])) != rounds:
            raise SystemExit(
                f"expected {rounds} logged requests for {path}: {len(times.get(path, []))}"
            )
    return times


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
    }


def thread_hop(rounds: int) -> dict[str, float]:
    """What one answer's kernel reads cost on this machine's own cgroup, read on the calling
    thread and through one ``asyncio.to_thread`` hop (what the route does): whether the hop
    is worth its price is read from these two figures."""
    from jupyter_binder_ext.config import SiteConfig
    from jupyter_binder_ext.limits.reader import LimitsReader

    reader = LimitsReader(SiteConfig(), env={})
    reader.layout()  # found once, as a running server has it

    def inline() -> float:
        start = time.perf_counter()
        reader.gather_files()
        return time.perf_counter() - start

    async def hopped() -> list[float]:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            await asyncio.to_thread(reader.gather_files)
            times.append(time.perf_counter() - start)
        return times

    direct = [inline() for _ in range(rounds)]
    through_thread = asyncio.run(hopped())
    return {
        "inline_median_us": round(statistics.median(direct) * 1e6, 1),
        "thread_hop_median_us": round(statistics.median(through_thread) * 1e6, 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    hop = thread_hop(args.rounds * 5)
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as tmp:
        server = Server(Path(tmp), track_cpu=args.anchor_track_cpu)
        try:
            server.wait_ready()
            server.settle()
            phases: dict[str, Any] = {}
            for extra in (0, args.processes):
                if extra:
                    asyncio.run(spawn_under_server(server, extra))
                under = len(server.descendants())
                times = measure(server, args.rounds, args.warmup)
                phases[str(extra)] = {
                    "descendants_of_server": under,
                    "ours": summary(times[OURS]),
                    "anchor": summary(times[ANCHOR]),
                    "floor": summary(times[FLOOR]),
                }
        finally:
            server.stop()
    for phase in phases.values():
        for stat in ("median_ms", "p90_ms"):
            phase[f"ratio_{stat}"] = round(phase["anchor"][stat] / phase["ours"][stat], 1)
    zero, many = phases["0"], phases[str(args.processes)]
    flat = many["ours"]["median_ms"] / zero["ours"]["median_ms"]
    return {
        "ours": f"GET {OURS}",
        "anchor": (
            f"GET {ANCHOR} (jupyter-resource-usage, track_cpu_percent={args.anchor_track_cpu})"
        ),
        "floor": f"GET {FLOOR} (the server's own overhead for any authenticated request)",
        "measure": "server-side request time from the server's own log, ms",
        "rounds": args.rounds,
        "phases": phases,
        "ours_300_over_0": round(flat, 2),
        "kernel_reads": hop,
        "targets": {
            "ours_flat": {
                "limit": FLAT_FACTOR,
                "value": round(flat, 2),
                "met": flat <= FLAT_FACTOR,
            },
            f"ratio_at_{args.processes}": {
                "limit": TARGET_RATIO_AT_300,
                "value": many["ratio_median_ms"],
                "met": many["ratio_median_ms"] >= TARGET_RATIO_AT_300,
            },
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def print_table(result: dict[str, Any], processes: int) -> None:
    print(f"ours:    {result['ours']}")
    print(f"anchor:  {result['anchor']}")
    print(f"floor:   {result['floor']}")
    print(f"measure: {result['measure']}, {result['rounds']} requests each, alternating\n")
    header = f"{'extra procs':>11}{'under server':>14}{'figure':>8}{'ours':>10}{'anchor':>10}"
    print(header + f"{'anchor/ours':>13}{'floor':>10}")
    for extra in ("0", str(processes)):
        phase = result["phases"][extra]
        for stat, name in (("median_ms", "median"), ("p90_ms", "p90")):
            print(
                f"{extra:>11}{phase['descendants_of_server']:>14}{name:>8}"
                f"{phase['ours'][stat]:>8.2f}ms{phase['anchor'][stat]:>8.2f}ms"
                f"{phase['ratio_' + stat]:>12.1f}x{phase['floor'][stat]:>8.2f}ms"
            )
    targets = result["targets"]
    flat = targets["ours_flat"]
    ratio = targets[f"ratio_at_{processes}"]
    print(
        f"\ntarget: ours flat (median at {processes} / at 0 <= {flat['limit']}): "
        f"{flat['value']:.2f} -> {common.verdict(flat['met'])}"
    )
    print(
        f"target: >= {ratio['limit']:.0f}x faster at {processes} (median): "
        f"{ratio['value']:.1f}x -> {common.verdict(ratio['met'])}"
    )
    print(f"(took {result['seconds']} s)")


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="requests per endpoint and phase")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests first")
    parser.add_argument("--processes", type=int, default=300, help="processes in the second phase")
    parser.add_argument(
        "--anchor-track-cpu",
        action="store_true",
        help="let jupyter-resource-usage also report CPU (off by default, as it ships)",
    )
    args = parser.parse_args()
    common.report(run(args), args.json, lambda result: print_table(result, args.processes))


if __name__ == "__main__":
    main()
