"""The hub hook that applies `.resources`: clamping, fallbacks, a real local spawner, config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jupyterhub.spawner import SimpleLocalProcessSpawner
from jupyterhub.utils import maybe_future
from traitlets.config import Config

from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.config import ResourceDefaults
from jupyter_binder_ext.hub import (
    NOTICE_ENV,
    BinderSite,
    LocalGitSource,
    clamp,
    idle_culler_role,
    idle_culler_service,
    plan_from_text,
    resources_hook,
    server_token_scopes,
)
from jupyter_binder_ext.hub.sources import FetchResult, LaunchTarget

SEED = ResourceDefaults()
CAPPED = ResourceDefaults(max_cpu_limit=4, max_mem_limit_gb=8, max_gpu=1)


# -- the plan: parse with the core model, then clamp -----------------------------------------


def test_seed_example_file_is_taken_as_written() -> None:
    text = "# This file is for resource requests in CERIT-SC\n# Do not change\n"
    text += "gpu=1\ncpur=2\ncpul=4\nmemr=1\nmeml=4\n"
    plan = plan_from_text(text, SEED)
    assert plan.from_file and plan.notice == ""
    assert (plan.gpu, plan.cpu_guarantee, plan.cpu_limit) == (1, 2.0, 4.0)
    assert (plan.mem_guarantee_bytes, plan.mem_limit_bytes) == (1 * GB, 4 * GB)


def test_missing_lines_take_the_defaults() -> None:
    plan = plan_from_text("meml=2\n", SEED)
    assert (plan.cpu_guarantee, plan.cpu_limit, plan.mem_guarantee_gb, plan.mem_limit_gb) == (
        1.0,
        8.0,
        1,
        2,
    )
    assert plan.gpu == 0


def test_values_above_the_maxima_are_lowered_and_said() -> None:
    plan = plan_from_text("gpu=4\ncpur=6\ncpul=16\nmemr=12\nmeml=32\n", CAPPED)
    assert plan.from_file
    assert (plan.gpu, plan.cpu_guarantee, plan.cpu_limit) == (1, 4.0, 4.0)
    assert (plan.mem_guarantee_gb, plan.mem_limit_gb) == (8, 8)
    assert plan.notice == (
        ".resources: cpur=6 is above this hub's maximum, 4 applies; "
        "cpul=16 is above this hub's maximum, 4 applies; "
        "memr=12 is above this hub's maximum, 8 GB applies; "
        "meml=32 is above this hub's maximum, 8 GB applies; "
        "gpu=4 is above this hub's maximum, 1 applies."
    )


def test_site_defaults_are_not_clamped() -> None:
    # The operator's own defaults above the maxima are the operator's business.
    plan = plan_from_text("gpu=1\n", CAPPED)
    assert (plan.cpu_limit, plan.mem_limit_gb) == (8.0, 16)
    assert plan.notice == ""


def test_clamping_keeps_a_guarantee_within_its_limit() -> None:
    values, notes = clamp(
        {"gpu": 0, "cpur": 3, "cpul": 6, "memr": 6, "meml": 12}, {"cpul", "meml"}, CAPPED
    )
    assert values == {"gpu": 0, "cpur": 3, "cpul": 4.0, "memr": 6, "meml": 8.0}
    _, notes = clamp({"gpu": 0, "cpur": 6, "cpul": 6, "memr": 1, "meml": 4}, {"cpul"}, CAPPED)
    assert notes[-1] == "the CPU guarantee is lowered to the limit, 4"


def test_maxima_set_to_zero_mean_no_ceiling() -> None:
    no_ceiling = ResourceDefaults(max_cpu_limit=0, max_mem_limit_gb=0, max_gpu=0)
    plan = plan_from_text("gpu=8\ncpul=64\nmeml=512\n", no_ceiling)
    assert (plan.gpu, plan.cpu_limit, plan.mem_limit_gb) == (8, 64.0, 512)
    assert plan.notice == ""


def test_ceilings_are_on_by_default_and_a_clamp_is_noticed() -> None:
    # The seed site's documented limits (8 cores, 16 GB) and one GPU, with nothing configured.
    plan = plan_from_text("gpu=1000\ncpul=64\nmeml=999999\n", SEED)
    assert (plan.gpu, plan.cpu_limit, plan.mem_limit_gb) == (1, 8.0, 16)
    assert plan.from_file
    for fragment in (
        "gpu=1000 is above this hub's maximum, 1 applies",
        "cpul=64 is above this hub's maximum, 8 applies",
        "meml=999999 is above this hub's maximum, 16 GB applies",
    ):
        assert fragment in plan.notice


def test_invalid_file_gives_defaults_and_lists_the_problems() -> None:
    plan = plan_from_text("meml=4G\ncpu=3\nmeml=1\ngpu=-1\n", SEED)
    assert not plan.from_file
    assert (plan.cpu_limit, plan.mem_limit_gb, plan.gpu) == (8.0, 16, 0)
    assert plan.notice.startswith(".resources could not be used: line 1 (meml): RAM is in whole")
    for fragment in ("line 2 (cpu): Unknown key 'cpu'", "line 3 (meml):", "line 4 (gpu):"):
        assert fragment in plan.notice
    assert plan.notice.endswith(
        "The site defaults apply (1 CPU guaranteed / 8 limit, 1 GB / 16 GB memory, no GPU)."
    )


def test_a_long_list_of_problems_is_shortened() -> None:
    text = "".join(f"bad{i}\n" for i in range(9))
    plan = plan_from_text(text, SEED)
    assert "(and 4 more)" in plan.notice
    assert plan.notice.count("line ") == 5


def test_request_above_its_limit_is_an_error_not_a_clamp() -> None:
    # The core model rejects it: the user must choose, the hub does not guess.
    plan = plan_from_text("memr=8\nmeml=4\n", SEED)
    assert not plan.from_file and plan.mem_limit_gb == 16
    assert "line 1 (memr): The RAM request memr=8 is above the RAM limit meml=4" in plan.notice


# -- a real JupyterHub spawner ---------------------------------------------------------------


def local_spawner(config: Config, user_options: dict[str, Any]) -> SimpleLocalProcessSpawner:
    """JupyterHub's own SimpleLocalProcessSpawner, with just the user and hub it reads."""
    user = SimpleNamespace(name="alice", id=1, url="/user/alice/", escaped_name="alice")
    hub = SimpleNamespace(
        public_host="",
        url="http://127.0.0.1:8081/hub/",
        api_url="http://127.0.0.1:8081/hub/api",
        base_url="/hub/",
    )
    spawner = SimpleLocalProcessSpawner(user=user, hub=hub, config=config)
    spawner.user_options = user_options
    return spawner


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_resources(repo: Path, text: str | None) -> str:
    path = repo / ".resources"
    if text is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "resources")
    return git(repo, "rev-parse", "HEAD")


