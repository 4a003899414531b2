"""Relaunch: validate, write `.resources`, commit it alone, push, launch the new commit.

Real git repositories with real remotes (file://, and a real sshd on loopback standing in
for github.com); the hub-side part runs against a real JupyterHub (the demo hub).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import Clone, git, git_env, origin
from fixtures.launch_env import BINDER_ENV, SHA0
from tornado.httpclient import HTTPClientError

from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.errors import Conflict, InvalidInput
from jupyter_binder_ext.relaunch.checks import default_message
from jupyter_binder_ext.relaunch.flow import relaunch
from jupyter_binder_ext.relaunch.text import describe_relaunch
from jupyter_binder_ext.state import ExtensionState

__all__ = ["git_env", "origin"]  # fixtures used by the tests below
pytest_plugins = ("fixtures.realhub",)


def make_state(repo: Path, env: dict[str, str] | None = None, **site: Any) -> ExtensionState:
    return ExtensionState(SiteConfig(repo_dir=str(repo), **site), env=env or dict(BINDER_ENV))


# -- under a BinderHub: a launch link ----------------------------------------------------------


async def test_relaunch_under_binderhub_commits_pushes_and_links(origin: Clone) -> None:
    work = origin.work
    (work / ".resources").write_text("# my project\nmeml=4\n")
    origin.git("add", ".resources")
    origin.git("commit", "-q", "-m", "add .resources")
    origin.git("push", "-q")
    (work / "notebook.ipynb").write_text('{"edited": true}\n')  # unsaved work, not committed

    answer = await relaunch(
        make_state(work), values={"meml": 8, "gpu": 1}, labpath="notebook.ipynb"
    )

    sha = origin.head()
    assert (work / ".resources").read_text() == "# my project\nmeml=8\ngpu=1\n"
    assert origin.git("show", "--format=", "--name-only", "HEAD").splitlines() == [".resources"]
    assert origin.remote_head() == sha
    assert origin.git("diff", "--name-only").splitlines() == ["notebook.ipynb"]  # unstaged
    assert origin.git("diff", "--cached", "--name-only") == ""
    assert answer["ok"] is True
    assert answer["commit"] == {
        "sha": sha,
        "short_sha": short_sha(sha),
        "message": "Update .resources: gpu=1 meml=8",
        "branch": "main",
        "created": True,
        "author": "Test Author <author@example.org>",
        "note": "",
        "files": [".resources"],
    }
    assert answer["push"]["ok"] is True
    assert answer["push"]["remote"] == "origin"
    assert answer["push"]["branch"] == "main"
    # BinderHub's build stream cannot be reached from here: not followed, said plainly.
    build = answer["launch"].pop("build")
    assert build["followed"] is False and build["id"] is None
    assert build["message"].startswith("BinderHub did not answer this server (")
    assert build["message"].endswith(
        "open the link, it builds and starts the new commit with BinderHub's own page."
    )
    assert answer["launch"] == {
        "kind": "binderhub",
        "url": f"https://binder.example.org/v2/gh/o/r/{sha}?labpath=notebook.ipynb",
        "open": True,
        "started": False,
        "server_name": None,
        "ready": False,
        # No image in the environment and the hub unreachable: BinderHub builds.
        "rebuild": True,
        "reason_code": "no_image",
        "reason": "the running image is not known (no JUPYTER_IMAGE_SPEC here, and the hub "
        "does not list this server's user_options)",
        "environment_files": [],  # no image commit to compare with (issue 19)
    }
    assert answer["slots"]["available"] is False  # the hub is unreachable: said, not fatal
    assert answer["resources"]["values"] == {"meml": 8, "gpu": 1}
    assert answer["message"].startswith(
        f"Committed {short_sha(sha)} (Update .resources: gpu=1 meml=8)"
    )
    text = describe_relaunch(answer)
    assert f"Launch link: https://binder.example.org/v2/gh/o/r/{sha}" in text


async def test_relaunch_without_values_commits_the_file_as_it_is(origin: Clone) -> None:
    (origin.work / ".resources").write_text("cpul=4\n")
    answer = await relaunch(make_state(origin.work), message="  Four cores  ")
    assert answer["commit"]["message"] == "Four cores"
    assert answer["commit"]["created"] is True
    assert origin.remote_head() == origin.head()
    # Again, with nothing new: no commit, the same commit is launched.
    again = await relaunch(make_state(origin.work))
    assert again["commit"]["created"] is False
    assert again["commit"]["sha"] == answer["commit"]["sha"]
    assert again["launch"]["url"].endswith(answer["commit"]["sha"])


async def test_invalid_values_write_and_commit_nothing(origin: Clone) -> None:
    path = origin.work / ".resources"
    path.write_bytes(b"meml=4\r\n")
    head = origin.head()
    with pytest.raises(InvalidInput) as caught:
        await relaunch(make_state(origin.work), values={"memr": 8})
    assert caught.value.details["problems"] == [
        {
            "line": 2,
            "key": "memr",
            "message": "The RAM request memr=8 is above the RAM limit meml=4: raise meml or "
            "lower memr.",
            "severity": "error",
        }
    ]
    with pytest.raises(InvalidInput):
        await relaunch(make_state(origin.work), values={"meml": "8GB"})
    assert path.read_bytes() == b"meml=4\r\n"
    assert origin.head() == head
    # The file as it is, broken: nothing is committed either.
    path.write_text("meml=4GB\n")
    with pytest.raises(InvalidInput) as caught:
        await relaunch(make_state(origin.work))
    assert "RAM is in whole GB, without units: meml=4" in caught.value.message
    assert origin.head() == head


async def test_rejected_push_keeps_the_commit_and_launches_nothing(
    origin: Clone, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", origin.bare.as_uri(), str(other)], check=True)
    git(other, "commit", "-q", "--allow-empty", "-m", "someone else")
    git(other, "push", "-q", "origin", "main")

    answer = await relaunch(make_state(origin.work), values={"meml": 8})

    assert answer["ok"] is False
    assert answer["commit"]["created"] is True
    assert origin.head() == answer["commit"]["sha"]  # kept
    assert (origin.work / ".resources").read_text() == "meml=8\n"
    assert answer["push"]["ok"] is False
    assert answer["push"]["reason"] == "rejected"
    assert "[rejected]" in answer["push"]["output"]
    assert answer["launch"] is None
    assert "it was not pushed, so nothing was launched" in answer["message"]
    assert "git pull --rebase" in answer["message"]
    assert "Not pushed (rejected):" in describe_relaunch(answer)


async def test_no_remote_commits_and_says_so(tmp_path: Path, git_env: Path) -> None:
    repo = tmp_path / "solo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    answer = await relaunch(make_state(repo), values={"gpu": 1})
    assert answer["commit"]["created"] is True
    assert answer["commit"]["author"] == "alice <alice@binder.example.org>"  # fallback identity
    assert answer["push"]["ok"] is False
    assert answer["push"]["reason"] == "no_remote"
    assert "git remote add origin" in answer["push"]["hint"]
    assert "git remote add origin" in answer["message"]
    assert answer["launch"] is None


async def test_detached_head_is_refused_before_anything_is_written(
    origin: Clone,
) -> None:
    origin.git("checkout", "-q", "--detach")
    env = {**BINDER_ENV, "BINDER_REQUEST": f"v2/gh/o/r/{SHA0}"}  # launched a commit
    with pytest.raises(Conflict, match="HEAD is detached"):
        await relaunch(make_state(origin.work, env), values={"gpu": 1})
    assert not (origin.work / ".resources").exists()


async def test_outside_a_git_repository_nothing_is_written(tmp_path: Path, git_env: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    with pytest.raises(Conflict, match="not inside a git repository"):
        await relaunch(make_state(folder), values={"gpu": 1})
    assert list(folder.iterdir()) == []


def test_default_message_lists_the_values_in_key_order() -> None:
    assert default_message({"meml": 8, "cpul": 2.5}) == "Update .resources: cpul=2.5 meml=8"
    assert default_message({}) == "Update .resources: site defaults"


# -- over a real OpenSSH server ----------------------------------------------------------------


async def test_relaunch_pushes_over_ssh(ssh_origin: Clone) -> None:
    work, bare = ssh_origin.work, ssh_origin.bare
    answer = await relaunch(make_state(work), values={"meml": 8})

    assert answer["push"]["ok"] is True, answer["push"]["output"]
    assert answer["push"]["url"] == "root@github.com:o/r.git"
    assert git(bare, "rev-parse", "main") == answer["commit"]["sha"]
    assert answer["launch"]["url"] == (
        f"https://binder.example.org/v2/gh/o/r/{answer['commit']['sha']}"
    )


# -- through the REST API ----------------------------------------------------------------------


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], origin: Clone) -> dict[str, Any]:
    return {**jp_server_config, "BinderExt": {"repo_dir": str(origin.work)}}


async def test_post_relaunch(jp_fetch: Any, origin: Clone, binder_env: dict[str, str]) -> None:
    response = await jp_fetch(
        "binder",
        "api",
        "relaunch",
        method="POST",
        body=json.dumps({"values": {"cpul": 4}, "labpath": "notebook.ipynb"}),
    )
    data = json.loads(response.body)
    assert set(data) == {
        "ok",
        "resources",
        "commit",
        "push",
        "launch",
        "slots",
        "stop_current",
        "message",
    }
    assert data["launch"]["url"] == (
        f"https://binder.example.org/v2/gh/o/r/{origin.head()}?labpath=notebook.ipynb"
    )
    assert origin.remote_head() == origin.head()

    for body in ({"values": {"cpul": "4 cores"}}, {"values": 4}, {"stop_current": "yes"}, {"x": 1}):
        with pytest.raises(HTTPClientError) as caught:
            await jp_fetch("binder", "api", "relaunch", method="POST", body=json.dumps(body))
        assert caught.value.code == 400
    assert origin.remote_head() == origin.head()


# -- against a real JupyterHub (the demo hub) --------------------------------------------------
# Carol's servers only: the hub is shared with other test modules for the whole session.

CAROL = "carol"
CURRENT = "o-rel-cc12cd34"  # the notebook the relaunch is made from


@dataclass(frozen=True)
class CarolsHub:
    hub: DemoHub
    token: str
    options: dict[str, Any]

    @property
    def home(self) -> Path:
        """The current server's folder: a clone of the demo's stand-in for github.com/o/rel."""
        return self.hub.state_dir / "servers" / CAROL / CURRENT

    def bare_head(self) -> str:
        return git(self.hub.state_dir / "git" / "o" / "rel.git", "rev-parse", "main")

    def servers(self) -> dict[str, Any]:
        return self.hub.named_servers(CAROL)

    def post(self, path: str, payload: Any) -> tuple[int, Any]:
        """POST to Carol's current server, through the proxy, with her token."""
        return self.hub.server_api(self.token, CAROL, CURRENT, path, "POST", 120, body=payload)

    def env(self) -> dict[str, str]:
        """The current server's environment as a plain JupyterHub (no launch host) sets it."""
        return {
            "JUPYTERHUB_USER": CAROL,
            "JUPYTERHUB_SERVER_NAME": CURRENT,
            "JUPYTERHUB_API_URL": self.hub.hub_api_url,
            "JUPYTERHUB_API_TOKEN": self.token,
            "JUPYTERHUB_BASE_URL": "/",
            "BINDER_REPO_URL": str(self.options["repo_url"]),
            "BINDER_REF_URL": str(self.options["binder_ref_url"]),
            "BINDER_REQUEST": str(self.options["binder_request"]),
            "BINDER_PERSISTENT_REQUEST": str(self.options["binder_persistent_request"]),
        }


