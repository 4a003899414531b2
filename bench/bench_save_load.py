"""``GET binder/api/limits`` while seven 1 GB saves run: saves in their own pool vs the default.

One real ``jupyter server`` with the extension; its repository holds ``--files`` untracked
files of ``--size-mb`` MiB each, real data (random bytes, not sparse), and its persistent
volume is a folder on the same disk. A prober sends ``GET binder/api/limits`` every
``--probe-interval`` seconds, without waiting for the last answer (as a panel polls on a
timer), in three phases of the same server:

- idle: no save running, for ``--idle`` seconds;
- ours: ``--files`` concurrent ``POST binder/api/work/save {"to": "persistent", "paths":
  [one file]}``, which run in the saves' own small pool (``SAVE_WORKERS`` threads);
- anchor: the same saves through a route that runs the same copy in the server's default
  thread pool, as ``POST work/save`` did before (added by this file, loaded into the server
  as a small extension). That pool also serves ``GET limits``' cgroup reads.

The copies are removed and the disk synced between phases, so each phase copies every byte.
Figures: the limits answer time (median, p95, max) per phase, each phase's wall time and
that every save answered with its copy.

Run: ``.venv/bin/python bench/bench_save_load.py`` (``--json`` for machine-readable output;
``--files 3 --size-mb 64`` for a quick look).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
from tornado.httpclient import AsyncHTTPClient

ANCHOR_ROUTE = "/binder/bench/save-in-default-pool"
SAVE_ROUTE = "/binder/api/work/save"
LIMITS_ROUTE = "/binder/api/limits"
MIB = 1024 * 1024
# The user and server the saves' instance folder is named after (as under a BinderHub).
LAUNCH_ENV = {
    "JUPYTERHUB_USER": "bench",
    "JUPYTERHUB_SERVER_NAME": "o-r-ab12cd34",
    "BINDER_REPO_URL": "https://github.com/o/r",
    "BINDER_REQUEST": "v2/gh/o/r/main",
}


# -- the anchor, loaded into the benchmarked server as an extension of its own ---------------


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "bench_save_load"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.base.handlers import APIHandler
    from tornado import web
    from tornado.ioloop import IOLoop

    from jupyter_binder_ext.work.save_persistent import save_to_persistent

    class SaveInDefaultPool(APIHandler):
        """The copy to the volume as ``POST work/save`` ran it before: default thread pool."""

        @web.authenticated
        async def post(self) -> None:
            paths = list(json.loads(self.request.body)["paths"])
            state = self.settings["binder_ext"]
            service = state.work_service
            answer = await IOLoop.current().run_in_executor(
                None, save_to_persistent, state.site, state.launch(), service.home, paths, False
            )
            self.finish(json.dumps(answer))

    base = serverapp.web_app.settings["base_url"].rstrip("/")
    serverapp.web_app.add_handlers(".*$", [(base + ANCHOR_ROUTE, SaveInDefaultPool)])


# -- the server and its files ----------------------------------------------------------------


def write_real_file(path: Path, size: int) -> None:
    """`size` bytes of random data written out (no holes), one MiB block repeated."""
    block = os.urandom(MIB)
    with path.open("wb") as handle:
        left = size
        while left > 0:
            left -= handle.write(block[: min(MIB, left)])


class Server(common.BenchServer):
    def __init__(self, workdir: Path, volume: Path, repo: Path) -> None:
        binder = {"persistent_volume_template": str(volume), "repo_dir": str(repo)}
        env = {**LAUNCH_ENV, "HOME": str(repo.parent)}
        super().__init__(workdir, "bench_save_load", binder, repo.parent, env)


# -- the load --------------------------------------------------------------------------------


async def request(
    client: AsyncHTTPClient, server: Server, path: str, body: Any = None, timeout: float = 600
) -> tuple[float, Any]:
    """(seconds, parsed answer) of one authenticated GET, or POST when `body` is given."""
    began = time.perf_counter()
    response = await client.fetch(
        server.url(path),
        method="GET" if body is None else "POST",
        body=None if body is None else json.dumps(body),
        headers={"Authorization": f"token {server.token}"},
        request_timeout=timeout,
    )
    return time.perf_counter() - began, json.loads(response.body or b"null")


async def wait_ready(client: AsyncHTTPClient, server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            await request(client, server, "/api/status", timeout=2)
            return
        except Exception:  # not up yet
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


async def probe_limits(
    client: AsyncHTTPClient, server: Server, stop: asyncio.Event, interval: float
) -> list[float]:
    """Seconds of each ``GET limits``, one sent every `interval` whether or not the last has
    answered (a panel polls on a timer): a stall shows in every request it holds up, not in
    one sample."""
    sent: list[asyncio.Future[tuple[float, Any]]] = []
    while not stop.is_set():
        sent.append(asyncio.ensure_future(request(client, server, LIMITS_ROUTE)))
        await asyncio.sleep(interval)
    return [took for took, _ in await asyncio.gather(*sent)]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _figures(limits: list[float]) -> dict[str, Any]:
    return {
        "limits_answers": len(limits),
        "limits_median_ms": round(statistics.median(limits) * 1000, 1),
        "limits_p95_ms": round(_p95(limits) * 1000, 1),
        "limits_max_ms": round(max(limits) * 1000, 1),
    }


async def saves_phase(
    client: AsyncHTTPClient, server: Server, route: str, names: list[str], interval: float
) -> dict[str, Any]:
    stop = asyncio.Event()
    prober = asyncio.ensure_future(probe_limits(client, server, stop, interval))
    began = time.monotonic()
    body = {"to": "persistent"}
    answers = await asyncio.gather(
        *(request(client, server, route, {**body, "paths": [name]}) for name in names)
    )
    seconds = time.monotonic() - began
    stop.set()
    limits = await prober
    copied = sorted(c["path"] for _, answer in answers for c in answer["copied"])
    return {
        "seconds": round(seconds, 1),
        "saves_answered": len(answers),
        "all_copied": copied == sorted(names),
        "folders": sorted({answer["folder"] for _, answer in answers}),
        **_figures(limits),
    }


def clear_copies(folders: list[str]) -> None:
    """Remove a phase's copies and flush the disk, so the next phase copies every byte."""
    for folder in folders:
        shutil.rmtree(folder)
    os.sync()


