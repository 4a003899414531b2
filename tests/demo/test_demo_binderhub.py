"""The demo behaves as BinderHub does: names, refusals, BINDER_* variables, images, limit.

Against the real demo hub (real JupyterHub 6, real configurable-http-proxy); the demo's
launcher is the stand-in for BinderHub's (jupyterhub/binderhub at b9fad99), each case citing
the BinderHub line it reproduces. Gina's and Hank's servers only; each test deletes them.
"""

from __future__ import annotations

import re
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_binder_ext.demo.builds import image_name, read_builds, record_launch
from jupyter_binder_ext.demo.hooks import binder_env
from jupyter_binder_ext.demo.runner import DemoHub

pytest_plugins = ("fixtures.realhub",)

GINA = "gina"
HANK = "hank"


@pytest.fixture
def gina(real_hub: DemoHub) -> Iterator[str]:
    real_hub.create_user(GINA)
    yield GINA
    real_hub.remove_servers(GINA)


@pytest.fixture
def hank(real_hub: DemoHub) -> Iterator[str]:
    real_hub.create_user(HANK)
    yield HANK
    real_hub.remove_servers(HANK)


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode().partition("=") for item in raw if item)
    return {key: value for key, _, value in pairs}


# -- units ------------------------------------------------------------------------------------


def test_image_names_follow_binderhubs_builder() -> None:
    # builder.py:404-423 with _safe_build_slug (:117-140): "-" escaped as "-2d", 6 characters
    # of the slug's SHA-256, the full commit as tag, lower case.
    sha = "0123456789abcdef0123456789abcdef01234567"
    name = image_name("Binder-Examples", "requirements", sha)
    assert re.fullmatch(
        rf"binder-demo/binder-2dexamples-2drequirements-[0-9a-f]{{6}}:{sha}", name
    ), name
    assert image_name("o", "r", "1" * 40) != image_name("o", "r", "2" * 40)


def test_a_launch_records_whether_binderhub_would_have_built(tmp_path: Path) -> None:
    first = image_name("o", "r", "1" * 40)
    assert record_launch(tmp_path, first, "https://github.com/o/r", "1" * 40) is True
    assert record_launch(tmp_path, first, "https://github.com/o/r", "1" * 40) is False
    second = image_name("o", "r", "2" * 40)
    assert record_launch(tmp_path, second, "https://github.com/o/r", "2" * 40) is True
    assert [(b["commit"][:1], b["built"]) for b in read_builds(tmp_path)] == [
        ("1", True),
        ("1", False),
        ("2", True),
    ]


def test_binder_env_is_exactly_binderspawner_mixins() -> None:
    # binderspawner_mixin.py:104-117: only the keys the launch has, upper-cased.
    options = {"repo_url": "https://github.com/o/r", "binder_request": "v2/gh/o/r/main"}
    assert binder_env(options) == {
        "BINDER_REPO_URL": "https://github.com/o/r",
        "BINDER_REQUEST": "v2/gh/o/r/main",
    }
    assert binder_env({**options, "binder_client_ip": "10.1.2.3", "image": "i:1"}) == {
        "BINDER_REPO_URL": "https://github.com/o/r",
        "BINDER_REQUEST": "v2/gh/o/r/main",
        "BINDER_CLIENT_IP": "10.1.2.3",
        "JUPYTER_IMAGE_SPEC": "i:1",
        "JUPYTER_IMAGE": "i:1",
    }


# -- against the demo hub ---------------------------------------------------------------------


def test_a_server_gets_binderhubs_variables_the_limit_and_a_build_record(
    real_hub: DemoHub, gina: str
) -> None:
    options = real_hub.binder_options("o", "demo-env")
    server = real_hub.start_server(gina, "o-demo-env-ab12cd34", options)
    env = _environ(int(server["state"]["pid"]))
    binder = {key: value for key, value in env.items() if key.startswith("BINDER_")}
    assert binder == {
        "BINDER_REPO_URL": "https://github.com/o/demo-env",
        "BINDER_REF_URL": options["binder_ref_url"],
        "BINDER_LAUNCH_HOST": real_hub.launch_host,
        "BINDER_REQUEST": "v2/gh/o/demo-env/main",
        "BINDER_PERSISTENT_REQUEST": options["binder_persistent_request"],
    }
    assert (
        env["JUPYTER_IMAGE_SPEC"]
        == options["image"]
        == image_name("o", "demo-env", options["binder_persistent_request"].rpartition("/")[2])
    )
    assert env["JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER"] == "5"
    # the extension inside reads the limit from there
    token = real_hub.user_token(gina)
    status, projects = real_hub.server_api(
        token, gina, "o-demo-env-ab12cd34", "binder/api/projects"
    )
    assert status == 200, projects
    assert (projects["limit"], projects["limit_source"]) == (5, "environment")
    records = [b for b in read_builds(real_hub.state_dir) if b["image"] == options["image"]]
    assert [b["built"] for b in records] == [True]


