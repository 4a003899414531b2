"""Hub requests caused by many browser tabs polling ``GET binder/api/projects``.

A real demo hub (the jupyterhub package behind configurable-http-proxy, on free loopback
ports, state in a temporary folder) starts one named server for a user, with the user_options
BinderHub sends. Then 50 concurrent pollers, each standing for one browser tab, call
``GET /user/<u>/<server>/binder/api/projects`` through the proxy back to back for ~20 s. The
figure is how many requests for the user's model reached the hub in that time, counted in the
hub's own access log: the server-side cache (``BinderExt.projects_cache_ttl``) should let at
most one through per interval, however many tabs poll.

Anchor: the same 50 pollers calling the hub's own ``GET /hub/api/users/<u>?
include_stopped_servers=1`` directly through the proxy, which is what every tab would cost
the hub without the server-side cache. Both phases run in the same hub, one after the other.

Run: ``.venv/bin/python bench/bench_sessions.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import common
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from jupyter_binder_ext.demo.runner import DemoHub

USER = "bench-poller"
SERVER = "o-r-poll0001"
USER_MODEL = f"/users/{USER}?include_stopped_servers=1"
# "[I 2025-01-01 12:00:00.123 JupyterHub log:192] 200 GET /hub/api/users/... (...) 3.1ms"
LOG_LINE = re.compile(r"^\[\w (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*?\] \d{3} (\w+) (\S+) ")
# Hub log timestamps have millisecond precision; allow that much slack on a gap.
GAP_SLACK_S = 0.05


async def poll(url: str, token: str, pollers: int, duration: float) -> dict[str, Any]:
    """`pollers` concurrent loops GETting `url` back to back until `duration` has passed."""
    client = AsyncHTTPClient(force_instance=True, max_clients=pollers)
    latencies: list[float] = []
    failures: dict[str, int] = {}
    began = time.monotonic()
    stop_at = began + duration

    async def one_tab() -> None:
        while time.monotonic() < stop_at:
            request = HTTPRequest(
                url, headers={"Authorization": f"token {token}"}, request_timeout=60
            )
            sent = time.monotonic()
            try:
                response = await client.fetch(request)
                body = json.loads(response.body)
                if isinstance(body, dict) and body.get("available") is False:
                    failures["not available"] = failures.get("not available", 0) + 1
                    continue
            except HTTPClientError as err:
                failures[str(err.code)] = failures.get(str(err.code), 0) + 1
                continue
            except (OSError, ValueError) as err:
                failures[type(err).__name__] = failures.get(type(err).__name__, 0) + 1
                continue
            latencies.append(time.monotonic() - sent)

    await asyncio.gather(*(one_tab() for _ in range(pollers)))
    elapsed = time.monotonic() - began
    client.close()
    return {
        "answered": len(latencies),
        "failed": failures,
        "seconds": elapsed,
        "client_requests_per_s": len(latencies) / elapsed,
        "client_median_ms": statistics.median(latencies) * 1000 if latencies else None,
    }


def hub_requests_since(hub: DemoHub, offset: int, path: str) -> list[datetime]:
    """When the hub logged each ``GET /hub/api{path}`` after byte `offset` of its log."""
    with hub.hub_log.open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    stamps = []
    for line in text.splitlines():
        match = LOG_LINE.match(line)
        if match and match.group(2) == "GET" and match.group(3) == f"/hub/api{path}":
            stamps.append(datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S.%f"))
    return stamps


def phase(
    hub: DemoHub, url: str, token: str, pollers: int, duration: float, ttl: float | None
) -> dict[str, Any]:
    """Poll `url`, then read from the hub's log how many user-model requests reached it."""
    time.sleep(0.5)  # the hub logs a request just after answering it: let the last land
    offset = hub.hub_log.stat().st_size
    counted_before = hub.count_api_requests("GET", USER_MODEL)
    clients = asyncio.run(poll(url, token, pollers, duration))
    time.sleep(1.0)
    stamps = hub_requests_since(hub, offset, USER_MODEL)
    counted = hub.count_api_requests("GET", USER_MODEL) - counted_before
    if counted != len(stamps):
        raise SystemExit(f"the hub log disagrees with itself: {counted} != {len(stamps)}")
    seconds = clients["seconds"]
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
    result: dict[str, Any] = {
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in clients.items()},
        "hub_requests": counted,
        "hub_requests_per_s": round(counted / seconds, 3),
        "min_gap_s": round(min(gaps), 3) if gaps else None,
    }
    if ttl:  # when each reached the hub, seconds after the first (a handful at most)
        result["hub_request_times_s"] = [round((t - stamps[0]).total_seconds(), 3) for t in stamps]
    if ttl:
        result["hub_requests_per_interval"] = round(counted * ttl / seconds, 3)
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        extension_args = [f"--BinderExt.projects_cache_ttl={args.ttl}"]
        with DemoHub(Path(tmp), port=0, extension_args=extension_args) as hub:
            hub.start_server(USER, SERVER, hub.binder_options("o", "r"))
            token = hub.user_token(USER)
            ours_url = f"{hub.url}user/{USER}/{SERVER}/binder/api/projects"
            anchor_url = f"{hub.url}hub/api{USER_MODEL}"
            # One unmeasured call each: the server's token check and first fetch are done.
            for url in (ours_url, anchor_url):
                asyncio.run(poll(url, token, 1, 0.01))
            ours = phase(hub, ours_url, token, args.pollers, args.duration, args.ttl)
            anchor = phase(hub, anchor_url, token, args.pollers, args.duration, None)
    for name, figures in (("ours", ours), ("anchor", anchor)):
        if figures["failed"] or not figures["answered"]:
            raise SystemExit(f"{name}: failed requests {figures['failed']}")
    per_interval = ours["hub_requests_per_interval"]
    gap_ok = ours["min_gap_s"] is None or ours["min_gap_s"] >= args.ttl - GAP_SLACK_S
    return {
        "figure": "hub requests from 50 polling tabs",
        "ours": f"GET /user/<u>/<server>/binder/api/projects ({args.pollers} pollers)",
        "anchor": f"GET /hub/api{USER_MODEL} directly ({args.pollers} pollers)",
        "pollers": args.pollers,
        "duration_s": args.duration,
        "cache_ttl_s": args.ttl,
        "phases": {"ours": ours, "anchor": anchor},
        "ratio": round(anchor["hub_requests_per_s"] / max(ours["hub_requests_per_s"], 1e-9), 1),
        "target": {
            "limit": "at most 1 hub request per cache interval",
            "value": per_interval,
            "min_gap_s": ours["min_gap_s"],
            "met": gap_ok and per_interval <= 1.0 + args.ttl / args.duration,
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def print_table(result: dict[str, Any]) -> None:
    ours, anchor = result["phases"]["ours"], result["phases"]["anchor"]
    print(f"ours:   {result['ours']}, cache interval {result['cache_ttl_s']} s")
    print(f"anchor: {result['anchor']}")
    print(f"each phase ~{result['duration_s']} s, through the proxy, one real hub\n")
    print(f"{'':>26}{'ours':>12}{'anchor':>12}")
    rows = (
        ("answered to the pollers", "answered", "d"),
        ("client req/s", "client_requests_per_s", ".1f"),
        ("client median ms", "client_median_ms", ".1f"),
        ("hub requests", "hub_requests", "d"),
        ("hub req/s", "hub_requests_per_s", ".3f"),
    )
    for label, key, fmt in rows:
        print(f"{label:>26}{format(ours[key], fmt):>12}{format(anchor[key], fmt):>12}")
    target = result["target"]
    print(f"\nratio (anchor hub req/s / ours): {result['ratio']:.1f}x")
    print(
        f"target: {target['limit']}: {target['value']:.2f} per interval, closest two "
        f"{target['min_gap_s']} s apart -> {common.verdict(target['met'])}"
    )
    print(f"(took {result['seconds']} s)")


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--pollers", type=int, default=50, help="concurrent pollers (tabs)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument(
        "--ttl", type=float, default=5.0, help="BinderExt.projects_cache_ttl for the server"
    )
    args = parser.parse_args()
    common.report(run(args), args.json, print_table)


if __name__ == "__main__":
    main()
