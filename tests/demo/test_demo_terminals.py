"""A demo server's terminals find `jupyter binder`, and its status bar has one RAM figure.

Against the real demo hub: the server process's own environment and command line, as its
terminals (non-login bash) and its extensions see them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.server_terminal import demo_server, run_in_terminal

from jupyter_binder_ext.demo.runner import DemoHub

pytest_plugins = ("fixtures.realhub",)

USER = "terry"
SERVER = "t-term"


@pytest.fixture
def server_pid(real_hub: DemoHub) -> Iterator[int]:
    with demo_server(real_hub, USER, SERVER, "term") as pid:
        yield pid


def test_a_terminal_of_the_server_runs_jupyter_binder(server_pid: int) -> None:
    command = Path(f"/proc/{server_pid}/cmdline").read_bytes().split(b"\0")
    assert b"--ServerApp.terminado_settings=shell_command=/bin/bash" in command  # no -l
    # What a terminal's non-login bash runs, in the server's environment and folder.
    done = run_in_terminal(server_pid, "jupyter binder launch --json", timeout=60)
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
