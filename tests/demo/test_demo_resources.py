"""The demo hub applies `.resources` with the hub-side hook, so a relaunch changes the limits.

Against the real demo hub (real JupyterHub, real configurable-http-proxy, servers as local
processes). Like pods, each server runs in a cgroup of its own that enforces what the hook
decided, so its limits API reports the limits the kernel enforces, with the source
"cgroup v1", and its own usage. Dana's servers only (the hub is shared for the whole
session); each test deletes the servers it started, so other tests' slot counts stay as they were.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fixtures.gitrepo import git

from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.demo import gitrepos
from jupyter_binder_ext.demo.cgroups import PARENT_NAME
from jupyter_binder_ext.demo.runner import DemoHub

pytest_plugins = ("fixtures.realhub",)


DANA = "dana"
ENFORCED = "cgroup v1"  # the demo spawner puts each server in its own cgroup


@dataclass(frozen=True)
class DanasHub:
    hub: DemoHub
    token: str

    def get(self, server: str, path: str) -> dict[str, Any]:
        status, data = self.hub.server_api(self.token, DANA, server, path)
        assert status == 200, data
        return dict(data)

    def post(self, server: str, path: str, payload: Any) -> tuple[int, Any]:
        """POST to one of Dana's servers through the proxy, with her token."""
        return self.hub.server_api(self.token, DANA, server, path, "POST", 120, body=payload)

    def servers(self) -> dict[str, Any]:
        return self.hub.named_servers(DANA)


@pytest.fixture
def danas_hub(real_hub: DemoHub) -> Iterator[DanasHub]:
    real_hub.create_user(DANA)
    yield DanasHub(real_hub, real_hub.user_token(DANA))
    # Every server this test started, the relaunched ones included: no slot is left taken.
    real_hub.remove_servers(DANA)


def sample_resources() -> dict[str, str]:
    lines = (gitrepos.SAMPLE_REPO / ".resources").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_sample_asks_for_more_than_the_relaunch_below() -> None:
    # The relaunch test lowers meml from the sample's value; it must really be a change.
    assert sample_resources() == {"gpu": "0", "cpur": "1", "cpul": "2", "memr": "1", "meml": "4"}


