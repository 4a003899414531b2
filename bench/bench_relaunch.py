"""Relaunch in the demo: without a rebuild (direct start) vs through BinderHub's link.

A real demo hub (the jupyterhub package behind configurable-http-proxy, free loopback ports,
state in a temporary folder) runs one server of a sample repository for each of two users,
launched with the user_options BinderHub sends. Both relaunch with a ``.resources``-only
change (``{"values": {"meml": N}}``, N alternating, so every run commits and pushes):

- ours, ``bench-direct``: the hub grants the server's token the right to start servers, so
  the relaunch starts the new server itself with the running image (``launch.kind: "hub"``,
  ``rebuild: false``); timed to the new server answering ``api/status`` through the proxy,
  and to its repository being at the new commit (the catch-up the extension does in the
  background, read on disk);
- anchor, ``bench-linked``: the same change, the token without that right (JupyterHub's
  default server scopes), so the relaunch answers BinderHub's link
  (``reason_code: "no_start_scope"``); the link is opened with the user's hub login cookie,
  as the browser does, and timed alike.

Whether each launch built an image is read from the demo's builder stand-in
(``builds.jsonl``). The demo builds nothing, so the times differ only by what the two paths
do around the build; on a real BinderHub the link path adds the image build itself (minutes).
The order alternates between runs; the new servers are deleted after each (5 named servers
per user). Median of the runs.

Run: ``.venv/bin/python bench/bench_relaunch.py`` (``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import common

from jupyter_binder_ext.demo.builds import read_builds
from jupyter_binder_ext.demo.runner import DemoHub, NoRedirect

DIRECT_USER, LINKED_USER = "bench-direct", "bench-linked"
OWNER = "binder-demo"
# Short: BinderHub names servers {owner}-{repo}-{8 chars}, at most 30 for JupyterHub 6.
REPOS = {DIRECT_USER: "direct", LINKED_USER: "linked"}
BASE_SERVER = "sample-base0001"
READY_TIMEOUT_S = 180.0
POLL_S = 0.1
MEML_VALUES = (2, 3)


class Launcher:
    """Launch links and relaunches of one user in one demo hub, timed to the server's ready."""

    def __init__(self, hub: DemoHub, user: str) -> None:
        self.hub, self.user = hub, user
        self.token, self.browser = hub.user_token(user), hub.browser(user)
        self.no_redirects = urllib.request.build_opener(NoRedirect)

    def server_answers(self, name: str) -> bool:
        """True once the server itself answers through the proxy (not the hub standing in:
        while a server starts, the hub answers its URLs with redirects and progress pages)."""
        request = urllib.request.Request(
            f"{self.hub.url}user/{self.user}/{name}/api/status",
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
        match = re.match(rf"/hub/spawn/{re.escape(self.user)}/([^/?]+)", urlsplit(spawn).path)
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
            self.user,
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
        sha = str(answer["commit"]["sha"])
        at_commit = self.wait_head(name, sha)
        builds = [b for b in read_builds(self.hub.state_dir) if b["commit"] == sha]
        return {
            "kind": launch["kind"],
            "rebuild": bool(launch.get("rebuild")),
            "reason_code": str(launch.get("reason_code", "")),
            "built": any(b["built"] for b in builds),
            "server": name,
            "sha": sha,
            "answer_s": answered - began,
            "ready_s": ready - began,
            "at_commit_s": at_commit - began,
        }

    def wait_head(self, name: str, sha: str) -> float:
        """monotonic() when the new server's repository is at `sha` (read on disk)."""
        repo = self.hub.state_dir / "servers" / self.user / name
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            head = subprocess.run(
                ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
            ).stdout.strip()
            if head == sha:
                return time.monotonic()
            time.sleep(POLL_S)
        raise SystemExit(f"{name}'s repository did not reach {sha} in {READY_TIMEOUT_S:.0f} s")

    def current_meml(self) -> Any:
        status, data = self.hub.server_api(
            self.token, self.user, BASE_SERVER, "binder/api/resources"
        )
        if status != 200:
            raise SystemExit(f"GET binder/api/resources answered {status}: {data}")
        return (data.get("values") or {}).get("meml")


def measure(state_dir: Path, runs: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`runs` relaunches of each user, alternating which goes first, in one demo hub."""
    results: dict[str, list[dict[str, Any]]] = {DIRECT_USER: [], LINKED_USER: []}
    with DemoHub(state_dir, port=0, scopeless_users=[LINKED_USER]) as hub:
        launchers = {}
        for user, repo in REPOS.items():
            hub.start_server(user, BASE_SERVER, hub.binder_options(OWNER, repo))
            launchers[user] = Launcher(hub, user)
        meml = {user: launcher.current_meml() for user, launcher in launchers.items()}
        for run_index in range(runs):
            order = [DIRECT_USER, LINKED_USER][:: 1 if run_index % 2 == 0 else -1]
            for user in order:
                # A value other than the current one: every run commits something new.
                meml[user] = next(v for v in MEML_VALUES if v != meml[user])
                relaunched = launchers[user].relaunch(meml[user])
                hub.stop_server(user, relaunched["server"], remove=True)
                results[user].append(relaunched)
    return results[DIRECT_USER], results[LINKED_USER]


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(float(r[key]) for r in rows), 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-relaunch-") as tmp:
        ours, anchor = measure(Path(tmp), args.runs)
    ours_s = statistics.median(r["ready_s"] for r in ours)
    anchor_s = statistics.median(r["ready_s"] for r in anchor)
    return {
        "figure": "relaunch: request to new server ready, and whether an image was built",
        "ours": "POST binder/api/relaunch {values: {meml}} -> commit, push, the new server "
        "started through the hub with the running image -> new server answers",
        "anchor": "the same relaunch without the right to start servers -> BinderHub's link "
        "opened -> new server answers",
        "runs": args.runs,
        "launch_kind": ours[0]["kind"],
        "anchor_kind": anchor[0]["kind"],
        "anchor_reason_code": anchor[0]["reason_code"],
        "ours_rebuild": [r["rebuild"] for r in ours],
        "ours_built": [r["built"] for r in ours],
        "anchor_built": [r["built"] for r in anchor],
        "ours_median_s": round(ours_s, 2),
        "ours_answer_median_s": _median(ours, "answer_s"),
        "ours_at_commit_median_s": _median(ours, "at_commit_s"),
        "anchor_median_s": round(anchor_s, 2),
        "anchor_answer_median_s": _median(anchor, "answer_s"),
        "added_median_s": round(ours_s - anchor_s, 2),
        "ratio": round(ours_s / anchor_s, 2),
        "samples": {
            "ours_s": [round(r["ready_s"], 2) for r in ours],
            "ours_answer_s": [round(r["answer_s"], 2) for r in ours],
            "ours_at_commit_s": [round(r["at_commit_s"], 2) for r in ours],
            "anchor_s": [round(r["ready_s"], 2) for r in anchor],
        },
        "seconds": round(time.monotonic() - started, 1),
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"ours:   {result['ours']} (kind {result['launch_kind']})")
    print(
        f"anchor: {result['anchor']} (kind {result['anchor_kind']}, {result['anchor_reason_code']})"
    )
    print(f"median of {result['runs']} runs each, alternating\n")
    print(f"  direct start, request to ready:      {result['ours_median_s']:6.2f} s")
    print(f"    of which the relaunch answer:      {result['ours_answer_median_s']:6.2f} s")
    print(f"    repository at the new commit:      {result['ours_at_commit_median_s']:6.2f} s")
    print(f"  BinderHub link, request to ready:    {result['anchor_median_s']:6.2f} s (anchor)")
    print(f"    of which the relaunch answer:      {result['anchor_answer_median_s']:6.2f} s")
    print(f"  ratio: {result['ratio']:.2f}x ({result['added_median_s']:+.2f} s)")
    print(f"  image built: direct {result['ours_built']}, link {result['anchor_built']}")
    print(f"  samples: {json.dumps(result['samples'])}")
    print(f"(took {result['seconds']} s)")


def main() -> None:
    parser = common.argument_parser(__doc__)
    parser.add_argument("--runs", type=int, default=3, help="relaunches (and plain launches)")
    args = parser.parse_args()
    common.report(run(args), args.json, print_table)


if __name__ == "__main__":
    main()