@pytest.fixture(scope="module")
def carols_hub(real_hub: DemoHub) -> Iterator[CarolsHub]:
    options = real_hub.binder_options("o", "rel")
    real_hub.start_server(CAROL, CURRENT, options)
    yield CarolsHub(real_hub, real_hub.user_token(CAROL), options)
    real_hub.remove_servers(CAROL)


def test_relaunch_from_a_running_server_gives_the_launch_link(carols_hub: CarolsHub) -> None:
    # Another file changed since the image's commit: the image must be built again
    # (a .resources-only relaunch starts without a rebuild: test_relaunch_direct.py).
    (carols_hub.home / "README.md").write_text("# edited\n")
    git(carols_hub.home, "add", "README.md")
    git(carols_hub.home, "commit", "-q", "-m", "Edit the README")
    # meml=3: a value the sample repository's `.resources` (meml=4) does not hold already.
    status, answer = carols_hub.post(
        "binder/api/relaunch", {"values": {"meml": 3}, "labpath": "README.ipynb"}
    )
    assert status == 200, answer
    sha = answer["commit"]["sha"]
    assert answer["push"]["ok"] is True, answer["push"]
    assert carols_hub.bare_head() == sha  # pushed to the stand-in for github.com/o/rel
    assert git(carols_hub.home, "show", f"{sha}:.resources").splitlines()[-1] == "meml=3"
    # git had no identity in the server: the hub user signs, and the answer says so.
    assert answer["commit"]["author"] == f"{CAROL} <{CAROL}@127.0.0.1>"
    assert "git config --global user.email" in answer["commit"]["note"]
    # The demo serves BinderHub-style launch links: the browser opens this one.
    assert answer["launch"]["kind"] == "binderhub"
    assert answer["launch"]["url"] == (
        f"{carols_hub.hub.launch_host}v2/gh/o/rel/{sha}?labpath=README.ipynb"
    )
    assert answer["launch"]["reason_code"] == "other_files_changed"
    assert answer["slots"]["available"] is True
    assert answer["slots"]["used"] == 1


