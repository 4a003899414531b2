"""The ``project`` fixture of the work tests (see :mod:`work_project`), and a Jupyter server
running over it for the REST tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import Clone, git, make_origin
from work_project import Project, make_project


@pytest.fixture
def project(tmp_path: Path, git_env: Path) -> Project:
    remote: Clone = make_origin(tmp_path / "remote")
    home = tmp_path / "home"
    home.mkdir()
    repo = home / "proj"
    subprocess.run(
        ["git", "clone", "-q", remote.bare.as_uri(), str(repo)], check=True, capture_output=True
    )
    git(repo, "config", "user.name", "Test Author")
    git(repo, "config", "user.email", "author@example.org")
    return make_project(tmp_path, repo, home, remote.bare)


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], project: Project, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    monkeypatch.setenv("HOME", str(project.home))
    settings = {
        "repo_dir": str(project.repo),
        "persistent_volume_template": project.site.persistent_volume_template,
        "hub_request_timeout": 2.0,
    }
    return {**jp_server_config, "BinderExt": settings}
