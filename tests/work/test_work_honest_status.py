"""``GET work`` says "Nothing here would be lost" only when it could look: a git status that
failed, was stopped at its time limit or skipped an unreadable folder, an unreadable folder
outside the repository and an unpushed count git could not make are named in ``incomplete``
and make the work at risk. Real git, real files, a real unprivileged user for unreadable
folders (root reads everything), a real Jupyter server for the REST answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import git, make_origin
from fixtures.launch_env import BINDER_ENV
from work_project import Project, make_project

import jupyter_binder_ext
from jupyter_binder_ext.work import changes
from jupyter_binder_ext.work.text import describe_work

NOBODY = 65534
NOTHING_LOST = "Nothing here would be lost"


def assert_could_not_check(data: dict[str, Any], *words: str) -> None:
    """At risk, every word in `incomplete` and in the message, never "nothing lost"."""
    assert data["at_risk"] is True
    for word in words:
        assert word in data["incomplete"], data["incomplete"]
    assert data["message"].startswith("Could not check all of your work: "), data["message"]
    assert data["incomplete"] in data["message"]
    assert NOTHING_LOST not in data["message"]


# -- git status failed or stopped --------------------------------------------------------------


async def test_a_broken_index_is_named_not_nothing_to_lose(project: Project) -> None:
    (project.repo / ".git" / "index").write_bytes(b"garbage")
    data = await project.state().work()
    assert_could_not_check(data, "git status failed: ")
    assert data["incomplete"].startswith("git status failed: fatal: .git/index: index file")
    assert data["branch"] == "main"  # known without the index
    text = describe_work(data)
    assert "Changed files: none found" in text and "(branch main)" in text


async def test_a_git_status_past_its_time_limit_is_stopped_and_named(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A clean filter as slow as git-lfs on a stalled disk: git status runs it to compare a
    # tracked file whose time changed but whose size did not.
    (project.repo / ".gitattributes").write_text("*.dat filter=slow\n")
    (project.repo / "big.dat").write_text("data\n")
    project.git("add", ".gitattributes", "big.dat")
    project.git("commit", "-q", "-m", "slow data")
    project.git("push", "-q", "origin", "main")
    pids = tmp_path / "filter-pids"
    # The user's own (global) filter, as git-lfs installs one: a filter the repository's
    # own config names is never run by the extension's git.
    project.git("config", "--global", "filter.slow.clean", f"echo $$ >> {pids}; exec sleep 60")
    os.utime(project.repo / "big.dat", (1_000_000_000, 1_000_000_000))
    monkeypatch.setattr(changes, "STATUS_TIMEOUT", 1.0)

    data = await project.state().work()

    assert_could_not_check(data, "git status did not finish within 1 seconds; it was stopped")
    # git and the filter it ran were really killed at the limit.
    filter_pids = [int(line) for line in pids.read_text().split()]
    assert filter_pids
    for pid in filter_pids:
        assert not running(pid), f"the filter {pid} outlived its git status"


def running(pid: int, wait: float = 5.0) -> bool:
    """Whether `pid` still runs (a zombie waiting to be reaped does not) after `wait` s."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state == "Z":
            return False
        time.sleep(0.05)
    return True


# -- unreadable folders, read as an unprivileged user --------------------------------------------

# The scan as GET work makes it, in a process of its own (argv: site settings, environment).
SCAN_AS_USER = """
import asyncio, json, sys
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.state import ExtensionState
site, env = json.loads(sys.argv[1]), json.loads(sys.argv[2])
state = ExtensionState(SiteConfig(**site), env=env)
print(json.dumps(asyncio.run(state.work())))
"""


@pytest.fixture
def open_tmp(git_env: Path) -> Iterator[Path]:
    """A folder an unprivileged user can reach (pytest's own is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="binder-honest-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def user_project(root: Path) -> Project:
    """A launched project, like the ``project`` fixture's, owned by user `NOBODY`."""
    remote = make_origin(root / "remote")
    home = root / "home"
    home.mkdir()
    repo = home / "proj"
    git(root, "clone", "-q", remote.bare.as_uri(), str(repo))
    project = make_project(root, repo, home, remote.bare)
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(root)], check=True)
    return project


def work_as_user(project: Project) -> dict[str, Any]:
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) runs the scan as an unprivileged user"
    site = {
        "repo_dir": str(project.repo),
        "persistent_volume_template": project.site.persistent_volume_template,
        "hub_request_timeout": 2.0,
    }
    env = {**BINDER_ENV, "HOME": str(project.home)}
    process_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(project.home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "PYTHONDONTWRITEBYTECODE": "1",
        # The very package this test imported, not another install of it.
        "PYTHONPATH": str(Path(jupyter_binder_ext.__file__).parents[1]),
    }
    as_user = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    done = subprocess.run(
        [*as_user, sys.executable, "-c", SCAN_AS_USER, json.dumps(site), json.dumps(env)],
        capture_output=True,
        text=True,
        env=process_env,
        cwd=project.home,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


@pytest.mark.parametrize("where", ["proj/private-results", "private-data"])
def test_an_unreadable_folder_is_named(open_tmp: Path, where: str) -> None:
    """In the repository git status says so on stderr and exits 0; outside it the walk meets
    it. Either way the folder is named."""
    project = user_project(open_tmp)
    # The same user sees nothing at risk while it can read everything: the reason below
    # comes from the folder, not from running as another user.
    readable = work_as_user(project)
    assert readable["incomplete"] == "" and readable["at_risk"] is False
    assert readable["message"].startswith(NOTHING_LOST)
    locked = project.home / where
    locked.mkdir()
    (locked / "results.csv").write_text("1,2\n")
    os.chown(locked / "results.csv", NOBODY, NOBODY)
    os.chown(locked, NOBODY, NOBODY)
    locked.chmod(0)

    data = work_as_user(project)

    assert_could_not_check(data, f"could not read folder {locked}")
    assert data["changed_total"] == 0 and data["outside"]["files"] == []


# -- the unpushed count -----------------------------------------------------------------------


async def test_an_unpushed_count_git_cannot_make_is_named(project: Project) -> None:
    project.git("commit", "-q", "--allow-empty", "-m", "first unpushed")
    lost = project.git("rev-parse", "HEAD")
    project.git("commit", "-q", "--allow-empty", "-m", "second unpushed")
    # The first commit's object is gone (a disk error, an interrupted gc): rev-list fails.
    (project.repo / ".git" / "objects" / lost[:2] / lost[2:]).unlink()

    data = await project.state().work()

    assert_could_not_check(data, "the unpushed commits could not be counted (git rev-list failed")
    assert data["unpushed"]["count"] == 0  # unknown, and said so


# -- through the server ------------------------------------------------------------------------


async def test_get_work_names_a_failed_git_status(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    (project.repo / ".git" / "index").write_bytes(b"garbage")
    data = json.loads((await jp_fetch("binder", "api", "work")).body)
    assert_could_not_check(data, "git status failed: ")
    assert data["changed_total"] == 0 and data["changed"] == []
