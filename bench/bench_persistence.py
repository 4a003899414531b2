"""The persistence read under load: 50 polling tabs, 100k files on the volume, shared vs not.

One real ``jupyter server`` with the extension; its persistent volume is a folder holding
``--files`` files in ``--folders`` instance folders. Two phases of ``--duration`` seconds
each, one after the other in the same server. Ours: ``--pollers`` tabs call ``GET
binder/api/persistence`` every ``--poll-interval`` seconds (one shared, coalesced scan per
interval, in a thread of its own). Anchor: the same tabs call a route that makes the same
read for every request in the server's default thread pool, as the extension did before
(added by this file, loaded into the server as a small extension). A tab whose answer comes
late asks again at once. Meanwhile a prober calls ``GET binder/api/limits`` every 0.2 s.

Figures: answer time (median, p95), answers, volume scans made (and per scan interval), and
the limits answer time during each phase next to an idle baseline. ``--poll-interval 0``
polls back to back: then our answers come so fast that 50 clients keep the event loop busy
with HTTP alone.

Run: ``.venv/bin/python bench/bench_persistence.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import common

ANCHOR_ROUTE = "/binder/bench/persistence-unshared"
COUNT_ROUTE = "/binder/bench/scans"
_anchor_scans = 0


# -- the anchor, loaded into the benchmarked server as an extension of its own ---------------


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "bench_persistence"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.base.handlers import APIHandler
    from tornado import web

    class UnsharedPersistence(APIHandler):
        """The persistence read as it was: one full read per request, default thread pool."""

        @web.authenticated
        async def get(self) -> None:
            global _anchor_scans
            _anchor_scans += 1
            state = self.settings["binder_ext"]
            data = await state.persistence()  # a full read of its own, in a worker thread
            self.finish(json.dumps(data))

    class Scans(APIHandler):
        @web.authenticated
        def get(self) -> None:
            shared = self.settings["binder_ext"].volume_read
            self.finish(
                json.dumps({"ours": shared.scans if shared else 0, "anchor": _anchor_scans})
            )

    base = serverapp.web_app.settings["base_url"].rstrip("/")
    serverapp.web_app.add_handlers(
        ".*$", [(base + ANCHOR_ROUTE, UnsharedPersistence), (base + COUNT_ROUTE, Scans)]
    )


# -- the load --------------------------------------------------------------------------------


def make_volume(volume: Path, files: int, folders: int) -> None:
    per_folder = files // folders
    for index in range(folders):
        folder = volume / f"project-{index:02d}"
        folder.mkdir(parents=True)
        for number in range(per_folder):
            fd = os.open(folder / f"f{number}", os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, b"x" * 100)
            os.close(fd)


class Server(common.BenchServer):
    def __init__(self, workdir: Path, volume: Path) -> None:
        root = workdir / "root"
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        binder = {"persistent_volume_template": str(volume), "repo_dir": str(root)}
        super().__init__(workdir, "bench_persistence", binder, root)


async def fetch(client: Any, server: Server, path: str, timeout: float = 120) -> float:
    """Seconds for one authenticated GET (raises on a non-2xx answer)."""
    began = time.perf_counter()
    await client.fetch(
        server.url(path),
        headers={"Authorization": f"token {server.token}"},
        request_timeout=timeout,
    )
    return time.perf_counter() - began


async def wait_ready(client: Any, server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            await fetch(client, server, "/api/status", 2)
            return
        except Exception:  # not up yet
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


async def probe_limits(client: Any, server: Server, stop: asyncio.Event) -> list[float]:
    times: list[float] = []
    while not stop.is_set():
        times.append(await fetch(client, server, "/binder/api/limits"))
        await asyncio.sleep(0.2)
    return times


async def scans(client: Any, server: Server) -> dict[str, int]:
    response = await client.fetch(
        server.url(COUNT_ROUTE), headers={"Authorization": f"token {server.token}"}
    )
    return dict(json.loads(response.body))


@dataclass(frozen=True)
class Load:
    pollers: int  # tabs polling at once
    interval: float  # seconds between one tab's polls
    duration: float  # seconds the phase lasts


async def phase(client: Any, server: Server, path: str, load: Load, which: str) -> dict[str, Any]:
    pollers, interval, duration = load.pollers, load.interval, load.duration
    before = (await scans(client, server))[which]
    stop = asyncio.Event()
    answers: list[float] = []

    async def poll() -> None:
        while not stop.is_set():
            took = await fetch(client, server, path)
            answers.append(took)
            # A tab asks again one interval after it asked (at once when the answer was late).
            await asyncio.sleep(max(0.0, interval - took))

    began = time.monotonic()
    prober = asyncio.ensure_future(probe_limits(client, server, stop))
    tasks = [asyncio.ensure_future(poll()) for _ in range(pollers)]
    await asyncio.sleep(duration)
    stop.set()
    await asyncio.gather(*tasks)
    limits = await prober
    seconds = time.monotonic() - began
    made = (await scans(client, server))[which] - before
    return {
        "seconds": round(seconds, 1),
        "answered": len(answers),
        "answer_median_ms": round(statistics.median(answers) * 1000, 1),
        "answer_p95_ms": round(_p95(answers) * 1000, 1),
        "scans": made,
        "limits_median_ms": round(statistics.median(limits) * 1000, 1),
        "limits_p95_ms": round(_p95(limits) * 1000, 1),
        "limits_max_ms": round(max(limits) * 1000, 1),
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


async def measure(server: Server, pollers: int, interval: float, duration: float) -> dict[str, Any]:
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=pollers + 8)
    client = AsyncHTTPClient()
    await wait_ready(client, server)
    await fetch(client, server, "/binder/api/limits")  # first read samples the CPU clock
    idle_stop = asyncio.Event()
    idle = asyncio.ensure_future(probe_limits(client, server, idle_stop))
    await asyncio.sleep(3)
    idle_stop.set()
    idle_limits = await idle
    load = Load(pollers, interval, duration)
    ours = await phase(client, server, "/binder/api/persistence", load, "ours")
    anchor = await phase(client, server, ANCHOR_ROUTE, load, "anchor")
    return {
        "idle_limits_median_ms": round(statistics.median(idle_limits) * 1000, 1),
        "ours": ours,
        "anchor": anchor,
    }


def run(files: int, folders: int, pollers: int, interval: float, duration: float) -> dict[str, Any]:
    from jupyter_binder_ext.persistence.shared_read import SCAN_INTERVAL
    from jupyter_binder_ext.persistence.volume import SCAN_FILE_LIMIT

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        volume = workdir / "volume"
        began = time.monotonic()
        make_volume(volume, files, folders)
        made_in = time.monotonic() - began
        server = Server(workdir, volume)
        try:
            phases = asyncio.run(measure(server, pollers, interval, duration))
        finally:
            server.stop()
    ours, anchor = phases["ours"], phases["anchor"]
    intervals = duration / SCAN_INTERVAL
    for item in (ours, anchor):
        item["scans_per_interval"] = round(item["scans"] / intervals, 2)
    return {
        "figure": "persistence read under load",
        "files": files,
        "folders": folders,
        "pollers": pollers,
        "poll_interval_s": interval,
        "duration_s": duration,
        "scan_interval_s": SCAN_INTERVAL,
        "scan_file_limit": SCAN_FILE_LIMIT,
        "volume_made_in_s": round(made_in, 1),
        "idle_limits_median_ms": phases["idle_limits_median_ms"],
        "phases": {"ours": ours, "anchor": anchor},
        "ratio_answer_median": round(anchor["answer_median_ms"] / ours["answer_median_ms"], 1),
        "ratio_limits_p95": round(anchor["limits_p95_ms"] / ours["limits_p95_ms"], 1),
        "target": {
            "scans_per_interval_at_most": 1.0,
            # One scan per interval, plus the one a phase may start just before its end.
            "met": ours["scans"] <= intervals + 1,
        },
    }


def print_table(r: dict[str, Any]) -> None:
    ours, anchor = r["phases"]["ours"], r["phases"]["anchor"]
    print(
        f"Persistence read: {r['pollers']} tabs polling every {r['poll_interval_s']:g} s for "
        f"{r['duration_s']:g} s, "
        f"{r['files']} files in {r['folders']} folders (scan interval {r['scan_interval_s']:g} s,"
        f" at most {r['scan_file_limit']} files per scan)"
    )
    print(f"{'':34}{'shared (ours)':>16}{'per request':>16}")
    for label, key in (
        ("answers", "answered"),
        ("answer median (ms)", "answer_median_ms"),
        ("answer p95 (ms)", "answer_p95_ms"),
        ("volume scans", "scans"),
        ("scans per interval", "scans_per_interval"),
        ("GET limits median (ms)", "limits_median_ms"),
        ("GET limits p95 (ms)", "limits_p95_ms"),
        ("GET limits max (ms)", "limits_max_ms"),
    ):
        print(f"  {label:32}{ours[key]:>16}{anchor[key]:>16}")
    print(f"  GET limits median when idle: {r['idle_limits_median_ms']} ms")
    print(
        f"  answer median {r['ratio_answer_median']}x faster, limits p95 "
        f"{r['ratio_limits_p95']}x faster; at most one scan per interval: "
        f"{common.verdict(r['target']['met'])}"
    )


def main() -> int:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--files", type=int, default=100_000, help="files on the volume")
    parser.add_argument("--folders", type=int, default=20, help="instance folders")
    parser.add_argument("--pollers", type=int, default=50, help="concurrent polling tabs")
    parser.add_argument(
        "--poll-interval", type=float, default=1.0, help="seconds between a tab's requests"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    args = parser.parse_args()
    result = run(args.files, args.folders, args.pollers, args.poll_interval, args.duration)
    common.report(result, args.json, print_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
