"""The projects core: names, the list built from the hub's model, the text, and the service
against a real JupyterHub (coalescing, start, wait, a slow stop) and against sockets that
refuse or never answer."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.errors import (
    Conflict,
    HubTimeout,
    HubUnavailable,
    InvalidInput,
    NotUnderHub,
)
from jupyter_binder_ext.launch.info import read_launch
from jupyter_binder_ext.projects.listing import describe_projects, summarize
from jupyter_binder_ext.projects.names import (
    NEW_NAME_MAX,
    binderhub_server_name,
    is_new_server_name,
    new_server_name,
    validate_server_name,
)
from jupyter_binder_ext.projects.service import ProjectsService
from jupyter_binder_ext.projects.slot_limit import limit_in_refusal, resolve_limit

pytest_plugins = ("fixtures.realhub",)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)


def service_for(env: dict[str, str], **site: Any) -> ProjectsService:
    config = SiteConfig(**site)
    return ProjectsService(config, lambda: read_launch(env), env=env)


def hub_env(hub: DemoHub, user: str, token: str, server: str = "") -> dict[str, str]:
    """What JupyterHub puts into a server's environment (the parts the service reads)."""
    return {
        "JUPYTERHUB_API_URL": hub.hub_api_url,
        "JUPYTERHUB_API_TOKEN": token,
        "JUPYTERHUB_USER": user,
        "JUPYTERHUB_SERVER_NAME": server,
        "JUPYTERHUB_BASE_URL": "/",
    }


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["o-r-ab12cd34", "Old_Name.v2", "a", "x" * 255, "a~b"])
def test_existing_server_names_accepted(name: str) -> None:
    assert validate_server_name(name) == name


