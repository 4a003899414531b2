"""Starts followed from inside a notebook: the hub's progress relayed (one hub stream for any
number of tabs) and a failed start's real reason, with a plain hint and the service desk's
report, against the real demo hub and its spawner."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.demo.spawner import write_namespace_limits
from jupyter_binder_ext.projects.failure import hint_for, tidy_message
from jupyter_binder_ext.projects.progress import parse_events

pytest_plugins = ("fixtures.realhub",)

USER = "pia"
CURRENT = "o-r-pp11qq22"  # the notebook the requests are made from
FAILING = "o-big-pp33qq44"
SLOW = "o-slow-pp55qq66"
WATCHED = "o-watch-pp77qq88"
WATCHERS = 50


# -- pure parts ------------------------------------------------------------------------------


def test_events_are_parsed_as_a_browser_reads_them() -> None:
    raw = b'\n\ndata: {"progress": 10, "message": "a"}\n\ndata: {"progress": 5'
    events, rest = parse_events(raw)
    assert events == [{"progress": 10, "message": "a"}]
    assert rest == b'data: {"progress": 5'
    events, rest = parse_events(rest + b"0}\r\n\r\ndata: not json\n\n")
    assert events == [{"progress": 50}] and rest == b""


# The hub's own words (JupyterHub, KubeSpawner, Kubernetes, BinderHub) -> the plain cause.
@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "User pia already has the maximum of 5 named servers.  One must be deleted before "
            "a new server can be created",
            "You already have 5 projects",
        ),
        (
            'Spawn failed: pods "jupyter-pia" is forbidden: maximum memory usage per Container '
            "is 16Gi, but limit is 34359738368",
            "The memory asked for (32 GB) is above this site's maximum of 16 GB",
        ),
        (
            "Spawn failed: pod binder/jupyter-pia did not start in 300 seconds!",
            "did not start in time",
        ),
        ("Spawn failed: Timeout", "did not start in time"),
        (
            "2025-03-10T12:00:00Z [Warning] 0/4 nodes are available: 4 Insufficient memory.",
            "more than this site can give now",
        ),
        (
            '2025-03-10T12:00:00Z [Warning] Failed to pull image "r/x:abc": manifest unknown',
            "could not be pulled",
        ),
        ("Spawn failed: container notebook terminated: OOMKilled", "ran out of memory"),
        (
            "Failed to build image r/x:abc: ERROR: No matching distribution (requirements.txt "
            "line 3)",
            "The log points at requirements.txt, line 3.",
        ),
        ("Spawn failed: something nobody foresaw", "Copy report"),
    ],
)
def test_hints_name_the_cause_from_the_real_messages(message: str, expected: str) -> None:
    assert expected in hint_for(tidy_message(message), deletable=["o-old-aa11bb22"])


def test_a_kubernetes_refusal_is_reduced_to_its_message() -> None:
    body = {"kind": "Status", "message": 'pods "p" is forbidden: exceeded quota: q'}
    raw = f"Spawn failed: (403)\nReason: Forbidden\nHTTP response body: {json.dumps(body)}\n"
    assert tidy_message(raw) == 'Spawn failed: pods "p" is forbidden: exceeded quota: q'


# -- against the real hub ---------------------------------------------------------------------


@dataclass(frozen=True)
class Notebook:
    hub: DemoHub
    token: str

    def get(self, path: str, timeout: float = 60.0) -> tuple[int, Any]:
        return self.hub.server_api(self.token, USER, CURRENT, path, timeout=timeout)

    def projects_until(self, check: Any, attempts: int = 60) -> dict[str, Any]:
        for _ in range(attempts):
            status, data = self.get("binder/api/projects")
            if status == 200 and check(data):
                return dict(data)
            time.sleep(0.3)
        raise AssertionError(f"projects never matched: {status} {json.dumps(data)[:3000]}")

    def progress_requests(self, name: str) -> int:
        """How many progress streams of `name` the hub has served (its access log)."""
        return self.hub.count_api_requests("GET", f"/users/{USER}/servers/{name}/progress")


def start_in_background(hub: DemoHub, name: str, options: dict[str, Any]) -> threading.Thread:
    """Ask the hub for a server without waiting (its API answers only after up to 10 s), and
    return once the hub holds the start as pending."""
    post = threading.Thread(
        target=hub.api, args=("POST", f"/users/{USER}/servers/{name}", options), daemon=True
    )
    post.start()
    deadline = time.monotonic() + 30
    while (hub.named_servers(USER).get(name) or {}).get("pending") != "spawn":
        assert time.monotonic() < deadline, "the hub never began the start"
        time.sleep(0.1)
    return post


def row(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next((s for s in data["servers"] if s["name"] == name), {})


@pytest.fixture(scope="module")
def notebook(real_hub: DemoHub) -> Iterator[Notebook]:
    real_hub.start_server(USER, CURRENT, real_hub.binder_options("o", "r"))
    yield Notebook(real_hub, real_hub.user_token(USER))
    write_namespace_limits(real_hub.state_dir)
    real_hub.remove_servers(USER)


def test_a_start_refused_by_the_namespace_shows_the_hubs_reason_and_a_hint(
    notebook: Notebook,
) -> None:
    hub = notebook.hub
    # The namespace allows 2 GB per container; the sample's .resources asks for meml=4.
    write_namespace_limits(hub.state_dir, memory_gb=2)
    try:
        status, _ = hub.api(
            "POST", f"/users/{USER}/servers/{FAILING}", hub.binder_options("o", "big")
        )
    finally:
        write_namespace_limits(hub.state_dir)
    assert status >= 400  # the spawn failed within the hub's slow_spawn_timeout
    data = notebook.projects_until(lambda d: row(d, FAILING).get("failure") is not None)
    failing = row(data, FAILING)
    assert failing["stopped"] is True and failing["starting"] is None
    failure = failing["failure"]
    # The hub's message, with Kubernetes' Status body reduced to its own message.
    assert failure["message"] == (
        f'Spawn failed: pods "jupyter-{USER}--{FAILING}" is forbidden: maximum memory usage '
        f"per Container is 2Gi, but limit is {4 * 1024**3}"
    )
    assert failure["hint"].startswith(
        "The memory asked for (4 GB) is above this site's maximum of 2 GB. Lower meml="
    )
    assert failure["phase"] == "start" and failure["at"] == failing["last_activity"]
    assert failure["log_tail"][-1].startswith("Spawn failed: (403)\nReason: Forbidden")
    assert row(data, CURRENT)["failure"] is None  # running: nothing to ask
    # Asked of the hub once for this attempt, however often the list is read.
    for _ in range(4):
        time.sleep(1.1)  # past the list's cache interval
        assert row(notebook.get("binder/api/projects")[1], FAILING)["failure"] == failure
    assert notebook.progress_requests(FAILING) == 1

    status, report = notebook.get(f"binder/api/projects/{FAILING}/report")
    assert status == 200, report
    text = report["text"]
    for line in (
        f"User: {USER}",
        f"Server: {FAILING}",
        "Repository: https://github.com/o/big",
        f"Ref: {failing['ref']}",
        f"Commit: {failing['commit']}",
        f"Hub's message: {failure['message']}",
        f"Likely cause: {failure['hint']}",
        "Last log lines:",
    ):
        assert line in text.splitlines(), (line, text)
    assert "jupyter-binder-ext " in text.splitlines()[0]
    assert notebook.token not in text and "token" not in text.lower()


def test_progress_of_a_real_spawn_is_relayed_as_the_hubs_events(notebook: Notebook) -> None:
    hub = notebook.hub
    options = {**hub.binder_options("o", "slow"), "demo_image_pull_seconds": 6}
    start_in_background(hub, SLOW, options)
    starting = notebook.projects_until(
        lambda d: (
            (row(d, SLOW).get("starting") or {}).get("message", "").startswith("Pulling image")
        )
    )
    assert 20 <= row(starting, SLOW)["starting"]["progress"] < 100
    status, stream = notebook.get(f"binder/api/projects/{SLOW}/progress", timeout=120)
    assert status == 200, stream
    events, rest = parse_events(stream.encode())
    assert rest.strip() == b""
    assert events[-1]["ready"] is True and events[-1]["progress"] == 100
    assert any(e.get("message", "").startswith("Pulling image") for e in events)
    figures = [e["progress"] for e in events if "progress" in e]
    assert figures == sorted(figures)
    ready = notebook.projects_until(lambda d: row(d, SLOW).get("state") == "running")
    assert row(ready, SLOW)["starting"] is None


def _watch(url: str, token: str, into: list[list[dict[str, Any]]]) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        events, _ = parse_events(answer.read())
    into.append(events)


def test_fifty_tabs_watching_one_start_open_one_hub_stream(notebook: Notebook) -> None:
    hub = notebook.hub
    options = {**hub.binder_options("o", "watch"), "demo_image_pull_seconds": 8}
    before = notebook.progress_requests(WATCHED)
    start_in_background(hub, WATCHED, options)
    url = f"{hub.url}user/{USER}/{CURRENT}/binder/api/projects/{WATCHED}/progress"
    seen: list[list[dict[str, Any]]] = []
    tabs = [
        threading.Thread(target=_watch, args=(url, notebook.token, seen)) for _ in range(WATCHERS)
    ]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join(150)
    assert len(seen) == WATCHERS
    assert all(events and events[-1].get("ready") is True for events in seen)
    time.sleep(0.5)  # the hub writes its access log line when the stream ends
    assert notebook.progress_requests(WATCHED) == before + 1
