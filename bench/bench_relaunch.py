"""Relaunch in the demo: from ``POST binder/api/relaunch`` to the new server being ready.

A real demo hub (the jupyterhub package behind configurable-http-proxy, free loopback ports,
state in a temporary folder) runs one server of the sample repository for a user, launched
with the user_options BinderHub sends. Each run of ours:

1. ``POST /user/<u>/<server>/binder/api/relaunch`` with ``{"values": {"meml": N}}`` (N
   alternates, so every run writes, commits and pushes a new ``.resources``);
2. follows the answer as the browser would: for ``kind: "binderhub"`` (the demo serves
   BinderHub-style links at ``{hub}/hub/binder/...``) it opens the launch link with the user's
   hub login cookie, which redirects to the hub's spawn of a new named server; for
   ``kind: "hub"`` the relaunch started the server itself and names it;
3. stops the clock when the new server answers ``GET api/status`` through the proxy.

Anchor: a plain launch of the same repository at the same commit through the same launcher
(the link opened, then the same wait), so the ratio shows what writing, committing and pushing
``.resources`` add to a launch. Each run is followed by its anchor; the new servers are deleted
after each (the demo allows 5 named servers per user). Median of the runs.

Run: ``.venv/bin/python bench/bench_relaunch.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import common

from jupyter_binder_ext.demo.runner import DemoHub, HubBrowser, NoRedirect

USER = "bench-relauncher"
OWNER, REPO = "binder-demo", "sample"
BASE_SERVER = "sample-base0001"
READY_TIMEOUT_S = 180.0
POLL_S = 0.1
MEML_VALUES = (2, 3)


class Launcher:
    """Launch links and relaunches of one user in one demo hub, timed to the server's ready."""

    def __init__(self, hub: DemoHub, token: str, browser: HubBrowser) -> None:
        self.hub, self.token, self.browser = hub, token, browser
        self.no_redirects = urllib.request.build_opener(NoRedirect)

    def server_answers(self, name: str) -> bool:
        """True once the server itself answers through the proxy (not the hub standing in:
        while a server starts, the hub answers its URLs with redirects and progress pages)."""
        request = urllib.request.Request(
            f"{self.hub.url}user/{USER}/{name}/api/status",
            headers={"Authorization": f"token {self.token}"},
        )
        try:
            with self.no_redirects.open(request, timeout=10) as answer:
                return "started" in json.loads(answer.read())
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def wait_ready(self, name: str) -> float:
        """monotonic() when `name` first answers through the proxy."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.server_answers(name):
                return time.monotonic()
            time.sleep(POLL_S)
        raise SystemExit(f"{name} was not ready within {READY_TIMEOUT_S:.0f} s")

    def open_launch_link(self, url: str) -> tuple[str, float]:
        """Open a launch link as the browser does: (new server's name, when it was ready).

        The launcher redirects to ``/hub/spawn/<user>/<name>?opt-...``; the hub holds that
        request while it spawns (up to its slow_spawn_timeout), so it runs in a thread while
        this one watches for the server.
        """
        status, spawn = self.browser.step(url, READY_TIMEOUT_S)
        match = re.match(rf"/hub/spawn/{re.escape(USER)}/([^/?]+)", urlsplit(spawn).path)
        if status not in (302, 303) or match is None:
            raise SystemExit(f"the launch link answered {status} -> {spawn!r}, not a spawn")
        name = match.group(1)
        outcome: dict[str, Any] = {}
        spawning = threading.Thread(
            target=lambda: outcome.update(
                answer=self.browser.step(urljoin(url, spawn), READY_TIMEOUT_S)
            ),
            daemon=True,
        )
        spawning.start()
        ready = self.wait_ready(name)
        spawning.join(READY_TIMEOUT_S)
        spawn_status = outcome.get("answer", (0, ""))[0]
        if spawn_status not in (200, 302, 303):
            raise SystemExit(f"the hub's spawn page answered {spawn_status}")
        return name, ready

    def relaunch(self, meml: int) -> dict[str, Any]:
        """One relaunch, timed from the POST to the new server's ready."""
        began = time.monotonic()
        status, answer = self.hub.server_api(
            self.token,
            USER,
            BASE_SERVER,
            "binder/api/relaunch",
            "POST",
            READY_TIMEOUT_S,
            body={"values": {"meml": meml}},
        )
        answered = time.monotonic()
        if not 200 <= status < 300 or not isinstance(answer, dict):
            raise SystemExit(f"relaunch answered {status}: {str(answer)[:500]!r}")
        launch = answer.get("launch") or {}
        if not answer.get("ok") or not (answer.get("commit") or {}).get("created"):
            raise SystemExit(f"the relaunch did not commit and launch: {answer.get('message')}")
        if launch.get("kind") == "binderhub":
            name, ready = self.open_launch_link(str(launch["url"]))
        elif launch.get("kind") == "hub" and launch.get("server_name"):
            name = str(launch["server_name"])
            ready = self.wait_ready(name)
        else:
            raise SystemExit(f"the relaunch launched nothing: {answer.get('message')}")
        return {
            "kind": launch["kind"],
            "server": name,
            "sha": answer["commit"]["sha"],
            "answer_s": answered - began,
            "ready_s": ready - began,
        }

    def plain_launch(self, sha: str) -> dict[str, Any]:
        """The anchor: the launch link of `sha`, opened, timed to the new server's ready."""
        began = time.monotonic()
        name, ready = self.open_launch_link(f"{self.hub.launch_host}v2/gh/{OWNER}/{REPO}/{sha}")
        return {"server": name, "ready_s": ready - began}

    def current_meml(self) -> Any:
        status, data = self.hub.server_api(self.token, USER, BASE_SERVER, "binder/api/resources")
        if status != 200:
            raise SystemExit(f"GET binder/api/resources answered {status}: {data}")
        return (data.get("values") or {}).get("meml")


def measure(state_dir: Path, runs: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`runs` relaunches, each followed by its anchor, in one demo hub in `state_dir`."""
    ours: list[dict[str, Any]] = []
    anchor: list[dict[str, Any]] = []
    with DemoHub(state_dir, port=0) as hub:
        hub.start_server(USER, BASE_SERVER, hub.binder_options(OWNER, REPO))
        launcher = Launcher(hub, hub.user_token(USER), hub.browser(USER))
        meml = launcher.current_meml()
        for _ in range(runs):
            # A value other than the current one: every run commits something new.
            meml = next(v for v in MEML_VALUES if v != meml)
            relaunched = launcher.relaunch(meml)
            hub.stop_server(USER, relaunched["server"], remove=True)
            plain = launcher.plain_launch(relaunched["sha"])
            hub.stop_server(USER, plain["server"], remove=True)
            ours.append(relaunched)
            anchor.append(plain)
    return ours, anchor


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-relaunch-") as tmp:
        ours, anchor = measure(Path(tmp), args.runs)
    ours_s = statistics.median(r["ready_s"] for r in ours)
    anchor_s = statistics.median(r["ready_s"] for r in anchor)
    return {
        "figure": "relaunch: request to new server ready",
        "ours": "POST binder/api/relaunch {values: {meml}} -> commit, push, launch link "
        "opened -> new server answers",
        "anchor": "the same repository and commit launched through the same launcher",
        "runs": args.runs,
        "launch_kind": ours[0]["kind"],
        "ours_median_s": round(ours_s, 2),
        "ours_answer_median_s": round(statistics.median(r["answer_s"] for r in ours), 2),
        "anchor_median_s": round(anchor_s, 2),
        "added_median_s": round(ours_s - anchor_s, 2),
        "ratio": round(ours_s / anchor_s, 2),
        "samples": {
            "ours_s": [round(r["ready_s"], 2) for r in ours],
            "ours_answer_s": [round(r["answer_s"], 2) for r in ours],
            "anchor_s": [round(r["ready_s"], 2) for r in anchor],
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"ours:   {result['ours']} (kind {result['launch_kind']})")
    print(f"anchor: {result['anchor']}")
    print(f"median of {result['runs']} runs each, alternating\n")
    print(f"  relaunch, request to ready:     {result['ours_median_s']:6.2f} s")
    print(f"    of which the relaunch answer: {result['ours_answer_median_s']:6.2f} s")
    print(f"  plain launch, request to ready: {result['anchor_median_s']:6.2f} s (anchor)")
    print(f"  added by commit + push:         {result['added_median_s']:6.2f} s")
    print(f"  ratio: {result['ratio']:.2f}x")
    print(f"  samples: {json.dumps(result['samples'])}")
    print(f"(took {result['seconds']} s)")


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--runs", type=int, default=3, help="relaunches (and plain launches)")
    args = parser.parse_args()
    common.report(run(args), args.json, print_table)


if __name__ == "__main__":
    main()
