"""``GET binder/api/limits`` and ``GET binder/api/launch`` through a real Jupyter server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPResponse

NUMBER_OR_NULL = (int, float, type(None))


def body(response: HTTPResponse) -> Any:
    return json.loads(response.body.decode())


async def test_limits_answers_the_documented_shape(jp_fetch: Any) -> None:
    response = await jp_fetch("binder", "api", "limits")
    assert response.code == 200
    data = body(response)
    assert set(data) == {"cpu", "memory", "gpu", "warnings", "notice"}
    cpu, memory, gpu = data["cpu"], data["memory"], data["gpu"]
    assert set(cpu) == {
        "guarantee",
        "guarantee_source",
        "limit",
        "limit_source",
        "used_cores",
        "throttled",
        "nr_throttled",
        "throttled_seconds",
        "source",
    }
    assert set(memory) == {
        "guarantee",
        "guarantee_source",
        "limit",
        "limit_source",
        "used",
        "working_set",
        "in_use",
        "oom_kills",
        "source",
    }
    for section, keys in ((cpu, ("guarantee", "limit", "used_cores")), (memory, ("limit", "used"))):
        for key in keys:
            assert isinstance(section[key], NUMBER_OR_NULL), key
    # Something always limits: at worst the host's own size.
    assert cpu["limit"] > 0
    assert memory["limit"] > 0
    assert isinstance(cpu["throttled"], bool)
    for section in (cpu, memory):
        for key in ("source", "limit_source", "guarantee_source"):
            assert section[key] in ("cgroup v1", "cgroup v2", "spawner env", "host", "none")
    assert isinstance(gpu["count"], int)
    assert gpu["count"] == len(gpu["devices"])
    assert isinstance(gpu["source"], str) and gpu["source"]
    assert isinstance(data["warnings"], list)
    assert data["notice"] is None


async def test_limits_carry_spawner_guarantees_and_the_hub_notice(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPU_GUARANTEE", "0.5")
    monkeypatch.setenv("MEM_GUARANTEE", str(1024**3))
    monkeypatch.setenv("BINDER_RESOURCES_NOTICE", ".resources is honoured only for github.com")
    data = body(await jp_fetch("binder", "api", "limits"))
    assert data["cpu"]["guarantee"] == 0.5
    assert data["cpu"]["guarantee_source"] == "spawner env"
    assert data["memory"]["guarantee"] == 1024**3
    assert data["notice"] == ".resources is honoured only for github.com"


@pytest.mark.parametrize("endpoint", ["limits", "launch"])
@pytest.mark.parametrize("authorization", ["", "token not-the-servers-token"])
async def test_unauthenticated_requests_are_refused(
    jp_fetch: Any, endpoint: str, authorization: str
) -> None:
    # An empty Authorization header replaces the token jp_fetch would add.
    response = await jp_fetch(
        "binder", "api", endpoint, headers={"Authorization": authorization}, raise_error=False
    )
    assert response.code == 403
    assert b"cpu" not in response.body and b"repo_url" not in response.body


async def test_launch_under_a_hub(jp_fetch: Any, binder_env: dict[str, str]) -> None:
    data = body(await jp_fetch("binder", "api", "launch"))
    assert data["under_hub"] is True
    assert data["user"] == "alice"
    assert data["repo_url"] == "https://github.com/o/r"
    assert data["is_github"] is True


async def test_launch_without_a_hub_says_so(jp_fetch: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JUPYTERHUB_API_URL", "JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN", "BINDER_REQUEST"):
        monkeypatch.delenv(name, raising=False)
    response = await jp_fetch("binder", "api", "launch")
    assert response.code == 200
    data = body(response)
    assert data["under_hub"] is False
    assert "not running under jupyterhub" in data["message"].lower()


def test_every_limits_warning_names_its_level_and_figure() -> None:
    """The sidebar colours a bar from `figure` and `level`, never from the wording."""
    from jupyter_binder_ext.limits.answers import CpuFigures, MemoryFigures
    from jupyter_binder_ext.limits.builders import limit_warnings

    gib = 1024**3
    cpu: CpuFigures = {
        "guarantee": None,
        "guarantee_source": "none",
        "limit": 2.0,
        "limit_source": "cgroup v1",
        "used_cores": 2.0,
        "throttled": True,
        "nr_throttled": 3,
        "throttled_seconds": 1.0,
        "source": "cgroup v1",
    }
    memory: MemoryFigures = {
        "guarantee": None,
        "guarantee_source": "none",
        "limit": 4 * gib,
        "limit_source": "cgroup v1",
        "used": 4 * gib,
        "working_set": int(3.9 * gib),
        "in_use": int(3.9 * gib),
        "oom_kills": 1,
        "source": "cgroup v1",
    }
    found = {w["kind"]: (w["level"], w["figure"]) for w in limit_warnings(cpu, memory)}
    assert found == {
        "cpu_throttled": ("warning", "cpu"),
        "oom_kill": ("warning", "memory"),
        "memory_near_limit": ("warning", "memory"),
    }
    no_memory_limit: MemoryFigures = {**memory, "limit": None, "oom_kills": None}
    earlier = limit_warnings({**cpu, "throttled": False}, no_memory_limit)
    assert [(w["kind"], w["level"], w["figure"]) for w in earlier] == [
        ("cpu_throttled_earlier", "info", "cpu")
    ]
