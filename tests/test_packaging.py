"""What an installed package promises, checked in the development install (fast).

The full check from a clean clone (sdist and wheel built, the wheel installed into a fresh
venv) is ``.ci/check_package.sh``; these are the same promises without the build: one version
everywhere, the server config that enables the extension with no command run, every REST
handler authenticated so that ``allow_unauthenticated_access=False`` finds nothing to warn
about, and ``jupyter binder --help`` / ``%binder --help`` listing every subcommand.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import re
import secrets
import socket
import subprocess
import sys
import time
from importlib.metadata import version as installed_version
from pathlib import Path

import tomllib
from packaging.version import Version

import jupyter_binder_ext
from jupyter_binder_ext.terminal.commands import build_parser

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
ENDPOINT = re.compile(r"^\s*- (\S+) of (\S+) registered for (\S+)", re.MULTILINE)


def subcommands() -> list[str]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    raise AssertionError("build_parser() has no subcommands")


def test_the_version_comes_from_labextension_package_json_only() -> None:
    hatch_version = PYPROJECT["tool"]["hatch"]["version"]
    assert hatch_version == {"source": "nodejs", "path": "labextension/package.json"}
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert "version" not in PYPROJECT["project"]
    source = json.loads((REPO / "labextension" / "package.json").read_text())["version"]
    found = {
        "labextension/package.json": source,
        "installed metadata": installed_version("jupyter_binder_ext"),
        "__version__": jupyter_binder_ext.__version__,
    }
    built = REPO / "jupyter_binder_ext" / "labextension" / "package.json"
    if built.exists():  # after `make build`; the wheel check covers a fresh build
        found["built package.json"] = json.loads(built.read_text())["version"]
    assert len({Version(v) for v in found.values()}) == 1, found


def test_installing_enables_the_server_extension_with_no_command() -> None:
    config = REPO / "jupyter-config" / "server-config" / "jupyter_binder_ext.json"
    assert json.loads(config.read_text()) == {
        "ServerApp": {"jpserver_extensions": {"jupyter_binder_ext": True}}
    }
    shared = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared["jupyter-config/server-config"] == "etc/jupyter/jupyter_server_config.d"
    assert (
        shared["jupyter_binder_ext/labextension"]
        == "share/jupyter/labextensions/jupyter-binder-ext"
    )
    assert jupyter_binder_ext._jupyter_labextension_paths() == [
        {"src": "labextension", "dest": "jupyter-binder-ext"}
    ]


def test_every_handler_method_requires_authentication() -> None:
    # The predicate jupyter_server applies to extension routes when
    # allow_unauthenticated_access is False (it warns for each method it lists).
    from jupyter_server.serverapp import ServerWebApplication

    from jupyter_binder_ext.server.handlers import routes

    unauthenticated = [
        line
        for pattern, handler in routes()
        for line in ServerWebApplication._check_handler_auth(None, pattern, handler)
    ]
    assert unauthenticated == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, token: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Authorization": f"token {token}"} if token else {}
    conn.request("GET", path, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and again if the first was lost: jupyter_server logs from its signal handler,
    and a signal that lands while the server writes its log hits a reentrant write to stderr
    ("RuntimeError: reentrant call inside <_io.BufferedWriter>") and is dropped."""
    for _ in range(3):
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(10)
            return
    server.kill()
    server.wait(10)


def test_server_without_unauthenticated_access_warns_about_none_of_ours(tmp_path: Path) -> None:
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        "HOME": str(tmp_path),
        "PATH": f"{BIN}:/usr/bin:/bin",
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "PYTHONWARNINGS": "default",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(BIN / "jupyter"), "server", "--allow-root", "--no-browser",
                "--ServerApp.allow_unauthenticated_access=False",
                "--ServerApp.jpserver_extensions=jupyter_binder_ext=True",
                "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
            ],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        for _ in range(240):
            with contextlib.suppress(OSError):
                if _get(port, "/api/status", token) == 200:
                    break
            assert server.poll() is None, log.read_text()
            time.sleep(0.25)
        assert _get(port, "/binder/api/limits", token) == 200
        assert _get(port, "/binder/api/limits") == 403
    finally:
        _stop(server)
    text = log.read_text(errors="replace")
    assert "jupyter_binder_ext | extension was successfully loaded" in text, text
    # Other extensions' warnings may be there; none may name one of our routes.
    warned = [m.group(0) for m in ENDPOINT.finditer(text) if m.group(3).startswith("/binder/")]
    assert warned == [], text


def test_jupyter_binder_help_lists_every_subcommand() -> None:
    out = subprocess.run(
        [str(BIN / "jupyter"), "binder", "--help"], capture_output=True, text=True, check=True
    ).stdout
    listed = re.findall(r"^ {4}(\w+)", out, re.MULTILINE)
    assert set(subcommands()) <= set(listed), out


def test_binder_magic_help_lists_every_subcommand() -> None:
    # A real IPython shell in its own process (the magic prints argparse's help).
    probe = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_cell('%load_ext jupyter_binder_ext', silent=True)\n"
        "shell.run_cell('%binder --help')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "usage: %binder" in out, out
    listed = re.findall(r"^ {4}(\w+)", out, re.MULTILINE)
    assert set(subcommands()) <= set(listed), out
