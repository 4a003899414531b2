"""A demo server's own Python environment: `pip install` in its terminal lands there, not in
the demo's .venv, and the panel's environment and work answers see it.

Against the real demo hub: the command runs as a terminal of the server runs it (non-login
bash, the server process's own environment and folder).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.server_terminal import demo_server, run_in_terminal
from fixtures.wheels import make_wheel

from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.demo.serverenv import server_env_folder

pytest_plugins = ("fixtures.realhub",)

USER = "petra"
SERVER = "p-env"


@pytest.fixture
def server_pid(real_hub: DemoHub) -> Iterator[int]:
    with demo_server(real_hub, USER, SERVER, "envdemo") as pid:
        yield pid


def in_terminal(pid: int, command: str) -> str:
    done = run_in_terminal(pid, command)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_pip_install_in_a_terminal_lands_in_the_servers_own_environment(
    real_hub: DemoHub, server_pid: int, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "demopkg", "0.3")
    own = server_env_folder(real_hub.state_dir, USER, SERVER)
    token = real_hub.user_token(USER)
    status, before = real_hub.server_api(token, USER, SERVER, "binder/api/environment")
    assert status == 200, before
    assert before["build"]["files_used"] == ["requirements.txt"]  # the sample's own file

    in_terminal(server_pid, f"pip install --no-index --no-deps --find-links {wheels} demopkg")

    where = in_terminal(server_pid, "python -c 'import demopkg; print(demopkg.__file__)'")
    assert Path(where).is_relative_to(own), where
    demo_venv = Path(sys.prefix)
    assert not list(demo_venv.glob("lib/python*/site-packages/demopkg*")), "the demo's .venv"
    # The server itself runs with that environment's Python (so its scan finds it).
    command = Path(f"/proc/{server_pid}/cmdline").read_bytes().split(b"\0")
    assert command[0].decode() == str(own / "bin" / "python")

    # The panel: the scan is shared for 5 seconds, so wait for a fresh one.
    installed = _wait_for(real_hub, token, "demopkg")
    assert installed["version"] == "0.3" and installed["in_files"] is None
    assert Path(installed["location"]).is_relative_to(own)
    status, work = real_hub.server_api(token, USER, SERVER, "binder/api/work")
    assert status == 200, work
    assert [p["name"] for p in work["runtime_installs"]["packages"]] == ["demopkg"]


def _wait_for(hub: DemoHub, token: str, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        status, answer = hub.server_api(token, USER, SERVER, "binder/api/environment")
        assert status == 200, answer
        found = [p for p in answer["installed"] if p["name"] == name]
        if found or time.monotonic() > deadline:
            assert found, answer["installed"]
            return dict(found[0])
        time.sleep(1)
