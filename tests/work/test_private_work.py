"""On a BinderHub the repository is the home folder: keys and Jupyter's own files lie in it,
and a save must never list, copy or commit them (a private key pushed to GitHub, a server
token on the volume). Real git, a real volume folder, the Binder layout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fixtures.gitrepo import Clone, git, make_origin
from work_project import Project, make_project

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import InvalidInput

PRIVATE = (
    ".ssh/binder_id",
    ".ssh/config",
    ".local/share/jupyter/runtime/jpserver-12.json",
    ".local/share/jupyter/runtime/jupyter_cookie_secret",
    ".jupyter/lab/workspaces/default-37a8.jupyterlab-workspace",
    "analysis/.ipynb_checkpoints/run-checkpoint.ipynb",
)
WORK = ("results.csv", "analysis/run.ipynb")


@pytest.fixture
def binder_project(tmp_path: Path, git_env: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    remote: Clone = make_origin(tmp_path / "remote")
    home = tmp_path / "jovyan"
    subprocess.run(
        ["git", "clone", "-q", remote.bare.as_uri(), str(home)], check=True, capture_output=True
    )
    git(home, "config", "user.name", "Test Author")
    git(home, "config", "user.email", "author@example.org")
    # Jupyter's folders follow HOME, as in the server's own process.
    monkeypatch.setenv("HOME", str(home))
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    project = make_project(tmp_path, home, home, remote.bare)
    project.site = SiteConfig(
        repo_dir=str(home),
        ssh_dir=str(home / ".ssh"),
        persistent_volume_template=project.site.persistent_volume_template,
        hub_request_timeout=2.0,
    )
    for path in (*PRIVATE, *WORK):
        (home / path).parent.mkdir(parents=True, exist_ok=True)
        (home / path).write_text(f"{path}\n")
    return project


async def test_keys_and_tokens_are_not_work(binder_project: Project) -> None:
    work = await binder_project.state().work()
    listed = {entry["path"] for entry in work["changed"]}
    listed |= {entry["path"] for entry in work["outside"]["files"]}
    assert listed == set(WORK)


async def test_saving_everything_copies_and_commits_only_the_work(
    binder_project: Project,
) -> None:
    state = binder_project.state()
    copied = await state.save_work("persistent")
    assert {entry["path"] for entry in copied["copied"]} == set(WORK)
    on_volume = {
        str(p.relative_to(binder_project.instance))
        for p in binder_project.instance.rglob("*")
        if p.is_file() and not p.name.startswith(".binder-instance")
    }
    assert on_volume == set(WORK)

    pushed = await state.save_work("github", message="Keep the results")
    assert set(pushed["commit"]["files"]) == set(WORK)
    committed = git(binder_project.bare, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert not set(PRIVATE) & set(committed)
    assert set(WORK) <= set(committed)


@pytest.mark.parametrize("to", ["persistent", "github"])
async def test_asking_for_a_key_by_name_is_refused(binder_project: Project, to: str) -> None:
    before = git(binder_project.repo, "status", "--porcelain")
    with pytest.raises(InvalidInput):
        await binder_project.state().save_work(to, [".ssh/binder_id"], message="x")
    assert git(binder_project.repo, "status", "--porcelain") == before
    assert not (binder_project.instance / ".ssh").exists()
