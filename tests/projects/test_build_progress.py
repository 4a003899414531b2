"""A relaunch that needs BinderHub's build, followed from the notebook: BinderHub's build event
stream (the demo's stand-in for BinderHub's BuildHandler, demo/build_stream.py) read by the
server to ``ready`` or ``failed``, its phase and last log lines in ``GET projects``, the whole
log at ``GET projects/builds/{id}/log``, and plain words where the hub keeps this server's
token away from BinderHub. Against the real demo hub, real git, real servers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fixtures.gitrepo import git

from jupyter_binder_ext.demo.builds import FAILING_REQUIREMENT
from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.projects.build_progress import build_stream_url
from jupyter_binder_ext.projects.failure import hint_for

pytest_plugins = ("fixtures.realhub",)

USER = "bea"
SCOPELESS = "bob"  # fixtures/realhub.py: JupyterHub's default server scopes only


@dataclass(frozen=True)
class Notebook:
    hub: DemoHub
    user: str
    name: str
    token: str

    def call(self, path: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
        return self.hub.server_api(self.token, self.user, self.name, path, method, 120, body=body)

    def commit(self, path: str, text: str, message: str) -> None:
        """Change a file of the notebook's clone and commit it (something to build)."""
        home = self.hub.state_dir / "servers" / self.user / self.name
        (home / path).write_text(text)
        git(home, "add", path)
        git(home, "commit", "-q", "-m", message)

    def relaunch(self) -> dict[str, Any]:
        status, answer = self.call("binder/api/relaunch", "POST", {"values": {"meml": 2}})
        assert status == 200, answer
        assert answer["ok"] is True, answer["message"]
        return dict(answer)

    def build_until_done(self, build_id: str) -> dict[str, Any]:
        for _ in range(200):
            status, data = self.call("binder/api/projects")
            assert status == 200, data
            build = next((b for b in data["builds"] if b["id"] == build_id), None)
            assert build is not None, data["builds"]
            if build["done"]:
                return dict(build)
            time.sleep(0.3)
        raise AssertionError(f"the build never ended: {build}")


def _notebook(hub: DemoHub, user: str, repo: str) -> Notebook:
    name = f"b-{repo}-aa11bb22"
    hub.start_server(user, name, hub.binder_options("b", repo))
    return Notebook(hub, user, name, hub.user_token(user))


@pytest.fixture
def beas_hub(real_hub: DemoHub) -> Iterator[DemoHub]:
    real_hub.create_user(USER)
    yield real_hub
    real_hub.remove_servers(USER)


def test_a_relaunch_follows_binderhubs_build_to_the_new_project(beas_hub: DemoHub) -> None:
    notebook = _notebook(beas_hub, USER, "built")
    notebook.commit("README.md", "# edited\n", "Edit the README")
    answer = notebook.relaunch()
    launch = answer["launch"]
    assert launch["kind"] == "binderhub" and launch["reason_code"] == "other_files_changed"
    # This server opened BinderHub's stream, which builds and launches: not the browser too.
    assert launch["build"]["followed"] is True, launch["build"]["message"]
    assert launch["open"] is False
    assert launch["url"].startswith(beas_hub.launch_host + "v2/gh/b/built/")
    assert "Projects section shows its progress" in answer["message"]

    build = notebook.build_until_done(launch["build"]["id"])
    assert build["phase"] == "ready" and build["failure"] is None, build
    assert build["log_tail"][-1].startswith("server running at ")
    new = build["server_name"]
    assert new and new.startswith("b-built-") and new != notebook.name
    assert build["url"] == f"{beas_hub.url}user/{USER}/{new}/"
    assert beas_hub.named_servers(USER)[new]["ready"] is True
    sha = answer["commit"]["sha"]
    options = beas_hub.named_servers(USER)[new]["user_options"]
    assert options["binder_persistent_request"] == f"v2/gh/b/built/{sha}"

    status, full = notebook.call(f"binder/api/projects/builds/{build['id']}/log")
    assert status == 200, full
    log = full["log"]
    assert full["log_tail"] == log[-len(full["log_tail"]) :]
    # BinderHub's phases in order: waiting, repo2docker's lines, built, launching, ready.
    for earlier, later in [
        ("Waiting for build to start...", "Picked Git content provider."),
        ("Picked Git content provider.", "Built image, launching..."),
        ("Built image, launching...", "Launching server..."),
    ]:
        assert log.index(earlier) < log.index(later)
    assert any(line.startswith("Server ready at") for line in log)  # the hub's own event
    text = " ".join(log)
    assert "token" not in text.lower() and notebook.token not in text