async def test_when_all_slots_are_taken_nothing_is_started(
    carols_hub: CarolsHub, git_env: Path
) -> None:
    hub = carols_hub.hub
    filler = "o-fill-dd00ee11"
    status, body = hub.api("PUT", f"/users/{CAROL}/servers/{filler}", {"user_options": {}})
    assert status == 201, body  # created, never started: it holds a slot all the same
    before = set(carols_hub.servers())
    state = make_state(carols_hub.home, carols_hub.env(), max_named_servers=len(before))
    resources = (carols_hub.home / ".resources").read_bytes()
    head, pushed = git(carols_hub.home, "rev-parse", "HEAD"), carols_hub.bare_head()
    try:
        answer = await relaunch(state, values={"meml": 5})
    finally:
        hub.api("DELETE", f"/users/{CAROL}/servers/{filler}", {"remove": True})
    # The slots are checked before anything is written: nothing is committed or pushed
    # until a slot is free (the panel offers to delete a project, then relaunches).
    assert (carols_hub.home / ".resources").read_bytes() == resources
    assert git(carols_hub.home, "rev-parse", "HEAD") == head
    assert carols_hub.bare_head() == pushed
    assert answer["commit"] is None and answer["push"] is None and answer["launch"] is None
    assert answer["resources"]["text"] == resources.decode()
    assert answer["ok"] is False
    assert answer["slots"]["full"] is True
    assert answer["slots"]["deletable"][0]["name"] == filler
    assert answer["slots"]["deletable"][0]["stopped"] is True
    assert f"All {len(before)} project slots are taken" in answer["message"]
    assert "nothing was written, committed or pushed" in answer["message"]
    assert "already pushed" not in answer["message"]
    assert filler in answer["message"]
    assert f"could delete: {filler} (stopped" in describe_relaunch(answer)
    assert set(carols_hub.servers()) <= before  # the hub holds no new server