def launched(sha: str) -> dict[str, str]:
    return {
        "repo_url": "https://github.com/demo/project",
        "binder_ref_url": f"https://github.com/demo/project/tree/{sha}",
        "binder_launch_host": "http://127.0.0.1:8000/hub/binder/",
        "binder_request": "v2/gh/demo/project/main",
        "binder_persistent_request": f"v2/gh/demo/project/{sha}",
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    repo = tmp_path / "project.git-work"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "test@example.org")
    git(repo, "config", "user.name", "Test")
    return repo


async def spawn_env(spawner: SimpleLocalProcessSpawner) -> dict[str, str]:
    """Run the hook as JupyterHub does (``maybe_future(run_pre_spawn_hook())``), then the env."""
    await maybe_future(spawner.run_pre_spawn_hook())
    env: dict[str, str] = spawner.get_env()
    return env


async def test_relaunches_follow_the_file_on_a_local_spawner(project: Path) -> None:
    c = Config()
    c.Spawner.pre_spawn_hook = resources_hook
    c.BinderResourcesHook.source = LocalGitSource(project)
    four = commit_resources(project, "cpul=2\nmeml=4\n")
    two = commit_resources(project, "cpul=2\nmeml=2\n")
    broken = commit_resources(project, "meml=2GB\n")
    removed = commit_resources(project, None)

    spawner = local_spawner(c, launched(four))
    env = await spawn_env(spawner)
    assert (env["MEM_LIMIT"], env["CPU_LIMIT"]) == (str(4 * GB), "2.0")
    assert (env["MEM_GUARANTEE"], env["CPU_GUARANTEE"]) == (str(1 * GB), "1.0")
    assert NOTICE_ENV not in env

    # The same named server relaunched at the next commit: the spawner object is reused.
    spawner.user_options = launched(two)
    env = await spawn_env(spawner)
    assert env["MEM_LIMIT"] == str(2 * GB) == "2147483648"

    spawner.user_options = launched(broken)
    env = await spawn_env(spawner)
    assert (env["MEM_LIMIT"], env["CPU_LIMIT"]) == (str(16 * GB), "8.0")
    assert env[NOTICE_ENV].startswith(".resources could not be used: line 1 (meml): RAM is in")

    spawner.user_options = launched(removed)
    env = await spawn_env(spawner)
    assert env[NOTICE_ENV].startswith(f"demo/project@{removed[:12]} has no .resources file.")

    spawner.user_options = launched(two)
    env = await spawn_env(spawner)
    assert env["MEM_LIMIT"] == str(2 * GB)
    assert NOTICE_ENV not in env  # a stale notice never outlives its launch


