"""A relaunch without a rebuild: the plan, the carried objects and the new server's catch-up.

Real git throughout: an origin, the working clone the relaunch commits in, and "the image",
a clone that holds only the image's commit, as repo2docker left the repository in it.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import Clone, git

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.relaunch.catch_up import apply_catch_up, schedule_catch_up
from jupyter_binder_ext.relaunch.direct import (
    IMAGE_COMMIT_UNKNOWN,
    NO_IMAGE,
    NOT_A_GIT_PROVIDER,
    OTHER_FILES_CHANGED,
    DirectStart,
    NoDirectStart,
    image_commit,
    plan_direct_start,
)
from jupyter_binder_ext.relaunch.objects import objects_between
from jupyter_binder_ext.state import ExtensionState

IMAGE_PREFIX = "registry.example.org/binder-o-2dr-1a2b3c"


def image_clone(origin: Clone, sha: str, dest: Path) -> Path:
    """The repository as an image built from `sha` holds it: that commit's history only."""
    git(dest.parent, "init", "-q", "-b", "main", str(dest))
    git(dest, "remote", "add", "origin", origin.bare.as_uri())
    git(dest, "fetch", "-q", "origin", f"{sha}:refs/remotes/origin/main")
    git(dest, "checkout", "-q", "-B", "main", "--track", "origin/main")
    return dest


def launch_env(image_sha: str, image: bool = True) -> dict[str, str]:
    env = {
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_SERVER_NAME": "o-r-ab12cd34",
        "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",  # nothing listens
        "JUPYTERHUB_API_TOKEN": "not-a-real-token",
        "BINDER_REPO_URL": "https://github.com/o/r",
        "BINDER_LAUNCH_HOST": "https://binder.example.org/",
        "BINDER_REQUEST": "v2/gh/o/r/main",
        "BINDER_PERSISTENT_REQUEST": f"v2/gh/o/r/{image_sha}",
    }
    if image:
        env["JUPYTER_IMAGE_SPEC"] = f"{IMAGE_PREFIX}:{image_sha}"
    return env


async def plan(origin: Clone, env: dict[str, str], sha: str) -> DirectStart | NoDirectStart:
    state = ExtensionState(SiteConfig(repo_dir=str(origin.work)), env=env)
    return await plan_direct_start(
        state, state.launch(), origin.work, origin.work / ".resources", sha, "main"
    )


def push_resources(origin: Clone, text: str) -> str:
    sha = origin.commit_file(".resources", text, "Update .resources")
    origin.git("push", "-q")
    return sha


def test_the_image_commit_is_the_tag_binderhub_gives_its_images() -> None:
    from jupyter_binder_ext.launch.info import read_launch

    sha, other = "a" * 40, "b" * 40
    launch = read_launch({"BINDER_PERSISTENT_REQUEST": f"v2/gh/o/r/{other}"})
    assert image_commit(f"{IMAGE_PREFIX}:{sha}", launch) == sha
    # No commit in the tag (a site's own image): the commit this server was launched at.
    assert image_commit("registry.example.org:5000/base", launch) == other
    assert image_commit("base:latest", read_launch({})) == ""


async def test_a_resources_only_commit_is_started_with_the_running_image(origin: Clone) -> None:
    old = origin.head()
    new = push_resources(origin, "meml=2\n")

    found = await plan(origin, launch_env(old), new)

    assert isinstance(found, DirectStart), found
    assert found.image == f"{IMAGE_PREFIX}:{old}"
    assert found.image_commit == old
    payload = found.catch_up
    assert (payload["from"], payload["to"], payload["branch"]) == (old, new, "main")
    # The new commit, its tree and the new blob: all the image lacks.
    assert sorted(o["type"] for o in payload["objects"]) == ["blob", "commit", "tree"]
    listed = origin.git("rev-list", "--objects", new, "--not", old).splitlines()
    assert {o["sha"] for o in payload["objects"]} == {line.split()[0] for line in listed}


async def test_another_changed_file_needs_a_build(origin: Clone) -> None:
    old = origin.head()
    origin.commit_file("README.md", "# changed\n")
    new = push_resources(origin, "meml=2\n")

    found = await plan(origin, launch_env(old), new)

    assert isinstance(found, NoDirectStart)
    assert found.code == OTHER_FILES_CHANGED
    assert "README.md" in found.reason and old[:12] in found.reason


async def test_the_plan_says_why_it_does_not_apply(origin: Clone) -> None:
    old = origin.head()
    new = push_resources(origin, "meml=2\n")
    # No image in the environment, and the hub cannot be asked.
    no_image = await plan(origin, launch_env(old, image=False), new)
    assert isinstance(no_image, NoDirectStart) and no_image.code == NO_IMAGE
    # An image commit this repository does not have.
    unknown = await plan(origin, launch_env("c" * 40), new)
    assert isinstance(unknown, NoDirectStart) and unknown.code == IMAGE_COMMIT_UNKNOWN
    assert "c" * 12 in unknown.reason
    # A Zenodo record has no commits to launch.
    zenodo = {**launch_env(old), "BINDER_REQUEST": "v2/zenodo/10.5281/zenodo.3242074"}
    del zenodo["BINDER_PERSISTENT_REQUEST"]
    zenodo["BINDER_REPO_URL"] = "10.5281/zenodo.3242074"
    found = await plan(origin, zenodo, new)
    assert isinstance(found, NoDirectStart) and found.code == NOT_A_GIT_PROVIDER


