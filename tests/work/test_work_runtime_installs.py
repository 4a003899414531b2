"""``GET work`` counts what was ``pip install``-ed since launch and the environment files do
not ask for: a real ``pip install`` of a wheel the test writes into a virtual environment the
test makes, seen through the environment domain's own scan (one scan, shared)."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import git
from fixtures.wheels import make_wheel, pip_install
from work_project import Project

from jupyter_binder_ext.work.text import describe_work


@pytest.fixture
def venv_site(tmp_path: Path) -> Path:
    """A real virtual environment beside the home folder (as an image's is), and the site
    folder `pip install` puts packages into."""
    venv = tmp_path / "kernel-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    relative = Path(sysconfig.get_path("purelib")).relative_to(sys.prefix)
    site = venv / relative
    assert site.is_dir(), site
    return site


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], venv_site: Path) -> dict[str, Any]:
    settings = {**jp_server_config["BinderExt"], "environment_paths": str(venv_site)}
    return {**jp_server_config, "BinderExt": settings}


async def test_a_runtime_install_is_work_a_relaunch_would_lose(
    jp_fetch: Any,
    jp_serverapp: Any,
    project: Project,
    venv_site: Path,
    tmp_path: Path,
    binder_env: dict[str, str],
) -> None:
    (project.repo / "requirements.txt").write_text("pinnedpkg==2.0\n")
    git(project.repo, "add", "requirements.txt")
    git(project.repo, "commit", "-q", "-m", "environment")
    git(project.repo, "push", "-q")
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinypkg", "1.0")
    make_wheel(wheels, "pinnedpkg", "2.0")
    before = json.loads((await jp_fetch("binder", "api", "work")).body)
    assert before["runtime_installs"]["count"] == 0
    assert before["at_risk"] is False

    pip_install(venv_site, "tinypkg", "pinnedpkg", find_links=wheels)
    # Both scans are shared for 5 seconds; forget them as that interval would.
    state = jp_serverapp.web_app.settings["binder_ext"]
    state.environment_service.invalidate()
    state.work_service.invalidate()

    data = json.loads((await jp_fetch("binder", "api", "work")).body)
    installs = data["runtime_installs"]
    assert installs["known"] is True
    assert installs["count"] == 1  # pinnedpkg is asked for by requirements.txt
    assert installs["packages"] == [{"name": "tinypkg", "version": "1.0", "manager": "pip"}]
    assert installs["keep_file"] == "requirements.txt"
    assert "Environment section's Keep action" in installs["message"]
    assert data["changed"] == [] and data["unpushed"]["count"] == 0
    assert data["at_risk"] is True
    assert data["message"].startswith("Idle deletion would lose 1 package installed since launch.")
    text = describe_work(data)
    assert "  installed  tinypkg 1.0 (pip)" in text.splitlines()