async def measure(server: Server, names: list[str], idle: float, interval: float) -> dict[str, Any]:
    # Room for every probe a stall holds up, so none waits in the client's own queue.
    AsyncHTTPClient.configure(None, max_clients=len(names) + 500)
    client = AsyncHTTPClient()
    await wait_ready(client, server)
    await request(client, server, LIMITS_ROUTE)  # the first read samples the CPU clock
    stop = asyncio.Event()
    prober = asyncio.ensure_future(probe_limits(client, server, stop, interval))
    await asyncio.sleep(idle)
    stop.set()
    quiet = _figures(await prober)
    ours = await saves_phase(client, server, SAVE_ROUTE, names, interval)
    await asyncio.to_thread(clear_copies, ours["folders"])
    anchor = await saves_phase(client, server, ANCHOR_ROUTE, names, interval)
    return {"idle": quiet, "ours": ours, "anchor": anchor}


def run(files: int, size_mb: int, idle: float, interval: float) -> dict[str, Any]:
    from jupyter_binder_ext.work.service import SAVE_WORKERS

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        volume, repo = workdir / "volume", workdir / "home" / "proj"
        volume.mkdir()
        repo.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        began = time.monotonic()
        names = [f"data-{index}.bin" for index in range(files)]
        for name in names:
            write_real_file(repo / name, size_mb * MIB)
        os.sync()
        made_in = time.monotonic() - began
        server = Server(workdir, volume, repo)
        try:
            phases = asyncio.run(measure(server, names, idle, interval))
        finally:
            server.stop()
    ours, anchor = phases["ours"], phases["anchor"]
    return {
        "figure": "GET limits during large saves",
        "files": files,
        "size_mb": size_mb,
        "save_workers": SAVE_WORKERS,
        "default_pool_workers": min(32, (os.cpu_count() or 1) + 4),
        "probe_interval_s": interval,
        "files_made_in_s": round(made_in, 1),
        "phases": phases,
        "ratio_limits_p95": round(anchor["limits_p95_ms"] / ours["limits_p95_ms"], 1),
        "ratio_limits_median": round(anchor["limits_median_ms"] / ours["limits_median_ms"], 1),
        "ours_p95_of_idle": round(ours["limits_p95_ms"] / phases["idle"]["limits_p95_ms"], 2),
        "all_saved": bool(ours["all_copied"] and anchor["all_copied"]),
    }


def print_table(r: dict[str, Any]) -> None:
    phases = r["phases"]
    print(
        f"GET binder/api/limits every {r['probe_interval_s']:g} s while {r['files']} saves of "
        f"{r['size_mb']} MiB each copy to the volume (save pool: {r['save_workers']} threads; "
        f"default pool: {r['default_pool_workers']})"
    )
    print(f"{'':26}{'no save':>12}{'save pool':>12}{'default pool':>14}")
    for label, key in (
        ("limits answers", "limits_answers"),
        ("limits median (ms)", "limits_median_ms"),
        ("limits p95 (ms)", "limits_p95_ms"),
        ("limits max (ms)", "limits_max_ms"),
    ):
        row = [phases[name][key] for name in ("idle", "ours", "anchor")]
        print(f"  {label:24}{row[0]:>12}{row[1]:>12}{row[2]:>14}")
    ours, anchor = phases["ours"], phases["anchor"]
    print(f"  {'saves wall time (s)':24}{'':>12}{ours['seconds']:>12}{anchor['seconds']:>14}")
    print(
        f"  limits p95 {r['ratio_limits_p95']}x faster with the save pool "
        f"({r['ours_p95_of_idle']}x of idle); every save copied its file: "
        f"{'yes' if r['all_saved'] else 'NO'}"
    )


def main() -> int:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--files", type=int, default=7, help="concurrent saves, one file each")
    parser.add_argument("--size-mb", type=int, default=1024, help="MiB per file")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds probed with no save")
    parser.add_argument(
        "--probe-interval", type=float, default=0.1, help="seconds between limits requests"
    )
    args = parser.parse_args()
    result = run(args.files, args.size_mb, args.idle, args.probe_interval)
    common.report(result, args.json, print_table)
    return 0 if result["all_saved"] else 1


if __name__ == "__main__":
    sys.exit(main())