def test_relaunch_with_less_memory_gives_a_server_with_the_new_limit(
    danas_hub: DanasHub,
) -> None:
    hub = danas_hub.hub
    first = "d-res-aa11bb22"
    hub.start_server(DANA, first, hub.binder_options("d", "res"))

    limits = danas_hub.get(first, "binder/api/limits")
    assert limits["memory"]["limit"] == 4 * GB  # the sample's meml=4
    assert limits["memory"]["limit_source"] == ENFORCED
    assert limits["memory"]["guarantee"] == 1 * GB  # memr=1
    assert limits["cpu"]["limit"] == 2  # cpul=2
    assert limits["cpu"]["limit_source"] == ENFORCED
    assert limits["cpu"]["guarantee"] == 1  # cpur=1
    assert limits["notice"] is None  # the file was used as it is
    # Enforced for the server's own processes, not read from the machine's cgroup.
    pid = int((hub.state_dir / "pids" / f"{DANA}.{first}.pid").read_text())
    assert f"/{PARENT_NAME}/{DANA}.{first}\n" in Path(f"/proc/{pid}/cgroup").read_text()

    # Another file changed too, so the new commit needs BinderHub's build (a .resources-only
    # relaunch starts without one: tests/relaunch/test_relaunch_direct.py).
    home = hub.state_dir / "servers" / DANA / first
    (home / "README.md").write_text("# edited\n")
    git(home, "commit", "-q", "-am", "Edit the README")
    status, answer = danas_hub.post(first, "binder/api/relaunch", {"values": {"meml": 2}})
    assert status == 200, answer
    assert answer["ok"] is True, answer["message"]
    sha = answer["commit"]["sha"]
    assert answer["commit"]["created"] is True
    bare = gitrepos.bare_repo_path(hub.state_dir, "d", "res")
    assert git(bare, "rev-parse", "main") == sha  # pushed to the demo's stand-in for GitHub
    assert "meml=2" in git(bare, "show", f"{sha}:.resources").splitlines()
    launch = answer["launch"]
    assert launch["kind"] == "binderhub"  # the demo serves BinderHub-style launch links
    assert launch["url"] == f"{hub.launch_host}v2/gh/d/res/{sha}"

    # Dana's browser opens the link: the launcher sends it to the hub's spawn page for a new
    # named server, with BinderHub's user_options for the new commit.
    browser = hub.browser(DANA)
    status, location = browser.step(launch["url"])
    assert status in (301, 302, 303, 307), status
    spawn = urlsplit(location)
    spawn_prefix = f"/hub/spawn/{DANA}/"
    assert spawn.path.startswith(spawn_prefix), spawn.path
    second = spawn.path[len(spawn_prefix) :]
    assert second.startswith("d-res-") and second != first
    options = {key: values[-1] for key, values in parse_qs(spawn.query).items()}
    assert options["opt-binder_persistent_request"] == f"v2/gh/d/res/{sha}"
    assert browser.open(f"{hub.url}{spawn.path.lstrip('/')}?{spawn.query}") == 200
    hub.wait_server(DANA, second)

    new_limits = danas_hub.get(second, "binder/api/limits")
    assert new_limits["memory"]["limit"] == 2 * GB == 2147483648
    assert new_limits["memory"]["limit_source"] == ENFORCED
    assert new_limits["cpu"]["limit"] == 2  # cpul=2 is still in the file
    assert new_limits["notice"] is None
    assert danas_hub.get(first, "binder/api/limits")["memory"]["limit"] == 4 * GB
    assert danas_hub.get(second, "binder/api/launch")["resolved_ref"] == sha
    assert danas_hub.get(first, "binder/api/launch")["resolved_ref"] != sha
    assert danas_hub.servers()[second]["user_options"]["binder_persistent_request"] == (
        f"v2/gh/d/res/{sha}"
    )


def test_an_invalid_file_at_the_launched_commit_gives_the_defaults_and_a_notice(
    danas_hub: DanasHub, tmp_path: Path
) -> None:
    hub = danas_hub.hub
    hub.binder_options("d", "bad")  # the demo's stand-in for github.com/d/bad, from the sample
    bare = gitrepos.bare_repo_path(hub.state_dir, "d", "bad")
    work = tmp_path / "bad"
    subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True)
    (work / ".resources").write_text("# units are not allowed\ncpul=2\nmeml=4GB\n")
    git(work, "commit", "-q", "-am", "RAM with a unit")
    git(work, "push", "-q", "origin", "main")
    sha = git(work, "rev-parse", "HEAD")

    options = hub.binder_options("d", "bad")
    assert options["binder_persistent_request"] == f"v2/gh/d/bad/{sha}"
    name = "d-bad-cc33dd44"
    hub.start_server(DANA, name, options)

    limits = danas_hub.get(name, "binder/api/limits")
    # The seed site's defaults: 1 CPU / 1 GB guaranteed, 8 CPU / 16 GB limit.
    assert limits["memory"]["limit"] == 16 * GB
    assert limits["memory"]["limit_source"] == ENFORCED
    assert limits["memory"]["guarantee"] == 1 * GB
    assert limits["cpu"]["limit"] == 8  # not the file's cpul=2: nothing of it is used
    assert limits["cpu"]["guarantee"] == 1
    notice = limits["notice"]
    assert notice.startswith(".resources could not be used: line 3 (meml): ")
    assert "RAM is in whole GB, without units: meml=4" in notice
    assert notice.endswith(
        "The site defaults apply (1 CPU guaranteed / 8 limit, 1 GB / 16 GB memory, no GPU)."
    )
    assert danas_hub.get(name, "binder/api/launch")["resolved_ref"] == sha