async def test_config_maxima_apply_through_the_hub_config(project: Path) -> None:
    c = Config()
    c.Spawner.pre_spawn_hook = resources_hook
    c.BinderResourcesHook.source = LocalGitSource(project)
    c.BinderResourcesHook.max_mem_limit_gb = 8
    c.BinderResourcesHook.default_mem_limit_gb = 6
    big = commit_resources(project, "meml=64\n")
    none = commit_resources(project, None)

    env = await spawn_env(local_spawner(c, launched(big)))
    assert env["MEM_LIMIT"] == str(8 * GB)
    assert env[NOTICE_ENV] == ".resources: meml=64 is above this hub's maximum, 8 GB applies."

    env = await spawn_env(local_spawner(c, launched(none)))
    assert env["MEM_LIMIT"] == str(6 * GB)


async def test_gpu_on_a_spawner_without_gpus_is_said(project: Path) -> None:
    c = Config()
    c.Spawner.pre_spawn_hook = resources_hook
    c.BinderResourcesHook.source = LocalGitSource(project)
    sha = commit_resources(project, "gpu=1\n")
    env = await spawn_env(local_spawner(c, launched(sha)))
    assert env[NOTICE_ENV] == (
        "gpu=1 was asked for, but this hub's spawner (SimpleLocalProcessSpawner) cannot "
        "attach GPUs."
    )


class BrokenSource:
    async def fetch(self, target: LaunchTarget) -> FetchResult:
        raise OSError("disk on fire")


async def test_a_failing_source_never_blocks_the_spawn() -> None:
    c = Config()
    c.Spawner.pre_spawn_hook = resources_hook
    c.BinderResourcesHook.source = BrokenSource()
    env = await spawn_env(local_spawner(c, launched("a" * 40)))
    assert env["MEM_LIMIT"] == str(16 * GB)
    assert env[NOTICE_ENV].startswith(
        f"{'.resources'} of demo/project@{'a' * 12} could not be read (OSError)."
    )


async def test_a_launch_without_binderhub_options_gets_quiet_defaults() -> None:
    c = Config()
    c.Spawner.pre_spawn_hook = resources_hook
    env = await spawn_env(local_spawner(c, {}))
    assert env["MEM_LIMIT"] == str(16 * GB) and env["CPU_LIMIT"] == "8.0"
    assert NOTICE_ENV not in env


# -- the rest of the site: slots, scopes, the idle culler ------------------------------------


def test_server_token_scopes_cover_the_extension_and_the_defaults() -> None:
    assert server_token_scopes() == [
        "read:servers!user",
        "servers!user",
        "delete:servers!user",
        "access:servers!server",
        "users:activity!user",
    ]


def test_server_token_scopes_are_valid_jupyterhub_scopes() -> None:
    from jupyterhub.scopes import _check_scopes_exist

    _check_scopes_exist(server_token_scopes())  # raises on an unknown scope
    _check_scopes_exist(idle_culler_role()["scopes"])


def test_idle_culler_command_is_understood_by_the_real_culler() -> None:
    from jupyterhub_idle_culler import IdleCuller

    service = idle_culler_service()
    assert service["name"] == "idle-culler"
    assert service["command"][:3] == [sys.executable, "-m", "jupyterhub_idle_culler"]
    culler = IdleCuller()
    culler.parse_command_line(service["command"][3:])
    assert culler.timeout == 7 * 24 * 3600
    assert culler.remove_named_servers is True
    assert culler.cull_every == 3600


def test_configure_hub_writes_slots_scopes_and_culler_once() -> None:
    c = Config()
    c.JupyterHub.services = [{"name": "binder", "admin": True}]
    site = BinderSite(config=c)
    site.configure_hub(c)
    site.configure_hub(c)  # twice: nothing duplicated
    assert c.JupyterHub.allow_named_servers is True
    assert c.JupyterHub.named_server_limit_per_user == 5
    assert c.Spawner.server_token_scopes == server_token_scopes()
    assert [s["name"] for s in c.JupyterHub.services] == ["binder", "idle-culler"]
    roles = c.JupyterHub.load_roles.get_value([])
    assert roles == [idle_culler_role()]
    assert roles[0]["services"] == ["idle-culler"]


def test_configure_hub_leaves_the_culler_to_the_chart_when_asked() -> None:
    c = Config()
    BinderSite(config=c).configure_hub(c, culler=False)
    assert "services" not in c.JupyterHub
    assert c.JupyterHub.named_server_limit_per_user == 5


# -- nothing of the hub side is loaded by the server side ------------------------------------

HEAVY = ("kubernetes", "kubernetes_asyncio", "kubespawner", "jupyterhub", "aiohttp")


def imported_after(*modules: str) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(modules)!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return list(json.loads(done.stdout))


def test_server_side_imports_nothing_of_the_hub() -> None:
    assert imported_after("jupyter_binder_ext", "jupyter_binder_ext.server.app") == []


def test_the_hub_package_defers_kubernetes_and_kubespawner() -> None:
    # Loading it in a hub's config costs traitlets only; the clients load when used.
    assert imported_after("jupyter_binder_ext.hub") == []