def carried(origin: Clone, old: str, new: str) -> dict[str, Any]:
    return {
        "from": old,
        "to": new,
        "branch": "main",
        "objects": objects_between(origin.work, old, new),
    }


def test_the_new_server_recreates_the_commit_without_network(origin: Clone, tmp_path: Path) -> None:
    old = origin.head()
    middle = push_resources(origin, "meml=2\n")
    new = push_resources(origin, "meml=3\n")  # two .resources-only commits since the image
    image = image_clone(origin, old, tmp_path / "image")
    assert subprocess.run(["git", "-C", str(image), "cat-file", "-e", new]).returncode != 0
    payload = carried(origin, old, new)
    (tmp_path / "origin-gone").mkdir()
    git(image, "remote", "set-url", "origin", str(tmp_path / "origin-gone"))  # no network

    result = apply_catch_up(image / ".resources", payload)

    assert result.status == "done", result.message
    assert git(image, "rev-parse", "HEAD") == new
    assert git(image, "rev-parse", "HEAD~1") == middle  # the same history, sha for sha
    assert (image / ".resources").read_text() == "meml=3\n"
    assert git(image, "status", "--porcelain") == ""
    # The relaunch pushed it: the commit does not show as unpushed.
    assert git(image, "rev-parse", "origin/main") == new
    assert "moved the repository" in result.message and old[:12] in result.message
    # A restarted server that kept its folder: nothing to do.
    assert apply_catch_up(image / ".resources", payload).status == "already"


def test_an_object_that_is_not_what_it_claims_leaves_the_tree_alone(
    origin: Clone, tmp_path: Path
) -> None:
    old = origin.head()
    new = push_resources(origin, "meml=2\n")
    image = image_clone(origin, old, tmp_path / "image")
    payload = carried(origin, old, new)
    blob = next(o for o in payload["objects"] if o["type"] == "blob")
    blob["data"] = base64.b64encode(b"meml=64\n").decode()  # tampered on the way

    result = apply_catch_up(image / ".resources", payload)

    assert result.status == "refused"
    assert f"object {blob['sha']} hashes to" in result.message
    assert git(image, "rev-parse", "HEAD") == old
    assert subprocess.run(["git", "-C", str(image), "cat-file", "-e", new]).returncode != 0


@pytest.mark.parametrize("case", ["head_moved", "local_change", "other_file"])
def test_anything_unexpected_leaves_the_tree_alone(
    origin: Clone, tmp_path: Path, case: str
) -> None:
    old = origin.head()
    if case == "other_file":
        origin.commit_file("notebook.ipynb", '{"cells": []}\n')
    new = push_resources(origin, "meml=2\n")
    image = image_clone(origin, old, tmp_path / "image")
    payload = carried(origin, old, new)
    if case == "head_moved":
        git(image, "commit", "-q", "--allow-empty", "-m", "the user's own commit")
    if case == "local_change":
        (image / ".resources").write_text("meml=5\n")
    head = git(image, "rev-parse", "HEAD")

    result = apply_catch_up(image / ".resources", payload)

    assert result.status == "refused"
    assert result.message.startswith("the repository was left as it is: ")
    expected = {
        "head_moved": f"not the image's commit {old[:12]}",
        "local_change": ".resources has local changes",
        "other_file": "changes more than .resources: .resources, notebook.ipynb",
    }[case]
    assert expected in result.message
    assert git(image, "rev-parse", "HEAD") == head
    if case == "local_change":
        assert (image / ".resources").read_text() == "meml=5\n"  # the user's edit kept


async def test_a_server_on_its_own_commits_image_does_not_ask_the_hub(
    origin: Clone, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_binder_ext.relaunch import catch_up

    monkeypatch.setattr(catch_up, "HUB_RETRY_DELAYS", (0.0, 0.0))
    sha = origin.head()
    own = ExtensionState(SiteConfig(repo_dir=str(origin.work)), env=launch_env(sha))
    assert schedule_catch_up(own) is None  # BinderHub built this image for this commit
    newer = {**launch_env(sha), "BINDER_PERSISTENT_REQUEST": f"v2/gh/o/r/{'d' * 40}"}
    started = ExtensionState(SiteConfig(repo_dir=str(origin.work)), env=newer)
    task = schedule_catch_up(started)
    assert task is not None
    result = await task  # nothing listens at the hub URL: tried 3 times, said, untouched
    assert result.status == "refused" and "cannot be reached" in result.message
    assert started.projects_service.client.requests_sent == 3
    assert origin.head() == sha
