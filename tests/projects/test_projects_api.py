"""``binder/api/projects`` from inside servers spawned by a real JupyterHub, with their tokens.

Alice's servers hold the scopes the extension needs; Bob's hold JupyterHub's defaults. The
tests run in file order on one hub: list, refusals, stop, the limit, delete, then the hub
frozen and stopped (it is restarted before the module ends).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.projects.listing import parse_time
from jupyter_binder_ext.projects.service import CONFIG_LINE

pytest_plugins = ("fixtures.realhub",)

ALICE, BOB = "alice", "bob"
CURRENT = "o-r-ab12cd34"  # the server the requests are made in
SIBLING = "o-sib-cd34ef56"
BOB_SERVER = "o-r-bb12cd34"
SEVEN_DAYS = timedelta(days=7)


@dataclass(frozen=True)
class Servers:
    hub: DemoHub
    alice_token: str
    bob_token: str

    def alice(self, path: str = "", method: str = "GET") -> tuple[int, Any]:
        return self.hub.server_api(self.alice_token, ALICE, CURRENT, path, method)

    def bob(self, path: str = "", method: str = "GET") -> tuple[int, Any]:
        return self.hub.server_api(self.bob_token, BOB, BOB_SERVER, path, method)

    def hub_servers(self, user: str = ALICE) -> dict[str, Any]:
        """The user's named servers as the hub's own API lists them (admin token)."""
        return self.hub.named_servers(user)

    def projects_until(self, check: Any, attempts: int = 40) -> dict[str, Any]:
        """GET projects until `check` holds (the server caches the list for a second)."""
        for _ in range(attempts):
            status, data = self.alice("binder/api/projects")
            if status == 200 and check(data):
                return dict(data)
            time.sleep(0.3)
        raise AssertionError(f"projects never matched: {status} {json.dumps(data)[:2000]}")


@pytest.fixture(scope="module")
def servers(real_hub: DemoHub) -> Iterator[Servers]:
    launches = [
        (ALICE, CURRENT, real_hub.binder_options("o", "r")),
        (ALICE, SIBLING, real_hub.binder_options("o", "sib")),
        (BOB, BOB_SERVER, real_hub.binder_options("o", "r")),
    ]
    # Ask for all three at once, then wait: the spawns overlap.
    for user, name, options in launches:
        real_hub.create_user(user)
        status, body = real_hub.api("POST", f"/users/{user}/servers/{name}", options)
        assert status in (201, 202), body
    for user, name, _ in launches:
        real_hub.wait_server(user, name)
    yield Servers(real_hub, real_hub.user_token(ALICE), real_hub.user_token(BOB))
    for user, name, _ in launches:
        real_hub.api("DELETE", f"/users/{user}/servers/{name}", {"remove": True})


def test_listing_from_inside_matches_the_hub(servers: Servers) -> None:
    status, data = servers.alice("binder/api/projects")
    assert status == 200, data
    hub_view = servers.hub_servers()
    assert data["available"] is True
    assert (data["user"], data["current"], data["limit"]) == (ALICE, CURRENT, 5)
    assert data["used"] == len(hub_view) == 2 and data["free"] == 3 and data["full"] is False
    assert data["control_panel_url"] == f"{servers.hub.url}hub/home"
    rows = {row["name"]: row for row in data["servers"]}
    assert set(rows) == set(hub_view)
    assert data["servers"][0]["name"] == CURRENT  # this notebook first
    current = rows[CURRENT]
    options = hub_view[CURRENT]["user_options"]
    assert current["is_current"] and not rows[SIBLING]["is_current"]
    assert (current["ready"], current["stopped"], current["state"]) == (True, False, "running")
    assert current["repo_url"] == options["repo_url"] == "https://github.com/o/r"
    assert current["ref_url"] == options["binder_ref_url"]
    assert current["ref"] == options["binder_persistent_request"].rsplit("/", 1)[1]
    assert current["display_name"] == "o/r" and rows[SIBLING]["repo"] == "o/sib"
    assert current["url"].endswith(f"/user/{ALICE}/{CURRENT}/")
    for name, row in rows.items():
        active = parse_time(row["last_activity"])
        assert active is not None
        assert parse_time(row["expires_at"]) == active + SEVEN_DAYS, name
    # The server's own launch info agrees with what the hub holds for it.
    status, launch = servers.alice("binder/api/launch")
    assert status == 200
    assert launch["ref_url"] == options["binder_ref_url"]
    assert (
        launch["launch_url"] == options["binder_launch_host"] + options["binder_persistent_request"]
    )


def test_listing_without_the_scopes_says_which(servers: Servers) -> None:
    # JupyterHub answers this token's request with a 200 that leaves `servers` out.
    status, error = servers.bob("binder/api/projects")
    assert status == 403, error
    assert error["error"] == "missing_scopes"
    assert error["scopes"] == ["read:servers!user"]
    assert "read:servers!user" in error["message"] and "servers!user" in error["message"]
    assert "c.Spawner.server_token_scopes" in error["message"]
    assert error["config"] == CONFIG_LINE
    assert error["hub_status"] == 200  # what the hub really answers: a model without servers
    assert BOB_SERVER in servers.hub_servers(BOB)  # the hub does hold a server for Bob


def test_stopping_without_the_scopes_says_which(servers: Servers) -> None:
    status, error = servers.bob(f"binder/api/projects/{BOB_SERVER}?force=1", "DELETE")
    assert status == 403, error
    assert error["error"] == "missing_scopes" and error["hub_status"] == 403
    assert error["scopes"] == ["servers!user", "delete:servers!user"]
    assert "delete:servers" in error["hub_message"]  # the hub's own refusal, passed on
    assert servers.hub_servers(BOB)[BOB_SERVER]["ready"] is True


def test_the_current_server_is_stopped_only_with_force(servers: Servers) -> None:
    status, error = servers.alice(f"binder/api/projects/{CURRENT}", "DELETE")
    assert status == 409, error
    assert error["is_current"] is True and "force" in error["message"]
    assert servers.hub_servers()[CURRENT]["ready"] is True


@pytest.mark.parametrize("name", ["a%2Fb", "a%3Fb", "x" * 256, "a%20b", "caf%C3%A9"])
def test_bad_names_are_refused_before_the_hub(servers: Servers, name: str) -> None:
    status, error = servers.alice(f"binder/api/projects/{name}", "DELETE")
    assert status == 400, error
    assert error["error"] == "invalid"


def test_unknown_server_is_not_found(servers: Servers) -> None:
    status, error = servers.alice("binder/api/projects/o-nope-12345678", "DELETE")
    assert status == 404, error
    assert "o-nope-12345678" in error["message"]


def test_a_stopped_server_still_holds_its_slot(servers: Servers) -> None:
    status, answer = servers.alice(f"binder/api/projects/{SIBLING}", "DELETE")
    assert status == 200, answer
    assert answer["status"] == "stopped" and answer["removed"] is False
    assert "slot" in answer["message"]
    hub_view = servers.hub_servers()
    assert hub_view[SIBLING]["stopped"] is True  # stopped, not deleted: the hub keeps it
    data = servers.projects_until(lambda d: d["servers"][-1]["stopped"])
    assert data["used"] == 2 and data["stopped_holding_slots"] == 1
    sibling = data["servers"][-1]
    assert sibling["name"] == SIBLING and sibling["state"] == "stopped"
    assert sibling["expires_at"] is None  # the culler never removes a stopped server


def test_the_limit_is_the_hubs_and_we_say_how_to_free_a_slot(servers: Servers) -> None:
    hub = servers.hub
    extra = [f"o-fill{i}-aa00bb{i}{i}" for i in range(3)]
    for name in extra:  # created, never started: they take slots all the same
        status, body = hub.api("PUT", f"/users/{ALICE}/servers/{name}", {"user_options": {}})
        assert status == 201, body
    status, refusal = hub.api("POST", f"/users/{ALICE}/servers/o-sixth-12345678", {})
    assert status == 400
    assert "already has the maximum of 5 named servers" in refusal["message"]
    data = servers.projects_until(lambda d: d["used"] == 5)
    assert data["full"] is True and data["free"] == 0
    assert "All 5 project slots are in use" in data["message"]
    assert "Delete" in data["message"] and data["control_panel_url"] in data["message"]
    assert data["stopped_holding_slots"] == 4
    for name in extra:
        hub.api("DELETE", f"/users/{ALICE}/servers/{name}", {"remove": True})


def test_delete_frees_the_slot(servers: Servers) -> None:
    status, answer = servers.alice(f"binder/api/projects/{SIBLING}?remove=1", "DELETE")
    assert status == 200, answer
    assert answer["status"] == "deleted" and answer["removed"] is True
    assert SIBLING not in servers.hub_servers()
    data = servers.projects_until(lambda d: d["used"] == 1)
    assert [row["name"] for row in data["servers"]] == [CURRENT]


def test_a_frozen_hub_gives_504_and_no_hang(servers: Servers, hub_request_timeout: float) -> None:
    hub = servers.hub
    hub.pause_hub()
    try:
        answers = []
        for _ in range(5):  # the first may still come from the one-second cache
            started = time.monotonic()
            status, error = servers.alice("binder/api/projects")
            answers.append((status, time.monotonic() - started))
            if status == 504:
                break
            time.sleep(0.5)
    finally:
        hub.resume_hub()
    assert status == 504, (answers, error)
    assert error["error"] == "hub_timeout" and error["timeout"] == hub_request_timeout
    assert "did not answer" in error["message"]
    # The rest of the sidebar keeps working while the hub is frozen.
    hub.pause_hub()
    try:
        status, launch = servers.alice("binder/api/launch")
    finally:
        hub.resume_hub()
    assert status == 200 and launch["server_name"] == CURRENT
    servers.projects_until(lambda d: d["available"])


def test_a_stopped_hub_gives_502_then_recovers(servers: Servers) -> None:
    hub = servers.hub
    hub.stop_hub()
    try:
        for _ in range(10):
            status, error = servers.alice("binder/api/projects")
            if status == 502:
                break
            time.sleep(0.5)
        assert status == 502, error
        assert error["error"] == "hub_unavailable" and "cannot be reached" in error["message"]
    finally:
        hub.start_hub()
    data = servers.projects_until(lambda d: d["available"] and d["used"] == 1)
    assert data["servers"][0]["ready"] is True  # the restarted hub found the server running


# -- under plain jupyter server (pytest-jupyter), no hub -------------------------------------


async def test_not_under_a_hub_the_section_says_so(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER"):
        monkeypatch.delenv(name, raising=False)
    response = await jp_fetch("binder", "api", "projects")
    data = json.loads(response.body)
    assert data["available"] is False and data["servers"] == []
    assert "Not running under JupyterHub" in data["message"]
    refused = await jp_fetch(
        "binder", "api", "projects", "o-r-12345678", method="DELETE", raise_error=False
    )
    assert refused.code == 409
    assert json.loads(refused.body)["error"] == "not_under_hub"


async def test_the_old_sessions_path_answers_as_projects(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER"):
        monkeypatch.delenv(name, raising=False)
    old = json.loads((await jp_fetch("binder", "api", "sessions")).body)
    assert old == json.loads((await jp_fetch("binder", "api", "projects")).body)
    refused = await jp_fetch(
        "binder", "api", "sessions", "o-r-12345678", method="DELETE", raise_error=False
    )
    assert refused.code == 409 and json.loads(refused.body)["error"] == "not_under_hub"


async def test_an_unreachable_hub_is_a_502(binder_env: dict[str, str], jp_fetch: Any) -> None:
    # binder_env points JUPYTERHUB_API_URL at port 1, where nothing listens.
    response = await jp_fetch("binder", "api", "projects", raise_error=False)
    assert response.code == 502
    error = json.loads(response.body)
    assert error["error"] == "hub_unavailable"
    assert binder_env["JUPYTERHUB_API_TOKEN"] not in response.body.decode()


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_unauthenticated_requests_are_refused(
    binder_env: dict[str, str], jp_fetch: Any, method: str
) -> None:
    path = ["projects"] if method == "GET" else ["projects", "o-r-12345678"]
    response = await jp_fetch(
        "binder", "api", *path, method=method, headers={"Authorization": ""}, raise_error=False
    )
    assert response.code == 403
    assert b"servers" not in response.body