async def test_relaunch_starts_a_named_server_with_the_new_ref(
    carols_hub: CarolsHub, git_env: Path
) -> None:
    state = make_state(carols_hub.home, carols_hub.env())
    answer = await relaunch(state, values={"meml": 6}, stop_current=True, ready_timeout=180)

    sha = answer["commit"]["sha"]
    assert answer["ok"] is True, answer["message"]
    launch = answer["launch"]
    assert launch["kind"] == "hub"
    assert launch["started"] is True and launch["ready"] is True and launch["open"] is True
    name = launch["server_name"]
    assert name.startswith("o-rel-") and name != CURRENT
    assert launch["url"] == f"/user/{CAROL}/{name}/"
    # README.md changed since the image's commit: no image given, the hub's spawner picks
    # (the demo's builder stand-in builds) the new commit's own.
    assert launch["rebuild"] is True and launch["reason_code"] == "other_files_changed"
    assert "image" not in launch["user_options"]
    new = carols_hub.servers()[name]
    assert new["ready"] is True
    assert new["user_options"]["binder_persistent_request"] == f"v2/gh/o/rel/{sha}"
    assert new["user_options"]["binder_request"] == "v2/gh/o/rel/main"
    assert new["user_options"]["binder_ref_url"] == f"https://github.com/o/rel/tree/{sha}"
    # The new server runs the new commit: its clone holds the new .resources.
    new_home = carols_hub.hub.state_dir / "servers" / CAROL / name
    assert git(new_home, "rev-parse", "HEAD") == sha
    assert (new_home / ".resources").read_text().splitlines()[-1] == "meml=6"
    # And this server was stopped once the new one was ready (it keeps its slot).
    assert answer["stop_current"]["requested"] is True
    for _ in range(120):
        current = carols_hub.servers()[CURRENT]
        if current.get("stopped") and not current.get("pending"):
            break
        await asyncio.sleep(0.5)
    else:
        raise AssertionError(f"{CURRENT} was not stopped: {current}")


# -- hooks, tokens and a git step that hangs ---------------------------------------------------


