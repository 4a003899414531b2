"""The CLI and the magics: the same command table and core as the REST API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.terminal.commands import (
    ALIASES,
    Result,
    build_parser,
    parse_assignments,
    parse_command,
)
from jupyter_binder_ext.terminal.run_sync import run_sync

SUBCOMMANDS = {
    "launch",
    "limits",
    "persistence",
    "ssh",
    "projects",
    "stop",
    "delete",
    "resources",
    "relaunch",
    "work",
    "environment",
    "report",
}
CLI = [str(Path(sys.executable).with_name("jupyter-binder"))]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_help_lists_every_subcommand():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert f"    {name}" in result.stdout


def test_parser_knows_exactly_the_documented_subcommands():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) == SUBCOMMANDS


def test_cli_launch_text_and_json(binder_env):
    text = run_cli("launch")
    assert text.returncode == 0, text.stderr
    assert "https://github.com/o/r (GitHub)" in text.stdout
    assert "Relaunch:    https://binder.example.org/v2/gh/o/r/0123456789abcdef" in text.stdout
    as_json = run_cli("--json", "launch")
    data = json.loads(as_json.stdout)
    assert data["owner"] == "o" and data["is_github"] is True
    # --json after the command, as most CLIs accept it, gives the same answer.
    assert json.loads(run_cli("launch", "--json").stdout) == data


def test_old_command_names_answer_but_are_not_in_the_help(binder_env):
    assert ALIASES == {"info": "launch", "persist": "persistence", "sessions": "projects"}
    assert json.loads(run_cli("--json", "info").stdout) == json.loads(
        run_cli("--json", "launch").stdout
    )
    listed = {
        line.split()[0] for line in run_cli("--help").stdout.splitlines() if line[:4] == "    "
    }
    assert listed == SUBCOMMANDS
    args = parse_command(build_parser(), ["-v", "sessions", "--json"])
    assert args.command == "projects" and args.json and args.verbose


def test_alone_the_cli_shows_the_overview(binder_env):
    result = run_cli()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for title in ("Launch:", "Limits:", "Persistence:", "SSH key:", "Projects:"):
        assert any(line.startswith(title) for line in lines), result.stdout
    assert "Launch:      o/r @ main (0123456789ab)" in lines
    data = json.loads(run_cli("--json").stdout)
    assert set(data) == {"launch", "limits", "persistence", "ssh", "projects"}
    # The hub is down in this environment: its line says so, the others still answer.
    assert data["projects"]["error"] == "hub_unavailable"
    assert data["limits"]["memory"]["limit"] > 0


def test_cli_reads_site_config_from_jupyter_config_files(tmp_path, binder_env):
    (tmp_path / "jupyter_server_config.json").write_text(
        json.dumps({"BinderExt": {"control_panel_url": "https://hub.example/hub/home"}})
    )
    data = json.loads(run_cli("--json", "launch", env={"JUPYTER_CONFIG_DIR": str(tmp_path)}).stdout)
    assert data["control_panel_url"] == "https://hub.example/hub/home"


def test_cli_usage_error_exit_code():
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_parse_assignments():
    assert parse_assignments(["cpul=4", " meml = 8 "]) == {"cpul": "4", "meml": "8"}
    with pytest.raises(InvalidInput, match="Expected KEY=VALUE"):
        parse_assignments(["meml"])


def test_run_sync_inside_a_running_loop():
    import asyncio

    async def answer() -> int:
        return 42

    async def outer() -> int:
        # An IPython kernel already runs a loop: run_sync must not call asyncio.run on it.
        return run_sync(answer())

    assert asyncio.run(outer()) == 42
    assert run_sync(answer()) == 42


@pytest.fixture
def ipython(binder_env):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_binder_ext")
    return shell


def test_magic_launch_returns_data_shown_as_text(ipython, capsys):
    result = ipython.run_line_magic("binder", "launch")
    assert isinstance(result, Result)
    assert result["repo"] == "r"
    assert "Repository:  https://github.com/o/r" in result.text
    # IPython shows the text, not the dict's repr.
    from IPython.lib.pretty import pretty

    assert pretty(result) == result.text


def test_magic_help_and_bad_usage_do_not_raise(ipython, capsys):
    assert ipython.run_line_magic("binder", "--help") is None
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out
    assert ipython.run_line_magic("binder", "frobnicate") is None
    assert "invalid choice" in capsys.readouterr().err


def test_magic_alone_is_the_overview(ipython):
    result = ipython.run_line_magic("binder", "")
    assert isinstance(result, Result)
    assert result.text.startswith("Launch:      o/r @ main")
    assert result["launch"]["repo"] == "r"
