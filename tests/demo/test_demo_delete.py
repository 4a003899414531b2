"""Deleting a project in the demo removes what a deleted pod's removal removes: the server's
folder and every cgroup made for it; stopping keeps the files and leaves no cgroup behind.
Against the real demo hub: JupyterHub calls the spawner's ``delete_forever`` when a named
server is deleted (jupyterhub ``apihandlers/users.py``, ``spawner.py`` ``delete_forever``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from jupyter_binder_ext.demo.cgroups import cgroup_name, find_server_cgroup
from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.demo.serverenv import server_env_folder

pytest_plugins = ("fixtures.realhub",)

USER, NAME = "delia", "o-deleted-ab12cd34"


def folder_of(hub: DemoHub, user: str, name: str) -> Path:
    return hub.state_dir / "servers" / user / name


def leftover_child_in(hub: DemoHub, user: str, name: str) -> subprocess.Popen[bytes]:
    """A process in the server's cgroup that outlives the server (a kernel left behind)."""
    cgroup = find_server_cgroup(cgroup_name(user, name))
    assert cgroup is not None
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    for procs in cgroup.procs_files:
        Path(procs).write_text(str(child.pid))
    return child


def test_stop_keeps_the_files_and_leaves_no_cgroup(real_hub: DemoHub) -> None:
    real_hub.start_server(USER, NAME, real_hub.binder_options("o", "deleted"))
    try:
        folder = folder_of(real_hub, USER, NAME)
        assert (folder / ".git").is_dir()  # the clone: the server's own files
        assert find_server_cgroup(cgroup_name(USER, NAME)) is not None
        child = leftover_child_in(real_hub, USER, NAME)
        real_hub.stop_server(USER, NAME)
        assert (folder / ".git").is_dir()
        assert find_server_cgroup(cgroup_name(USER, NAME)) is None
        assert child.wait(timeout=10) == -9  # ended with its server, as in a pod

        # Delete: the folder, its own Python environment and every cgroup go, as a deleted
        # pod's files and image layer do.
        real_hub.start_server(USER, NAME, real_hub.binder_options("o", "deleted"))
        environment = server_env_folder(real_hub.state_dir, USER, NAME)
        assert (environment / "pyvenv.cfg").is_file()
        real_hub.stop_server(USER, NAME, remove=True)
        deadline = time.monotonic() + 30
        while (folder.exists() or environment.exists()) and time.monotonic() < deadline:
            time.sleep(0.2)  # the hub calls delete_forever after it answered
        assert not folder.exists()
        assert not environment.exists()
        assert find_server_cgroup(cgroup_name(USER, NAME)) is None
    finally:
        real_hub.remove_servers(USER)
