"""Nothing the user did not mean to publish leaves: credentials, histories and Jupyter's own
state in the home folder are never listed, copied or committed, and a credential in a file
about to be committed or pushed stops the save. Through a real Jupyter server whose home
folder is the repository (the BinderHub layout), with a real bare remote and volume folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import Clone, git, make_origin
from tornado.httpclient import HTTPClientError
from work_project import Project, make_project

# Built at run time, so no token stands in this repository's own files.
GITHUB_TOKEN = "ghp_" + "Z9y8X7w6" * 4 + "AbCd"
AWS_KEY_ID = "AKIA" + "QWERTYUIOPASDFGH"
NPM_TOKEN = "npm_" + "a1" * 18 + "\n"
KEY_TEXT = (
    "-----BEGIN OPENSSH "
    + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"
)

# The probe's files (issue 17): each would leak a credential or a history.
SECRETS = {
    ".git-credentials": f"https://alice:{GITHUB_TOKEN}@github.com\n",
    ".netrc": "machine github.com login alice password hunter2\n",
    ".config/gh/hosts.yml": f"github.com:\n    oauth_token: {GITHUB_TOKEN}\n",
    ".bash_history": "export TOKEN=hunter2\n",
    ".python_history": "login('hunter2')\n",
    ".Rhistory": "Sys.setenv(PW='hunter2')\n",
    ".env": "API_KEY=hunter2\n",
    ".aws/credentials": f"[default]\naws_access_key_id = {AWS_KEY_ID}\n",
    ".kube/config": "users:\n- user: {token: hunter2}\n",
    ".docker/config.json": '{"auths": {"x": {"auth": "aHVudGVyMg=="}}}\n',
    "keys/deploy.pem": KEY_TEXT,  # a private key recognised by its content, not its name
    "analysis/.ipynb_checkpoints/run-checkpoint.ipynb": "{}\n",
    ".cache/pip/selfcheck.json": "{}\n",
}
WORK = {"analysis/run.ipynb": '{"cells": []}\n', "results.csv": "1,2\n", ".env.example": "X=\n"}


@pytest.fixture
def project(tmp_path: Path, git_env: Path) -> Project:
    """The BinderHub layout: the repository is the home folder, secrets and all."""
    remote: Clone = make_origin(tmp_path / "remote")
    # pytest-jupyter's server runs with HOME at tmp_path/home (its jp_home_dir).
    home = tmp_path / "home"
    subprocess.run(
        ["git", "clone", "-q", remote.bare.as_uri(), str(home)], check=True, capture_output=True
    )
    git(home, "config", "user.name", "Test Author")
    git(home, "config", "user.email", "author@example.org")
    for path, text in {**SECRETS, **WORK}.items():
        (home / path).parent.mkdir(parents=True, exist_ok=True)
        (home / path).write_text(text)
    return make_project(tmp_path, home, home, remote.bare)


async def call(jp_fetch: Any, *parts: str, body: dict[str, Any] | None = None) -> Any:
    kwargs: dict[str, Any] = {"method": "POST", "body": json.dumps(body)} if body else {}
    return json.loads((await jp_fetch("binder", "api", *parts, **kwargs)).body)


async def refused(jp_fetch: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("binder", "api", "work", "save", method="POST", body=json.dumps(body))
    assert caught.value.response is not None
    return caught.value.code, json.loads(caught.value.response.body)


def remote_files(project: Project) -> set[str]:
    return set(git(project.bare, "ls-tree", "-r", "--name-only", "main").splitlines())


def volume_files(project: Project) -> set[str]:
    return {
        str(p.relative_to(project.instance))
        for p in project.instance.rglob("*")
        if p.is_file() and not p.name.startswith(".binder-instance")
    }


async def test_credentials_are_not_work_and_never_leave(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    work = await call(jp_fetch, "work")
    listed = {entry["path"] for entry in work["changed"]}
    # The server's own runtime files (its token) lie in the home folder too: never listed.
    assert listed == set(WORK)
    held = {entry["path"]: entry["rule"] for entry in work["held_back"]}
    assert held[".git-credentials"] == "credentials"
    assert held[".bash_history"] == "history"
    assert held["keys/deploy.pem"] == "private_key"
    assert held["analysis/.ipynb_checkpoints/run-checkpoint.ipynb"] == "checkpoint"
    assert held[".config/gh/hosts.yml"] == "credentials"
    assert held[".cache/"] == "tool_state"  # tools' state at the home's top, by folder

    copied = await call(jp_fetch, "work", "save", body={"to": "persistent"})
    assert volume_files(project) == set(WORK)
    assert {entry["path"] for entry in copied["held_back"]} >= {".git-credentials", ".env"}

    pushed = await call(jp_fetch, "work", "save", body={"to": "github", "message": "Save"})
    assert pushed["ok"] is True
    assert set(pushed["commit"]["files"]) == set(WORK)
    assert "Held back, never saved: " in pushed["message"]
    on_remote = remote_files(project)
    assert set(WORK) <= on_remote
    assert not on_remote & set(SECRETS)
    assert not any(name.startswith((".local/", ".config/")) for name in on_remote)
    everything_pushed = git(project.bare, "log", "-p", "--all")
    assert GITHUB_TOKEN not in everything_pushed and "hunter2" not in everything_pushed


@pytest.mark.parametrize("to", ["persistent", "github"])
@pytest.mark.parametrize(
    ("path", "words"),
    [
        (".git-credentials", "a credentials file"),
        (".aws/credentials", "a credentials file"),
        (".bash_history", "a command history"),
        ("keys/deploy.pem", "a private key"),
        ("analysis/.ipynb_checkpoints/run-checkpoint.ipynb", "a checkpoint copy"),
    ],
)
async def test_naming_a_credential_is_refused_with_its_rule(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], to: str, path: str, words: str
) -> None:
    head = project.git("rev-parse", "HEAD")
    body: dict[str, Any] = {"to": to, "paths": [path]}
    if to == "github":
        body["message"] = "Save"
    code, error = await refused(jp_fetch, body)
    assert code == 400
    assert error["reason"] == "held_back"
    assert words in error["message"] and path in error["message"]
    assert [entry["path"] for entry in error["held_back"]] == [path]
    assert project.git("rev-parse", "HEAD") == head
    assert not project.instance.exists() or path not in volume_files(project)


async def test_a_named_tool_folder_gives_its_files_but_never_jupyters_secrets(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    # The running server wrote its jpserver-*.json (its token) and cookie secret under
    # ~/.local/share/jupyter/runtime; a kernel's connection file holds its HMAC key.
    runtime = project.home / ".local" / "share" / "jupyter" / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    (runtime / "kernel-3f1c9a2e-1b2c-4d5e-8f90-123456789abc.json").write_text('{"key": "k"}')
    (runtime / "jupyter_cookie_secret").write_text("c2VjcmV0")
    (project.home / ".local" / "bin").mkdir(parents=True)
    (project.home / ".local" / "bin" / "mytool").write_text("#!/bin/sh\necho mine\n")

    answer = await call(
        jp_fetch, "work", "save", body={"to": "github", "paths": [".local"], "message": "Tool"}
    )
    assert answer["commit"]["files"] == [".local/bin/mytool"]
    assert {entry["rule"] for entry in answer["held_back"]} == {"jupyter_state"}
    on_remote = remote_files(project)
    assert ".local/bin/mytool" in on_remote
    assert not any("runtime" in name for name in on_remote)

    folder = await call(
        jp_fetch, "work", "save", body={"to": "github", "paths": ["analysis"], "message": "A"}
    )
    assert folder["commit"]["files"] == ["analysis/run.ipynb"]
    assert "analysis/.ipynb_checkpoints/run-checkpoint.ipynb" not in remote_files(project)


@pytest.mark.parametrize("to", ["persistent", "github"])
async def test_a_link_into_git_is_git(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], to: str
) -> None:
    # The remote URL in .git/config may hold a token: a link must not carry it out.
    (project.home / "gitlink").symlink_to(".git")
    body: dict[str, Any] = {"to": to, "paths": ["gitlink/config"]}
    if to == "github":
        body["message"] = "x"
    code, error = await refused(jp_fetch, body)
    assert code == 400
    assert "git's own folder" in error["message"]
    assert not project.instance.exists() or not volume_files(project)


async def test_a_token_in_a_notebook_stops_the_commit_with_file_and_line(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    notebook = project.home / "analysis" / "run.ipynb"
    notebook.write_text('{\n "cells": [],\n "source": "token = \'' + GITHUB_TOKEN + "'\"\n}\n")
    project.git("add", "results.csv")  # the user's own staging stays as it was
    head = project.git("rev-parse", "HEAD")

    code, error = await refused(jp_fetch, {"to": "github", "message": "Save"})

    assert code == 409
    assert error["reason"] == "credential_found"
    assert error["message"].startswith("Nothing was committed or pushed: analysis/run.ipynb")
    assert "holds what looks like a GitHub token on line 3" in error["message"]
    assert error["held_back"] == [
        {
            "path": "analysis/run.ipynb",
            "rule": "secret",
            "line": 3,
            "message": "a GitHub token on line 3",
        }
    ]
    assert GITHUB_TOKEN not in json.dumps(error)
    assert project.git("rev-parse", "HEAD") == head
    assert project.git("diff", "--cached", "--name-only").split() == ["results.csv"]
    assert remote_files(project) == {"README.md", "notebook.ipynb"}


async def test_an_earlier_commit_with_a_key_is_not_pushed(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    (project.home / "config.py").write_text(f"# settings\nAWS = '{AWS_KEY_ID}'\n")
    project.git("add", "config.py")
    project.git("commit", "-q", "-m", "settings")
    before = git(project.bare, "rev-parse", "main")

    answer = await call(jp_fetch, "work", "save", body={"to": "github"})

    assert answer["ok"] is False and answer["push"] is None
    assert answer["message"].startswith(
        "Nothing was pushed: config.py holds what looks like an AWS access key ID on line 2"
    )
    assert "git commit --amend" in answer["message"]
    assert {k: answer["held_back"][-1][k] for k in ("path", "rule", "line")} == {
        "path": "config.py",
        "rule": "secret",
        "line": 2,
    }
    assert git(project.bare, "rev-parse", "main") == before
    assert AWS_KEY_ID not in json.dumps(answer)


async def test_stashes_and_other_branches_are_work_at_risk(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    project.git("add", "results.csv")
    project.git("commit", "-q", "-m", "results")
    project.git("push", "-q", "origin", "main")
    (project.home / "draft.txt").write_text("draft\n")
    project.git("stash", "push", "-q", "--include-untracked", "--", "draft.txt")
    project.git("switch", "-q", "-c", "feature")
    (project.home / "feature.py").write_text("x = 1\n")
    project.git("add", "feature.py")
    project.git("commit", "-q", "-m", "feature")
    project.git("switch", "-q", "main")

    work = await call(jp_fetch, "work")

    assert work["unpushed"]["other_branches"] == [{"branch": "feature", "count": 1}]
    assert work["unpushed"]["stashes"] == 1
    assert work["at_risk"] is True
    assert "1 commit on branch feature" in work["message"]
    assert "1 stash (git stash)" in work["message"]


async def test_the_repositorys_config_cannot_hide_work(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], tmp_path: Path
) -> None:
    everything = tmp_path / "exclude-all"
    everything.write_text("*\n")
    project.git("config", "core.excludesFile", str(everything))
    (project.home / "new-results.ipynb").write_text("{}\n")

    work = await call(jp_fetch, "work")

    assert "new-results.ipynb" in {entry["path"] for entry in work["changed"]}
    assert work["at_risk"] is True


@pytest.mark.parametrize("to", ["persistent", "github"])
async def test_credential_places_reached_through_links_and_hard_links_never_leave(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], to: str
) -> None:
    # `.kube` is a link into the repository's own dotfiles: those files are kube's config.
    (project.home / "dotfiles" / "kube").mkdir(parents=True)
    (project.home / "dotfiles" / "kube" / "config").write_text("token: hunter2\n")
    shutil.rmtree(project.home / ".kube")
    (project.home / ".kube").symlink_to("dotfiles/kube")
    # An innocent name for a second hard link to the git credentials.
    os.link(project.home / ".git-credentials", project.home / "notes.txt")

    work = await call(jp_fetch, "work")
    listed = {entry["path"] for entry in work["changed"]}
    assert "dotfiles/kube/config" not in listed and "notes.txt" not in listed
    body: dict[str, Any] = {"to": to}
    if to == "github":
        body["message"] = "Save"
    await call(jp_fetch, "work", "save", body=body)
    if to == "github":
        assert not {"dotfiles/kube/config", "notes.txt"} & remote_files(project)
    else:
        assert not {"dotfiles/kube/config", "notes.txt"} & volume_files(project)


@pytest.mark.parametrize(
    ("name", "text", "what"),
    [
        ("settings.py", "KEY = 'sk-proj-" + "Ab1" * 20 + "'\n", "an OpenAI API key"),
        ("train.py", "t = 'sk-ant-api03-" + "Xy_" * 30 + "'\n", "an Anthropic API key"),
        ("deploy.sh", "export T=pypi-AgEIcHlwaS5vcmc" + "Q" * 60 + "\n", "a PyPI token"),
        (
            "web/.npmrc.bak",
            "//registry.npmjs.org/:_authToken=npm_" + "a1" * 18 + "\n",
            "an npm token",
        ),
    ],
)
async def test_more_kinds_of_token_stop_the_commit(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], name: str, text: str, what: str
) -> None:
    (project.home / name).parent.mkdir(parents=True, exist_ok=True)
    (project.home / name).write_text(text)
    code, error = await refused(jp_fetch, {"to": "github", "message": "Save"})
    assert code == 409
    assert f"{name} holds what looks like {what} on line 1" in error["message"]


async def test_a_token_in_the_commit_message_stops_the_commit(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    head = project.git("rev-parse", "HEAD")
    code, error = await refused(
        jp_fetch, {"to": "github", "message": f"use {GITHUB_TOKEN} for the API"}
    )
    assert code == 409
    assert error["message"].startswith(
        "Nothing was committed or pushed: the commit message holds what looks like a GitHub "
        "token on line 1. Write the message without it."
    )
    assert project.git("rev-parse", "HEAD") == head


async def test_a_second_remote_does_not_hide_what_a_push_sends(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], tmp_path: Path
) -> None:
    (project.home / "early.txt").write_text(f"t = {GITHUB_TOKEN}\n")
    project.git("add", "early.txt")
    project.git("commit", "-q", "-m", "early")
    backup = tmp_path / "backup.git"
    subprocess.run(["git", "init", "-q", "--bare", str(backup)], check=True)
    project.git("remote", "add", "backup", backup.as_uri())
    project.git("push", "-q", "backup", "main")
    before = git(project.bare, "rev-parse", "main")

    answer = await call(jp_fetch, "work", "save", body={"to": "github"})

    assert answer["ok"] is False
    assert "early.txt holds what looks like a GitHub token on line 1" in answer["message"]
    assert git(project.bare, "rev-parse", "main") == before


async def test_a_folder_swapped_for_a_link_to_git_during_a_copy_is_not_copied(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_binder_ext.work import save_persistent

    (project.home / "zz").mkdir()
    (project.home / "zz" / "config").write_text("innocent\n")
    chosen = save_persistent.everything

    def then_swapped(layout: Any) -> Any:
        # What a process racing the save does between the choice and the copy.
        selection = chosen(layout)
        (project.home / "zz").rename(project.home / "zz.real")
        (project.home / "zz").symlink_to(".git")
        return selection

    monkeypatch.setattr(save_persistent, "everything", then_swapped)
    answer = await project.state().save_work("persistent")

    skipped = {entry["path"]: entry for entry in answer["skipped"]}
    assert skipped["zz/config"]["reason"] == "blocked"
    assert "git's own folder" in skipped["zz/config"]["message"]
    assert not (project.instance / "zz" / "config").exists()
    assert answer["ok"] is False
