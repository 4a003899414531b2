"""Relaunch without a rebuild, against a real JupyterHub (the demo hub) standing in for BinderHub.

Each relaunch is a ``POST binder/api/relaunch`` to a running server, through the proxy (the
answer checked against its declared type). The demo's builder stand-in records in
``builds.jsonl`` whether BinderHub would have built; a server started with an image runs that
image's files (the demo's ``checkout_image_commit``), so the new server's repository is at
the new commit only once the extension in it has caught up. Rita's token holds the scopes to
start servers; Bob's has JupyterHub's defaults (the fixture's ``SCOPELESS_USERS``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import git

from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.demo.builds import image_name, read_builds
from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.relaunch.direct import CATCH_UP_OPTION
from jupyter_binder_ext.relaunch.text import describe_relaunch

pytest_plugins = ("fixtures.realhub",)

RITA, BOB = "rita", "bob"
RITAS = "o-direct-aa11bb22"
BOBS = "o-noscope-cc33dd44"
CATCH_UP_WAIT_S = 60.0


@dataclass(frozen=True)
class Running:
    """One running server of a user, launched by BinderHub at the sample's commit."""

    hub: DemoHub
    user: str
    name: str
    token: str
    options: dict[str, Any]

    @property
    def old(self) -> str:
        return str(self.options["binder_persistent_request"]).rpartition("/")[2]

    def home(self, name: str = "") -> Path:
        return self.hub.state_dir / "servers" / self.user / (name or self.name)

    def relaunch(self, payload: dict[str, Any]) -> dict[str, Any]:
        status, answer = self.hub.server_api(
            self.token, self.user, self.name, "binder/api/relaunch", "POST", 150, body=payload
        )
        assert status == 200, answer
        assert answer["push"]["ok"] is True, answer["push"]
        return dict(answer)

    def get(self, name: str, path: str) -> dict[str, Any]:
        status, data = self.hub.server_api(self.token, self.user, name, path)
        assert status == 200, data
        return dict(data)

    def build_until_done(self, build_id: str) -> dict[str, Any]:
        """The build this server follows (``GET binder/api/projects``' ``builds``), ended."""
        build: dict[str, Any] | None = None
        for _ in range(400):
            data = self.get(self.name, "binder/api/projects")
            build = next((b for b in data["builds"] if b["id"] == build_id), None)
            assert build is not None, data["builds"]
            if build["done"]:
                return dict(build)
            time.sleep(0.3)
        raise AssertionError(f"the build never ended: {build}")

    def builds_of(self, sha: str) -> list[dict[str, Any]]:
        return [b for b in read_builds(self.hub.state_dir) if b["commit"] == sha]


def start(hub: DemoHub, user: str, name: str, repo: str) -> Running:
    options = hub.binder_options("o", repo)
    hub.start_server(user, name, options)
    return Running(hub, user, name, hub.user_token(user), options)


@pytest.fixture(scope="module")
def ritas(real_hub: DemoHub) -> Iterator[Running]:
    running = start(real_hub, RITA, RITAS, "direct")
    yield running
    real_hub.remove_servers(RITA)


def wait_for_head(repo: Path, sha: str) -> float:
    """Seconds until `repo`'s HEAD is `sha` (the catch-up runs in the new server)."""
    began = time.monotonic()
    head = ""
    while time.monotonic() - began < CATCH_UP_WAIT_S:
        head = git(repo, "rev-parse", "HEAD")
        if head == sha:
            return time.monotonic() - began
        time.sleep(0.2)
    raise AssertionError(f"HEAD of {repo} is still {head}, not {sha}")


