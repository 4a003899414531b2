"""Credentials and Jupyter's own state in the home folder are never the user's work."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.work.private import leave_rule


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # As on a BinderHub: the repository is the home folder, Jupyter's folders inside it.
    home = tmp_path / "jovyan"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_keys_tokens_and_jupyters_state_are_private(home: Path) -> None:
    site = SiteConfig(
        ssh_dir=str(home / ".ssh"),
        ssh_private_key_path=str(home / "keys" / "ssh.priv"),
        ssh_public_key_path=str(home / "keys" / "ssh.pub"),
    )
    private = leave_rule(site, home)
    for path in (
        ".ssh/binder_id",
        ".ssh/config",
        "keys/ssh.priv",
        "keys/ssh.pub",
        ".local/share/jupyter/runtime/jpserver-12.json",
        ".local/share/jupyter/runtime/jupyter_cookie_secret",
        ".jupyter/lab/workspaces/default-37a8.jupyterlab-workspace",
        ".ipython/profile_default/history.sqlite",
        "analysis/.ipynb_checkpoints/run-checkpoint.ipynb",
    ):
        assert private.covers(home / path), path
    for path in ("results.csv", "keys/notes.txt", "analysis/run.ipynb", ".resources"):
        assert not private.covers(home / path), path


def test_a_link_into_a_private_folder_is_private_too(home: Path) -> None:
    (home / ".ssh").mkdir()
    (home / ".ssh" / "binder_id").write_text("key")
    (home / "innocent").symlink_to(home / ".ssh")
    private = leave_rule(SiteConfig(ssh_dir=str(home / ".ssh")), home)
    assert private.covers(home / "innocent" / "binder_id")


def test_a_key_mounted_in_the_home_folder_does_not_make_all_of_it_private(home: Path) -> None:
    site = SiteConfig(
        ssh_private_key_path=str(home / "id_site"), ssh_public_key_path=str(home / "id_site.pub")
    )
    private = leave_rule(site, home)
    assert private.covers(home / "id_site")
    assert not private.covers(home / "results.csv")