def test_a_build_failing_on_the_marker_shows_the_file_line_and_hint(beas_hub: DemoHub) -> None:
    notebook = _notebook(beas_hub, USER, "broken")
    notebook.commit(
        "requirements.txt",
        f"# what the image needs\nnumpy\n{FAILING_REQUIREMENT}==1.0\n",
        "Need a package nobody has",
    )
    answer = notebook.relaunch()
    assert answer["launch"]["build"]["followed"] is True, answer["launch"]["build"]
    build = notebook.build_until_done(answer["launch"]["build"]["id"])
    assert build["phase"] == "failed" and build["server_name"] is None, build
    failure = build["failure"]
    assert failure["phase"] == "build"
    pip = '${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "requirements.txt"'
    assert failure["message"] == f"The command '/bin/sh -c {pip}' returned a non-zero code: 1"
    assert failure["hint"] == (
        "BinderHub could not build the image for this commit. The log points at "
        "requirements.txt, line 3. Fix the file and push, or relaunch an earlier commit."
    )
    assert build["log_tail"][-3:] == [
        f"ERROR: Could not find a version that satisfies the requirement "
        f"{FAILING_REQUIREMENT}==1.0 (from -r requirements.txt (line 3)) (from versions: none)",
        f"ERROR: No matching distribution found for {FAILING_REQUIREMENT}==1.0",
        failure["message"],
    ]
    assert failure["log_tail"][-1] == failure["message"]
    # "Copy report" on the failed build: the report on this notebook carries BinderHub's reason.
    status, report = notebook.call(f"binder/api/projects/{notebook.name}/report")
    assert status == 200, report
    assert report["failure"] == failure
    assert f"Hub's message: {failure['message']}" in report["text"]
    assert "requirements.txt, line 3" in report["text"]
    assert f"BinderHub build: {answer['launch']['url']}" in report["text"]
    assert notebook.token not in report["text"]
    # Nothing was launched: only the notebook itself holds a slot.
    assert list(beas_hub.named_servers(USER)) == [notebook.name]


def test_where_the_hub_keeps_the_token_from_binderhub_the_link_is_the_way(
    real_hub: DemoHub,
) -> None:
    real_hub.create_user(SCOPELESS)
    try:
        notebook = _notebook(real_hub, SCOPELESS, "away")
        notebook.commit("README.md", "# edited\n", "Edit the README")
        status, answer = notebook.call("binder/api/relaunch", "POST", {"values": {"meml": 2}})
        assert status == 200, answer
        launch = answer["launch"]
        assert launch["build"]["followed"] is False and launch["build"]["id"] is None
        assert launch["open"] is True  # the browser opens the link: BinderHub's own page
        assert launch["build"]["message"].startswith(
            "The hub does not let this server's token reach BinderHub (user "
            f"{SCOPELESS} is not allowed.), so the panel cannot show the build's progress"
        )
        assert "access:services!service=binder" in launch["build"]["message"]
        # BinderHub refused before doing anything: nothing was built or started.
        assert list(real_hub.named_servers(SCOPELESS)) == [notebook.name]
    finally:
        real_hub.remove_servers(SCOPELESS)


def test_the_stream_is_binderhubs_build_path_for_a_launch_link() -> None:
    assert build_stream_url("https://b.example.org/services/binder/v2/gh/o/r/abc?labpath=x") == (
        "https://b.example.org/services/binder/build/gh/o/r/abc"
    )
    assert build_stream_url("https://b.example.org/hub/home") == ""
    pip = "ERROR: No matching distribution found for x (from -r binder/requirements.txt (line 7))"
    assert "requirements.txt, line 7." in hint_for("x' returned a non-zero code: 1", [pip])