@pytest.mark.parametrize(
    "name", ["", ".", "..", "a/b", "a b", "x" * 256, "a?b", "é", "a\nb", None, 5]
)
def test_bad_server_names_refused(name: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_server_name(name)
    assert "name" in refused.value.message


def test_new_names_are_binderhub_style() -> None:
    name = new_server_name("https://github.com/o/r", suffix="ab12cd34")
    assert name == "o-r-ab12cd34"
    long = new_server_name("https://github.com/jupyterhub/binderhub-example-repository.git")
    assert re.fullmatch(r"jupyterh[a-z-]*-repository-[a-z0-9]{8}", long), long
    assert len(long) <= NEW_NAME_MAX
    assert new_server_name("git@github.com:Some_Owner/Repo.With.Dots.git", "x1").startswith(
        "some-owner-repo-with-dots-x1"[: NEW_NAME_MAX - 3]
    )


# binderhub launcher.py:143-169 unique_name_from_repo: path, "/" to "-", lower case, ".git"
# dropped, 15 + "-" + 15 past 32 characters, then "-" and 8 of [a-z0-9].
BINDERHUB_NAMES = {
    "https://github.com/o/r": "o-r-ab12cd34",
    "https://git.example.org/a+b/repo.git": "a+b-repo-ab12cd34",
    "https://git.example.org/~user/My.Repo_x.git": "~user-my.repo_x-ab12cd34",
    "https://github.com/2i2c-org/infrastructure": "2i2c-org-infrastructure-ab12cd34",
    "git@gitlab.com:group/sub/proj.git": "group-sub-proj-ab12cd34",
    # 32 characters of path: kept whole, so the name has 41
    "https://github.com/jupyterhub/binderhub-example-rep": (
        "jupyterhub-binderhub-example-rep-ab12cd34"
    ),
    # 33: shortened to its first and last 15
    "https://github.com/jupyterhub/binderhub-example-repo": (
        "jupyterhub-bind-ub-example-repo-ab12cd34"
    ),
}


@pytest.mark.parametrize(("repo_url", "name"), BINDERHUB_NAMES.items())
def test_binderhub_launcher_143_names_are_reproduced_and_accepted(repo_url: str, name: str) -> None:
    assert binderhub_server_name(repo_url, suffix="ab12cd34") == name
    # whatever BinderHub named it, the sidebar can stop and delete it
    assert validate_server_name(name) == name


def test_binderhub_names_can_break_jupyterhub_6s_rules_new_names_never_do() -> None:
    long = binderhub_server_name("https://github.com/jupyterhub/binderhub-example-rep")
    assert len(long) == 41 and not is_new_server_name(long)
    assert not is_new_server_name(binderhub_server_name("https://git.example.org/a+b/repo"))
    assert not is_new_server_name(binderhub_server_name("https://github.com/2i2c-org/x"))
    for repo_url in BINDERHUB_NAMES:
        assert is_new_server_name(new_server_name(repo_url))


@pytest.mark.parametrize("name", ["a?b", "a#b", "a/b", "a%2Fb/c", "\u00e9t\u00e9", "tab\there"])
def test_names_no_url_path_can_hold_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        validate_server_name(name)


# -- the slot limit ---------------------------------------------------------------------------


def test_slot_limit_order() -> None:
    env = {"JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER": "2"}
    assert resolve_limit(7, env, 3) == resolve_limit(7, {}, None)
    assert (resolve_limit(7, env, 3).limit, resolve_limit(7, env).source) == (7, "config")
    assert (resolve_limit(0, env, 3).limit, resolve_limit(0, env).source) == (2, "environment")
    # 0 in the environment: no limit, as for BinderHub (launcher.py:223) and JupyterHub
    no_limit = {"JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER": "0"}
    assert (resolve_limit(0, no_limit).limit, resolve_limit(0, no_limit).source) == (
        0,
        "environment",
    )
    junk = {"JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER": "five"}
    assert (resolve_limit(0, junk, 3).limit, resolve_limit(0, junk, 3).source) == (
        3,
        "hub_refusal",
    )
    assert (resolve_limit(0, {}).limit, resolve_limit(0, {}).source) == (5, "default")


def test_limit_in_the_hubs_and_binderhubs_refusals() -> None:
    # jupyterhub handlers/base.py:1636-1640 (400) and binderhub launcher.py:228-235 (409)
    jupyterhub = (
        "User dave already has the maximum of 2 named servers.  One must be deleted before a "
        "new server can be created"
    )
    assert limit_in_refusal(jupyterhub) == 2
    assert limit_in_refusal(jupyterhub.replace("2", "12")) == 12
    assert limit_in_refusal("Failed to launch image registry/x:abc") is None


async def test_projects_say_where_the_limit_came_from() -> None:
    env = {
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER": "2",
    }  # no hub URL: the answer is "not available", limit and its source all the same
    data = await service_for(env).list()
    assert (data["available"], data["limit"], data["limit_source"]) == (False, 2, "environment")
    data = await service_for(env, max_named_servers=4).list()
    assert (data["limit"], data["limit_source"]) == (4, "config")
    data = await service_for({"JUPYTERHUB_USER": "alice"}).list()
    assert (data["limit"], data["limit_source"]) == (5, "default")


@given(st.text(max_size=200))
def test_new_names_are_always_valid_slugs(repo_url: str) -> None:
    assert is_new_server_name(new_server_name(repo_url))


# -- the list from a hub model ----------------------------------------------------------------


def hub_server(name: str, **fields: Any) -> dict[str, Any]:
    """One entry of the hub's `servers` dict, as JupyterHub's server_model writes it."""
    model = {
        "name": name,
        "display_name": name,
        "full_name": f"alice/{name}",
        "last_activity": None,
        "started": None,
        "pending": None,
        "ready": False,
        "stopped": True,
        "url": f"/user/alice/{name}/",
        "user_options": {},
        "progress_url": f"/hub/api/users/alice/servers/{name}/progress",
    }
    model.update(fields)
    return model


def alice_launch(server: str) -> Any:
    return read_launch(
        {
            "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
            "JUPYTERHUB_USER": "alice",
            "JUPYTERHUB_SERVER_NAME": server,
            "JUPYTERHUB_BASE_URL": "/",
        }
    )


def test_summary_counts_named_servers_like_the_hub() -> None:
    options = {
        "repo_url": "https://github.com/o/r",
        "binder_ref_url": "https://github.com/o/r/tree/0123abc",
        "binder_launch_host": "https://binder.example.org/",
        "binder_persistent_request": "v2/gh/o/r/0123abc",
    }
    servers = {
        "": hub_server("", stopped=False, ready=True),  # the default server: no slot
        "o-r-11111111": hub_server(
            "o-r-11111111",
            ready=True,
            stopped=False,
            started="2025-03-01T08:00:00.000000Z",
            last_activity="2025-03-09T12:00:00.000000Z",
            user_options=options,
        ),
        "o-old-2222": hub_server("o-old-2222", last_activity="2025-03-09T13:00:00Z"),
        "o-new-3333": hub_server(
            "o-new-3333", stopped=False, pending="spawn", started="2025-03-10T11:59:00Z"
        ),
    }
    data = summarize(
        {"name": "alice", "servers": servers},
        alice_launch("o-new-3333"),
        SiteConfig(max_named_servers=5),
        NOW,
    )
    assert (data["used"], data["limit"], data["free"], data["full"]) == (3, 5, 2, False)
    assert [s["name"] for s in data["servers"]] == ["o-new-3333", "o-r-11111111", "o-old-2222"]
    pending, running, stopped = data["servers"]
    assert (pending["state"], pending["is_current"]) == ("starting", True)
    assert pending["stopped"] is False
    assert pending["expires_at"] == "2025-03-17T11:59:00Z"  # no activity yet: from the start
    assert running["expires_at"] == "2025-03-16T12:00:00Z"
    assert running["expires_in"] == timedelta(days=6).total_seconds()
    assert not running["deletion_near"]
    # The persistent request pins a commit: it is sent short, so two launches tell apart.
    assert running["commit"] == "0123abc"
    assert running["launch_url"] == "https://binder.example.org/v2/gh/o/r/0123abc"
    assert (running["display_name"], running["ref"]) == ("o/r", "0123abc")
    assert stopped["state"] == "stopped" and stopped["expires_at"] is None
    assert data["stopped_holding_slots"] == 1
    assert data["control_panel_url"] == "/hub/home"
    # What may be deleted to free a slot, in order: the stopped one first, never this one.
    assert [d["name"] for d in data["deletable"]] == ["o-old-2222", "o-r-11111111"]
    assert data["deletable"][0]["stopped"] is True


def test_summary_full_and_expiring_soon() -> None:
    servers = {
        f"p-{i}": hub_server(f"p-{i}", last_activity="2025-03-03T13:00:00Z") for i in range(5)
    }
    servers["p-0"].update(ready=True, stopped=False)
    data = summarize(
        {"servers": servers}, alice_launch("p-0"), SiteConfig(max_named_servers=5), NOW
    )
    assert data["full"] is True and data["free"] == 0
    assert "All 5 project slots are in use" in data["message"]
    assert "/hub/home" in data["message"]
    assert data["servers"][0]["deletion_near"] is True  # an hour left
    # Stopped ones first, then the longest idle; this notebook (p-0) is never offered.
    assert [d["name"] for d in data["deletable"]] == ["p-1", "p-2", "p-3", "p-4"]
    text = describe_projects(data)
    assert text.splitlines()[0] == "Projects: 5 of 5 slots used (0 free)"
    assert "!deleted in 60 min if left idle" in text
    assert "stopped: holds a slot until deleted" in text
    assert "All 5 project slots are in use" in text


# -- not under a hub; a hub that is down or silent ------------------------------------------


async def test_not_under_a_hub() -> None:
    service = service_for({})
    data = await service.list()
    assert data["available"] is False and data["servers"] == []
    assert describe_projects(data).startswith("Not running under JupyterHub")
    with pytest.raises(NotUnderHub):
        await service.stop("o-r-12345678")
    with pytest.raises(NotUnderHub):
        await service.start("o-r-12345678", {})


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: connections are refused


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a frozen hub's socket)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def env_at(port: int) -> dict[str, str]:
    return {
        "JUPYTERHUB_API_URL": f"http://127.0.0.1:{port}/hub/api",
        "JUPYTERHUB_API_TOKEN": "secret-token-value",
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_SERVER_NAME": "o-r-12345678",
    }


async def test_refused_connection_is_hub_unavailable(closed_port: int) -> None:
    service = service_for(env_at(closed_port))
    with pytest.raises(HubUnavailable) as failed:
        await service.list()
    assert failed.value.status == 502
    assert "secret-token-value" not in str(failed.value.to_json())
    # The error is kept for the cache interval: the next caller does not hit the hub.
    with pytest.raises(HubUnavailable):
        await service.list()
    assert service.client.requests_sent == 1


async def test_silent_hub_is_a_bounded_timeout(silent_port: int) -> None:
    service = service_for(env_at(silent_port), hub_request_timeout=0.5)
    with pytest.raises(HubTimeout) as timed_out:
        await asyncio.gather(service.list(), service.list(), service.list())
    assert timed_out.value.status == 504 and timed_out.value.details["timeout"] == 0.5
    assert service.client.requests_sent == 1


# -- against the real hub ---------------------------------------------------------------------


async def test_concurrent_lists_make_one_hub_request(real_hub: DemoHub) -> None:
    token = real_hub.user_token("carol")
    service = service_for(hub_env(real_hub, "carol", token), projects_cache_ttl=300)
    path = "/users/carol?include_stopped_servers=1"
    before = real_hub.count_api_requests("GET", path)

    results = await asyncio.gather(*(service.list() for _ in range(25)))
    assert all(result == results[0] for result in results)
    assert results[0]["available"] is True and results[0]["user"] == "carol"
    assert service.client.requests_sent == 1
    await asyncio.gather(*(service.list() for _ in range(25)))  # served from the cache
    service.invalidate()
    await asyncio.gather(*(service.list() for _ in range(25)))
    assert service.client.requests_sent == 2
    # The hub's own access log agrees: two requests for 75 calls.
    deadline = time.monotonic() + 10
    while real_hub.count_api_requests("GET", path) < before + 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    assert real_hub.count_api_requests("GET", path) == before + 2


async def test_a_caller_arriving_as_the_fetch_completes_reuses_its_answer(
    real_hub: DemoHub,
) -> None:
    # The window between the hub's answer arriving and the first caller resuming: a poll
    # landing there must find the answer cached, not start a second hub request.
    token = real_hub.user_token("carol")
    service = service_for(hub_env(real_hub, "carol", token), projects_cache_ttl=300)
    first = asyncio.ensure_future(service.list())
    while service.user_model_read.inflight is None or not service.user_model_read.inflight.done():
        await asyncio.sleep(0)
    second = await service.list()
    assert second == await first
    assert service.client.requests_sent == 1


async def test_start_wait_and_delete_through_the_hub(real_hub: DemoHub) -> None:
    token = real_hub.user_token("carol")
    service = service_for(hub_env(real_hub, "carol", token))
    options = real_hub.binder_options("o", "relaunched")
    name = new_server_name(options["repo_url"])
    started = await service.start(name, options)
    assert started["status"] in ("starting", "running")
    assert started["url"] == f"/user/carol/{name}/"
    ready = await service.wait_ready(name, timeout=180)
    assert ready["status"] == "running" and ready["ready"] is True
    assert ready["repo_url"] == "https://github.com/o/relaunched"
    assert ready["ref_url"] == options["binder_ref_url"]
    listed = await service.list()
    assert [s["name"] for s in listed["servers"]] == [name]
    status, launch = real_hub.server_api(token, "carol", name, "binder/api/launch")
    assert status == 200 and launch["launch_url"].endswith(options["binder_persistent_request"])

    deleted = await service.stop(name, remove=True)
    assert deleted["status"] == "deleted" and "slot is free" in deleted["message"]
    status, model = real_hub.api("GET", "/users/carol?include_stopped_servers=1")
    assert name not in model["servers"]


async def test_start_when_full_passes_the_hubs_refusal_on(real_hub: DemoHub) -> None:
    token = real_hub.user_token("dave")
    names = [f"o-fill{i}-dd00ee{i}{i}" for i in range(5)]
    for name in names:
        status, body = real_hub.api("PUT", f"/users/dave/servers/{name}", {})
        assert status == 201, body
    try:
        service = service_for(hub_env(real_hub, "dave", token))
        data = await service.list()
        assert data["full"] is True and data["used"] == 5
        with pytest.raises(Conflict) as refused:
            await service.start("o-sixth-12345678", real_hub.binder_options("o", "r"))
        assert "already has the maximum of 5 named servers" in refused.value.details["hub_message"]
        assert "Delete a project" in refused.value.message
        # why (the hub's words) and what to delete (each of the five, all stopped)
        assert refused.value.message.startswith(
            "The hub refused to start o-sixth-12345678: User dave already has the maximum"
        )
        assert sorted(refused.value.details["deletable"]) == names
        assert "5 of them stopped, holding a slot all the same" in refused.value.message
        assert refused.value.details["limit"] == 5
        # learned: with neither config nor environment, the hub's own figure is used
        assert (await service.list())["limit_source"] == "hub_refusal"
    finally:
        for name in names:
            real_hub.api("DELETE", f"/users/dave/servers/{name}", {"remove": True})


async def test_a_slow_stop_is_followed_until_done(real_hub: DemoHub) -> None:
    """The hub answers 202 when a server takes longer than its slow_stop_timeout (10 s)."""
    token = real_hub.user_token("erin")
    name = "o-slow-ab12cd34"
    server = real_hub.start_server("erin", name, real_hub.binder_options("o", "slow"))
    pid = int(server["state"]["pid"])  # the admin token sees the spawner's state
    service = service_for(hub_env(real_hub, "erin", token), hub_request_timeout=5)
    os.kill(pid, signal.SIGSTOP)  # the server cannot act on the hub's SIGINT for now
    try:
        stopping = asyncio.ensure_future(service.stop(name, remove=True))
        accepted = f"202 DELETE /hub/api/users/erin/servers/{name} "
        deadline = time.monotonic() + 60
        while accepted not in real_hub.hub_log.read_text() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        os.kill(pid, signal.SIGCONT)  # now it stops, and the hub deletes it
    answer = await stopping
    assert accepted in real_hub.hub_log.read_text()
    assert answer["status"] == "deleted", answer
    _, model = real_hub.api("GET", "/users/erin?include_stopped_servers=1")
    assert name not in model["servers"]


def _add_server_made_before_jupyterhub_6(hub: DemoHub, user: str, name: str) -> None:
    """A named server as a hub before JupyterHub 6 stored it for BinderHub (any name).

    JupyterHub 6 creates no such name any more (handlers/base.py:1642-1647) but keeps the ones
    it finds and lets their owner stop and delete them (app.py:1409-1427, "allow-start"): the
    row goes into the real hub's database while it is stopped, as an upgrade leaves it.
    """
    from jupyterhub import orm

    hub.stop_hub()
    try:
        db = orm.new_session_factory(f"sqlite:///{hub.state_dir / 'jupyterhub.sqlite'}")()
        owner = db.query(orm.User).filter(orm.User.name == user).one()
        options = {
            "repo_url": "https://git.example.org/a+b/repo.git",
            "binder_request": "v2/git/https%3A%2F%2Fgit.example.org%2Fa%2Bb%2Frepo.git/main",
            "binder_persistent_request": (
                "v2/git/https%3A%2F%2Fgit.example.org%2Fa%2Bb%2Frepo.git/" + "0" * 40
            ),
        }
        db.add(orm.Spawner(user=owner, name=name, user_options=options))
        db.commit()
        db.close()
    finally:
        hub.start_hub()


async def test_a_server_binderhub_named_before_jupyterhub_6_is_listed_and_deleted(
    real_hub: DemoHub,
) -> None:
    user = "frank"
    token = real_hub.user_token(user)
    # launcher.py:143-169 names a launch of https://git.example.org/a+b/repo.git so
    name = binderhub_server_name("https://git.example.org/a+b/repo.git", suffix="x1y2z3w4")
    assert name == "a+b-repo-x1y2z3w4" and not is_new_server_name(name)
    _add_server_made_before_jupyterhub_6(real_hub, user, name)
    service = service_for(hub_env(real_hub, user, token))
    listed = await service.list()
    assert [s["name"] for s in listed["servers"]] == [name]
    assert listed["servers"][0]["repo"] == "a+b/repo"
    stopped = await service.stop(name)
    assert stopped["status"] == "stopped"
    deleted = await service.stop(name, remove=True)
    assert deleted["status"] == "deleted"
    status, model = real_hub.api("GET", f"/users/{user}?include_stopped_servers=1")
    assert status == 200 and name not in model["servers"]


async def test_current_image_from_the_hub_when_the_environment_lacks_it(real_hub: DemoHub) -> None:
    # JUPYTER_IMAGE_SPEC comes from KubeSpawner and DockerSpawner only; BinderHub's launcher
    # always puts the image into user_options (launcher.py:244-252), which the hub lists.
    user, name = "ivan", "o-imaged-ab12cd34"
    token = real_hub.user_token(user)
    options = real_hub.binder_options("o", "imaged")
    status, body = real_hub.api("POST", f"/users/{user}/servers/{name}", options)
    assert status in (201, 202), body
    try:
        real_hub.wait_server(user, name)
        service = service_for(hub_env(real_hub, user, token, server=name))
        assert await service.current_image() == (options["image"], "hub user_options")
        env = {**hub_env(real_hub, user, token, server=name), "JUPYTER_IMAGE": "x/y:1"}
        assert await service_for(env).current_image() == ("x/y:1", "JUPYTER_IMAGE")
    finally:
        real_hub.remove_servers(user)


def test_a_token_in_a_projects_user_options_is_never_shown() -> None:
    """BinderHub records a private repository's URL as given, credentials included."""
    options = {
        "repo_url": "https://x-access-token:ghp_SECRET@github.com/o/r",
        "binder_ref_url": "https://x-access-token:ghp_SECRET@github.com/o/r/tree/0123abc",
        "binder_launch_host": "https://binder.example.org/",
        "binder_persistent_request": (
            "v2/git/https%3A%2F%2Foauth2%3Aghp_SECRET%40gitlab.com%2Fo%2Fr/0123abc"
        ),
        "token": "ghp_SECRET",
    }
    servers = {"o-r-1": hub_server("o-r-1", ready=True, stopped=False, user_options=options)}
    data = summarize({"name": "alice", "servers": servers}, alice_launch("o-r-1"), SiteConfig())
    assert "ghp_SECRET" not in str(data)
    assert data["servers"][0]["repo_url"] == "https://***@github.com/o/r"
