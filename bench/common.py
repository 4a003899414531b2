"""What the bench scripts share: their command line, their output, a free port, a plain env.

The scripts run as ``.venv/bin/python bench/<script>.py``; Python puts a script's own folder
first on ``sys.path``, so ``import common`` finds this file from any working directory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_binder_ext.demo.runner import free_port

__all__ = ["VENV_BIN", "argument_parser", "free_port", "plain_env", "report", "verdict"]

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