def test_a_resources_only_relaunch_starts_the_new_server_with_the_running_image(
    ritas: Running,
) -> None:
    old_image = ritas.options["image"]
    assert old_image == image_name("o", "direct", ritas.old)
    assert ritas.get(RITAS, "binder/api/limits")["memory"]["limit"] == 4 * GB  # sample meml=4

    answer = ritas.relaunch({"values": {"meml": 2}})

    sha = answer["commit"]["sha"]
    assert answer["ok"] is True, answer["message"]
    launch = answer["launch"]
    assert launch["kind"] == "hub"
    assert launch["rebuild"] is False
    assert launch["reason_code"] == ""
    assert launch["reason"] == (
        f"only .resources changed since the running image's commit {ritas.old[:12]}: the new "
        "server runs that image"
    )
    assert launch["started"] is True and launch["ready"] is True
    assert launch["catch_up"] == {"image_commit": ritas.old, "commit": sha, "objects": 3}
    assert launch["user_options"]["image"] == old_image  # the old image's name, not a new one
    assert launch["user_options"]["binder_persistent_request"] == f"v2/gh/o/direct/{sha}"
    assert CATCH_UP_OPTION not in launch["user_options"]
    assert "without a rebuild" in answer["message"]
    assert (
        "  Started with the running image, no rebuild: only .resources changed"
        in describe_relaunch(answer).splitlines()[-2]
    )
    name = launch["server_name"]
    hub_options = ritas.hub.named_servers(RITA)[name]["user_options"]
    assert hub_options["image"] == old_image
    assert hub_options[CATCH_UP_OPTION]["to"] == sha

    # No build: the launch of the new commit reused the running image.
    assert ritas.builds_of(sha) == [
        {
            "time": ritas.builds_of(sha)[0]["time"],
            "image": old_image,
            "repo_url": "https://github.com/o/direct",
            "commit": sha,
            "built": False,
            "files_commit": ritas.old,
        }
    ]
    assert not [b for b in read_builds(ritas.hub.state_dir) if sha in b["image"]]

    # The hub-side hook applied the new commit's .resources.
    limits = ritas.get(name, "binder/api/limits")
    assert limits["memory"]["limit"] == 2 * GB
    assert limits["memory"]["limit_source"] == "cgroup v1"
    assert limits["notice"] is None
    assert ritas.get(name, "binder/api/launch")["resolved_ref"] == sha

    # The image's files were at the old commit; the extension moved them to the new one.
    home = ritas.home(name)
    wait_for_head(home, sha)
    assert (home / ".resources").read_text().splitlines()[-1] == "meml=2"
    assert git(home, "rev-parse", "HEAD~1") == ritas.old  # the very commit, history and all
    assert git(home, "rev-parse", "origin/main") == sha  # not shown as unpushed
    assert git(home, "status", "--porcelain", "--untracked-files=no") == ""


def test_a_relaunch_after_another_file_changed_goes_through_binderhub(ritas: Running) -> None:
    home = ritas.home()
    (home / "README.md").write_text("# edited before the relaunch\n")
    git(home, "add", "README.md")
    git(home, "commit", "-q", "-m", "Edit the README")  # committed here, pushed by the relaunch

    answer = ritas.relaunch({"values": {"meml": 3}})

    sha = answer["commit"]["sha"]
    launch = answer["launch"]
    assert answer["ok"] is True, answer["message"]
    assert launch["kind"] == "binderhub"
    assert launch["url"] == f"{ritas.hub.launch_host}v2/gh/o/direct/{sha}"
    assert launch["rebuild"] is True
    assert launch["reason_code"] == "other_files_changed"
    assert launch["reason"] == (
        f"more than .resources changed since the running image's commit {ritas.old[:12]} "
        "(README.md), so the image must be built again"
    )
    # Issue 20: Rita's server token is let in to BinderHub, so the server itself follows
    # BinderHub's build stream, which builds and starts the new commit; the browser must not
    # open the link too (a second launch).
    assert launch["build"]["followed"] is True, launch["build"]["message"]
    assert launch["open"] is False
    assert "BinderHub is building the new commit" in answer["message"]

    # BinderHub builds the new commit's image and starts it.
    build = ritas.build_until_done(launch["build"]["id"])
    assert build["phase"] == "ready" and build["failure"] is None, build
    name = build["server_name"]
    ritas.hub.wait_server(RITA, name)
    new_image = image_name("o", "direct", sha)
    assert [(b["image"], b["built"], b["files_commit"]) for b in ritas.builds_of(sha)] == [
        (new_image, True, sha)
    ]
    assert git(ritas.home(name), "rev-parse", "HEAD") == sha  # the new image's own files
    assert ritas.get(name, "binder/api/limits")["memory"]["limit"] == 3 * GB


def test_without_the_right_to_start_servers_binderhub_builds(real_hub: DemoHub) -> None:
    bobs = start(real_hub, BOB, BOBS, "noscope")
    try:
        before = set(real_hub.named_servers(BOB))
        answer = bobs.relaunch({"values": {"meml": 2}})
        after = set(real_hub.named_servers(BOB))
    finally:
        real_hub.api("DELETE", f"/users/{BOB}/servers/{BOBS}", {"remove": True})
    sha = answer["commit"]["sha"]
    launch = answer["launch"]
    assert answer["ok"] is True, answer["message"]
    assert launch["kind"] == "binderhub"
    assert launch["url"] == f"{real_hub.launch_host}v2/gh/o/noscope/{sha}"
    assert launch["rebuild"] is True
    assert launch["reason_code"] == "no_start_scope"
    assert launch["reason"] == (
        "the hub does not let this server's token start servers (it needs servers!user or "
        "start:servers!user)"
    )
    assert launch["reason"] in answer["message"]
    assert after == before  # the hub refused: no server was made
    assert f"  BinderHub builds the new commit: {launch['reason']}" in describe_relaunch(answer)
    assert bobs.builds_of(sha) == []
