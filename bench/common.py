"""What the bench scripts share: their command line, their output, a free port, a plain env.

The scripts run as ``.venv/bin/python bench/<script>.py``; Python puts a script's own folder
first on ``sys.path``, so ``import common`` finds this file from any working directory.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_binder_ext.demo.runner import free_port

__all__ = [
    "VENV_BIN",
    "BenchServer",
    "argument_parser",
    "free_port",
    "plain_env",
    "report",
    "verdict",
]

VENV_BIN = Path(sys.executable).parent


def argument_parser(doc: str) -> argparse.ArgumentParser:
    """A script's parser: the first paragraph of its docstring, and ``--json``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def report(
    result: dict[str, Any], as_json: bool, print_table: Callable[[dict[str, Any]], None]
) -> None:
    """Print `result` as JSON (what ``bench/run.py`` reads) or as the script's own table."""
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def plain_env() -> dict[str, str]:
    """This process's environment without the hub's and BinderHub's variables, so that a
    ``jupyter server`` started with it runs as a plain server, not as a hub's."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "BINDER_"))}


class BenchServer:
    """A real ``jupyter server`` with this extension and a bench script's own extension (its
    anchor's route), on a free port, with a token of its own."""

    def __init__(
        self,
        workdir: Path,
        script_extension: str,
        binder: dict[str, Any],
        root: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port, self.token = free_port(), secrets.token_hex(8)
        config = workdir / "config.json"
        extensions = {"jupyter_binder_ext": True, script_extension: True}
        config.write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": extensions}, "BinderExt": binder})
        )
        server_env = plain_env()
        server_env.update(env or {})
        # The script's own folder, so that the server imports its extension module.
        server_env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).parent), *filter(None, [server_env.get("PYTHONPATH")])]
        )
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "jupyter"),
                "server",
                "--allow-root",
                "--no-browser",
                f"--port={self.port}",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                f"--config={config}",
                f"--ServerApp.root_dir={root}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=server_env,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