def test_launch_link_names_the_server_as_binderhub_does(real_hub: DemoHub, gina: str) -> None:
    browser = real_hub.browser(gina)
    status, location = browser.step(f"{real_hub.launch_host}v2/gh/binder-demo/sample/main")
    assert status == 302
    # launcher.py:156-169: path with "/" as "-", then "-" and 8 of [a-z0-9]
    assert re.search(r"/hub/spawn/gina/binder-demo-sample-[a-z0-9]{8}\?", location), location


def _refusal(browser: object, url: str) -> tuple[int, str]:
    try:
        with browser.not_following.open(url, timeout=60) as answer:  # type: ignore[attr-defined]
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as err:
        return int(err.code), err.read().decode()


def test_when_stopped_servers_fill_the_limit_binderhub_only_fails_to_launch(
    real_hub: DemoHub, hank: str
) -> None:
    # JupyterHub counts stopped servers (handlers/base.py:1626-1640); BinderHub turns the
    # hub's 400 into "Failed to launch image {image}" (launcher.py:331-341).
    for i in range(5):
        status, body = real_hub.api("PUT", f"/users/{hank}/servers/o-held{i}-ab12cd3{i}", {})
        assert status == 201, body
    browser = real_hub.browser(hank)
    status, page = _refusal(browser, f"{real_hub.launch_host}v2/gh/binder-demo/sample/main")
    assert status == 500
    assert "Failed to launch image binder-demo/binder-2ddemo-2dsample-" in page


def test_a_name_jupyterhub_6_refuses_fails_to_launch(real_hub: DemoHub, hank: str) -> None:
    # launcher.py:162-169: 40 characters of path become 15 + "-" + 15, then "-" and 8: 40 in
    # all, over JupyterHub 6's 30.
    browser = real_hub.browser(hank)
    url = f"{real_hub.launch_host}v2/gh/binder-demo/a-repository-named-at-length/main"
    status, page = _refusal(browser, url)
    assert status == 500 and "Failed to launch image" in page


# -- a hub with a limit of 2, as in the report that started this (issue 12) -------------------


@pytest.fixture(scope="module")
def hub_of_two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoHub]:
    hub = DemoHub(
        tmp_path_factory.mktemp("hub-of-two"),
        port=0,
        named_server_limit=2,
        extension_args=("--BinderExt.projects_cache_ttl=1.0",),  # the hub's list reused 1 s
    )
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


def test_with_a_limit_of_two_the_sidebar_and_binderhub_agree(hub_of_two: DemoHub) -> None:
    hub, user = hub_of_two, "judy"
    token = hub.user_token(user)
    first = "o-first-ab12cd34"
    hub.start_server(user, first, hub.binder_options("o", "first"))
    link = f"{hub.launch_host}v2/gh/binder-demo/sample/main"
    browser = hub.browser(user)

    # One running, one free: the sidebar says so, with the limit the hub forwarded.
    status, projects = hub.server_api(token, user, first, "binder/api/projects")
    assert status == 200, projects
    assert (projects["limit"], projects["limit_source"], projects["free"]) == (2, "environment", 1)

    # A second one, stopped: no slot is free any more, though only one server runs.
    hub.start_server(user, "o-second-ab12cd34", hub.binder_options("o", "second"))
    hub.stop_server(user, "o-second-ab12cd34")
    # The server reuses the hub's list for a second: ask until it is the new one.
    for _ in range(40):
        status, projects = hub.server_api(token, user, first, "binder/api/projects")
        if status == 200 and projects["used"] == 2:
            break
        time.sleep(0.25)
    assert (projects["used"], projects["free"], projects["full"]) == (2, 0, True)
    assert [d["name"] for d in projects["deletable"]] == ["o-second-ab12cd34"]
    # ...and BinderHub, asking the hub, gets its 400 and says only this
    # (launcher.py:331-341):
    status, page = _refusal(browser, link)
    assert status == 500 and "Failed to launch image" in page

    # Both running: BinderHub's own check refuses first (launcher.py:223-235).
    hub.start_server(user, "o-second-ab12cd34", hub.binder_options("o", "second"))
    status, page = _refusal(browser, link)
    assert status == 409
    assert f"User {user} already has the maximum of 2 named servers" in page
