"""A demo server's terminals find `jupyter binder`, and its status bar has one RAM figure.

Against the real demo hub: the server process's own environment and command line, as its
terminals (non-login bash) and its extensions see them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_binder_ext.demo.runner import DemoHub

pytest_plugins = ("fixtures.realhub",)

USER = "terry"
SERVER = "t-term"


@pytest.fixture
def server_pid(real_hub: DemoHub) -> Iterator[int]:
    real_hub.start_server(USER, SERVER, real_hub.binder_options("o", "term"))
    try:
        yield int((real_hub.state_dir / "pids" / f"{USER}.{SERVER}.pid").read_text())
    finally:
        real_hub.remove_servers(USER)


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_a_terminal_of_the_server_runs_jupyter_binder(server_pid: int) -> None:
    env = _environ(server_pid)
    command = Path(f"/proc/{server_pid}/cmdline").read_bytes().split(b"\0")
    assert b"--ServerApp.terminado_settings=shell_command=/bin/bash" in command  # no -l
    # What a terminal's non-login bash runs, in the server's environment and folder.
    done = subprocess.run(
        ["/bin/bash", "-c", "jupyter binder launch --json"],
        env=env,
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["server_name"] == SERVER


def test_the_demo_leaves_the_ram_figure_to_this_extension(
    real_hub: DemoHub, server_pid: int
) -> None:
    # jupyter-resource-usage is installed (the limits benchmark's anchor) but not loaded:
    # its status-bar item finds no metrics and stays hidden, ours shows RAM.
    token = real_hub.user_token(USER)
    status, _ = real_hub.server_api(token, USER, SERVER, "api/metrics/v1")
    assert status == 404
    status, limits = real_hub.server_api(token, USER, SERVER, "binder/api/limits")
    assert status == 200 and limits["memory"]["used"] is not None
