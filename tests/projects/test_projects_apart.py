"""Projects told apart (issue 21, item 3): five launches of one repository read differently in
the list, the slot choice and the terminal text; a stopped one never reads "active now"; the
resources come from what the hub's hook recorded at the spawn (a real JupyterHub)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.launch.info import read_launch
from jupyter_binder_ext.projects.listing import describe_projects, summarize
from jupyter_binder_ext.projects.report import report_text
from jupyter_binder_ext.projects.service import ProjectsService
from jupyter_binder_ext.resources.model import RESOURCES_OPTION

pytest_plugins = ("fixtures.realhub",)

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
SHA = "2cad9b871958aa0000000000000000000000beef"


def options(resources: dict[str, Any] | None, sha: str = SHA) -> dict[str, Any]:
    launched = {
        "repo_url": "https://github.com/binder-demo/sample",
        "binder_ref_url": f"https://github.com/binder-demo/sample/tree/{sha}",
        "binder_launch_host": "https://binder.example.org/",
        "binder_request": "v2/gh/binder-demo/sample/main",
        "binder_persistent_request": f"v2/gh/binder-demo/sample/{sha}",
    }
    return {**launched, RESOURCES_OPTION: resources} if resources else launched


def plan(cpu: float, mem: int, gpu: int = 0) -> dict[str, Any]:
    return {
        "cpu_guarantee": 1.0,
        "cpu_limit": cpu,
        "mem_guarantee_gb": 1,
        "mem_limit_gb": mem,
        "gpu": gpu,
        "from_file": True,
    }


def server(name: str, opts: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """One entry of the hub's `servers` dict (jupyterhub apihandlers/base.py server_model)."""
    return {
        "name": name,
        "display_name": name,
        "last_activity": None,
        "started": None,
        "pending": None,
        "ready": False,
        "stopped": True,
        "url": f"/user/alice/{name}/",
        "user_options": opts,
        **fields,
    }


def five_of_one_repository(now: datetime) -> dict[str, Any]:
    recent = (now - timedelta(seconds=20)).isoformat()
    running = {"ready": True, "stopped": False, "started": recent, "last_activity": recent}
    servers = {
        "binder-demo-sample-aaaa1111": server(
            "binder-demo-sample-aaaa1111", options(plan(8, 16)), **running
        ),
        "binder-demo-sample-bbbb2222": server(
            "binder-demo-sample-bbbb2222", options(plan(2, 4)), **running
        ),
        "binder-demo-sample-cccc3333": server(
            "binder-demo-sample-cccc3333", options(plan(8, 16, 1)), **running
        ),
        # stopped a moment ago: the hub stamps the stop as its last activity
        "binder-demo-sample-dddd4444": server(
            "binder-demo-sample-dddd4444", options(plan(4, 8)), last_activity=now.isoformat()
        ),
        "binder-demo-sample-eeee5555": server(
            "binder-demo-sample-eeee5555", options(plan(8, 16)), **running
        ),
    }
    launch = read_launch(
        {
            "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
            "JUPYTERHUB_USER": "alice",
            "JUPYTERHUB_SERVER_NAME": "binder-demo-sample-aaaa1111",
            "JUPYTERHUB_BASE_URL": "/",
        }
    )
    return summarize({"name": "alice", "servers": servers}, launch, SiteConfig(), now)


def test_five_launches_of_one_repository_read_differently() -> None:
    now = datetime.now(timezone.utc)
    data = five_of_one_repository(now)
    rows = {row["name"]: row for row in data["servers"]}
    first = rows["binder-demo-sample-aaaa1111"]
    assert first["resources"] == plan(8, 16)
    assert first["resources_text"] == "1-8 CPU · 1-16 GB"
    assert rows["binder-demo-sample-cccc3333"]["resources_text"] == "1-8 CPU · 1-16 GB · 1 GPU"
    assert first["short_name"] == "…-aaaa1111"
    assert first["tells_apart"] == "main @ 2cad9b871958 · 1-8 CPU · 1-16 GB · …-aaaa1111"
    # Every card, and every choice of the slot dialog, reads differently.
    assert len({row["tells_apart"] for row in data["servers"]}) == 5
    assert len({choice["tells_apart"] for choice in data["deletable"]}) == 4
    assert all(choice["resources_text"] for choice in data["deletable"])
    # aaaa and eeee are alike but for their names: those two show the name itself.
    needed = sorted(name for name, row in rows.items() if row["name_needed"])
    assert needed == ["binder-demo-sample-aaaa1111", "binder-demo-sample-eeee5555"]


def test_the_terminal_text_tells_them_apart_in_words() -> None:
    now = datetime.now(timezone.utc)
    text = describe_projects(five_of_one_repository(now))
    rows = [line for line in text.splitlines() if "binder-demo-sample-" in line]
    assert len(rows) == 5 and len(set(rows)) == 5
    assert "1-8 CPU · 1-16 GB · 1 GPU" in text
    assert "started 20 s ago, active 20 s ago" in text
    stopped = next(row for row in rows if "dddd4444" in row)
    assert "last active now" in stopped and "stopped: holds a slot until deleted" in stopped
    assert " active now" not in stopped.replace("last active now", "")
    assert not ISO.search(text), text


def test_the_report_writes_moments_in_words_and_the_local_date() -> None:
    now = datetime.now(timezone.utc)
    project = five_of_one_repository(now)["servers"][0]
    launch = read_launch({"JUPYTERHUB_USER": "alice"})
    text = report_text(project, launch, None, now)
    assert "Started: 20 s ago (" in text
    assert "Resources at start: 1-8 CPU · 1-16 GB" in text
    assert not ISO.search(text), text


async def test_the_hub_records_the_resources_each_spawn_got(real_hub: DemoHub) -> None:
    """The demo hub runs the `.resources` hook any operator configures; the hub's own API
    then lists what the spawn got, for stopped servers too, and so does GET projects."""
    user, name = "rita", "o-apart-ab12cd34"
    token = real_hub.user_token(user)
    status, body = real_hub.api(
        "POST", f"/users/{user}/servers/{name}", real_hub.binder_options("o", "apart")
    )
    assert status in (201, 202), body
    try:
        real_hub.wait_server(user, name)
        env = {
            "JUPYTERHUB_API_URL": real_hub.hub_api_url,
            "JUPYTERHUB_API_TOKEN": token,
            "JUPYTERHUB_USER": user,
            "JUPYTERHUB_SERVER_NAME": "",
            "JUPYTERHUB_BASE_URL": "/",
        }
        service = ProjectsService(SiteConfig(), lambda: read_launch(env), env=env)
        row = (await service.list())["servers"][0]
        # The demo's repositories ask for cpul=2 and meml=4 in their .resources.
        assert row["resources"] == {
            "cpu_guarantee": 1.0,
            "cpu_limit": 2.0,
            "mem_guarantee_gb": 1,
            "mem_limit_gb": 4,
            "gpu": 0,
            "from_file": True,
        }
        await service.stop(name)
        service.invalidate()
        stopped = (await service.list())["servers"][0]
        assert stopped["stopped"] and stopped["resources_text"] == "1-2 CPU · 1-4 GB"
    finally:
        real_hub.remove_servers(user)
