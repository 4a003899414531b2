"""A relaunch after the environment files changed says a build is needed and which files:
against a real JupyterHub (the demo hub) standing in for BinderHub, as test_relaunch_direct.

The demo's builder stand-in records whether BinderHub would have built (``builds.jsonl``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import git

from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.relaunch.text import describe_relaunch

pytest_plugins = ("fixtures.realhub",)

USER = "erin"
SERVER = "o-envfiles-ee55ff66"


@pytest.fixture(scope="module")
def running(real_hub: DemoHub) -> Iterator[tuple[DemoHub, str, str]]:
    options = real_hub.binder_options("o", "envfiles")
    real_hub.start_server(USER, SERVER, options)
    old = str(options["binder_persistent_request"]).rpartition("/")[2]
    yield real_hub, real_hub.user_token(USER), old
    real_hub.remove_servers(USER)


def relaunch(hub: DemoHub, token: str, payload: dict[str, Any]) -> dict[str, Any]:
    status, answer = hub.server_api(
        token, USER, SERVER, "binder/api/relaunch", "POST", 150, body=payload
    )
    assert status == 200, answer
    assert answer["push"]["ok"] is True, answer["push"]
    return dict(answer)


def home(hub: DemoHub) -> Path:
    return hub.state_dir / "servers" / USER / SERVER


def test_resources_only_keeps_the_start_without_a_rebuild(
    running: tuple[DemoHub, str, str],
) -> None:
    hub, token, _old = running

    answer = relaunch(hub, token, {"values": {"meml": 2}})

    launch = answer["launch"]
    assert launch["kind"] == "hub" and launch["rebuild"] is False
    assert launch["reason_code"] == "" and launch["environment_files"] == []
    hub.stop_server(USER, launch["server_name"], remove=True)


def test_changed_environment_files_need_a_build_and_say_which(
    running: tuple[DemoHub, str, str],
) -> None:
    hub, token, old = running
    repo = home(hub)
    with (repo / "requirements.txt").open("a") as file:
        file.write("tinypkg==1.0\n")
    git(repo, "add", "requirements.txt")
    git(repo, "commit", "-q", "-m", "Keep tinypkg")

    answer = relaunch(hub, token, {"values": {"meml": 3}})

    sha = answer["commit"]["sha"]
    launch = answer["launch"]
    assert answer["ok"] is True, answer["message"]
    assert launch["kind"] == "binderhub"
    assert launch["url"] == f"{hub.launch_host}v2/gh/o/envfiles/{sha}"
    assert launch["rebuild"] is True
    assert launch["reason_code"] == "environment_changed"
    assert launch["environment_files"] == ["requirements.txt"]
    assert launch["reason"] == (
        "the environment files repo2docker reads changed since the running image's commit "
        f"{old[:12]} (requirements.txt), so BinderHub must build a new image with them"
    )
    assert launch["reason"] in answer["message"]
    assert f"  BinderHub builds the new commit: {launch['reason']}" in describe_relaunch(answer)