async def test_relaunch_runs_none_of_the_repositorys_hooks(
    origin: Clone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's own environment holds the hub token (KubeSpawner sets it).
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", BINDER_ENV["JUPYTERHUB_API_TOKEN"])
    seen = tmp_path / "hooks-saw"
    for name in ("pre-commit", "commit-msg", "post-commit", "pre-push", "reference-transaction"):
        hook = origin.work / ".git" / "hooks" / name
        hook.write_text(f'#!/bin/sh\necho {name} >> "{seen}"\nenv >> "{seen}"\n')
        hook.chmod(0o755)

    answer = await relaunch(make_state(origin.work), values={"meml": 8})

    assert answer["push"]["ok"] is True
    assert origin.remote_head() == answer["commit"]["sha"]
    assert not seen.exists(), "a hook ran (with the hub token in its environment)"


async def test_a_hanging_commit_is_stopped_and_the_next_relaunch_works(
    origin: Clone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_binder_ext.common import git_runner
    from jupyter_binder_ext.errors import CommandFailed

    signer = tmp_path / "gpg"
    signer.write_text("#!/bin/sh\nsleep 300\n")  # a signing program waiting for a passphrase
    signer.chmod(0o755)
    # The user's own signing set-up (their global config; the repository's would not run).
    origin.git("config", "--global", "commit.gpgSign", "true")
    origin.git("config", "--global", "gpg.program", str(signer))
    monkeypatch.setattr(git_runner, "GIT_TIMEOUT", 2.0)
    head = origin.head()

    with pytest.raises(CommandFailed) as caught:
        await relaunch(make_state(origin.work), values={"meml": 8})

    assert caught.value.details["done"] == {"written": True, "committed": False, "pushed": False}
    assert "was saved, but could not be committed" in caught.value.message
    assert "Nothing was committed or pushed" in caught.value.message
    assert not (origin.work / ".git" / "index.lock").exists()
    assert origin.head() == head and origin.remote_head() == head
    origin.git("config", "--global", "commit.gpgSign", "false")
    answer = await relaunch(make_state(origin.work), values={"meml": 8})
    assert answer["push"]["ok"] is True and answer["commit"]["created"] is True


@pytest.mark.parametrize("labpath", ["../../../etc/passwd", "notebooks/../../x.ipynb", ".."])
def test_a_labpath_out_of_the_new_servers_files_is_refused(labpath: str) -> None:
    from jupyter_binder_ext.relaunch.checks import check_relaunch_text

    with pytest.raises(InvalidInput, match=r"cannot hold '\.\.'"):
        check_relaunch_text(None, labpath)
    check_relaunch_text(None, "notebooks/a..b.ipynb")  # dots inside a name are fine


async def test_earlier_unpushed_commits_that_go_with_the_push_are_said(origin: Clone) -> None:
    origin.git("fetch", "-q")
    origin.commit_file("analysis.py", "print(1)\n")  # the user's own, not pushed yet
    origin.commit_file("notes.md", "notes\n")
    answer = await relaunch(make_state(origin.work), values={"meml": 8})
    assert answer["push"]["ok"] is True
    assert "(with 2 earlier unpushed commits)" in answer["message"]
    assert origin.remote_head() == origin.head()


async def test_an_earlier_commit_with_a_token_stops_the_push_and_the_launch(
    origin: Clone,
) -> None:
    before = origin.remote_head()
    token = "glpat-" + "a1B2c3D4e5F6g7H8i9J0"  # built here: no token in this file's text
    origin.commit_file("settings.py", f"# settings\n\nGITLAB = '{token}'\n")

    answer = await relaunch(make_state(origin.work), values={"meml": 8})

    assert answer["ok"] is False and answer["launch"] is None
    assert answer["push"]["reason"] == "credential_found"
    assert "settings.py holds what looks like a GitLab token on line 3" in answer["message"]
    assert token not in json.dumps(answer)
    assert origin.remote_head() == before
    # The .resources commit is kept here, as after any refused push.
    assert origin.git("show", "--format=", "--name-only", "HEAD").splitlines() == [".resources"]


async def test_a_failed_commit_leaves_the_users_index_as_it_was(
    origin: Clone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one commit rule (common/git_commit.py): the file is committed from an index of
    its own, so a commit that fails stages nothing in the user's index."""
    from jupyter_binder_ext.common import git_runner
    from jupyter_binder_ext.errors import CommandFailed

    (origin.work / "README.md").write_text("# staged by the user\n")
    origin.git("add", "README.md")
    staged = origin.git("diff", "--cached")
    signer = tmp_path / "gpg"
    signer.write_text("#!/bin/sh\nsleep 300\n")  # a signing program waiting for a passphrase
    signer.chmod(0o755)
    origin.git("config", "--global", "commit.gpgSign", "true")
    origin.git("config", "--global", "gpg.program", str(signer))
    monkeypatch.setattr(git_runner, "GIT_TIMEOUT", 2.0)

    with pytest.raises(CommandFailed):
        await relaunch(make_state(origin.work), values={"meml": 8})

    assert origin.git("diff", "--cached", "--name-only").splitlines() == ["README.md"]
    assert origin.git("diff", "--cached") == staged
