"""Every subcommand through the real CLI process and the magics, over real files, git and keys.

The CLI reads ``c.BinderExt.*`` from a Jupyter config folder, exactly as an admin would set it
in an image; the answers must be the core's own (the same the REST API gives).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import Clone
from fixtures.sshd import free_port, make_keypair
from IPython.core.interactiveshell import InteractiveShell

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.state import ExtensionState
from jupyter_binder_ext.terminal.commands import Result

CLI = str(Path(sys.executable).with_name("jupyter-binder"))


@pytest.fixture
def site(tmp_path: Path, origin: Clone, binder_env: dict[str, str], monkeypatch) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A launched repository (real git clone), a volume folder, a mounted-style key pair."""
    volumes = tmp_path / "volumes"
    (volumes / "alice-nfs-pvc").mkdir(parents=True)
    private, public = make_keypair(tmp_path / "mounted", "ed25519", "alice@binderhub")
    settings = {
        "repo_dir": str(origin.work),
        "persistent_volume_template": str(volumes / "{username}-nfs-pvc"),
        "ssh_private_key_path": str(private),
        "ssh_public_key_path": str(public),
        "ssh_dir": str(tmp_path / "home-ssh"),
        "hub_request_timeout": 2.0,
    }
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(json.dumps({"BinderExt": settings}))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config_dir))
    # Nothing listens there: the hub is down.
    monkeypatch.setenv("JUPYTERHUB_API_URL", f"http://127.0.0.1:{free_port()}/hub/api")
    return {"origin": origin, "private": private, "public": public, "volume": volumes, **settings}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=dict(os.environ), timeout=120, check=False
    )


def cli_json(*args: str) -> Any:
    result = cli("--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def private_key_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and "-----" not in line]


def test_limits_are_the_cores_own(site: dict[str, Any]) -> None:
    from jupyter_binder_ext.terminal.run_sync import run_sync

    data = cli_json("limits")
    here = run_sync(ExtensionState(SiteConfig()).limits())
    # Same process tree, same cgroup: the same limits and sources.
    assert data["memory"]["limit"] == here["memory"]["limit"]
    assert data["cpu"]["limit"] == here["cpu"]["limit"]
    assert data["memory"]["limit_source"] == here["memory"]["limit_source"]
    text = cli("limits").stdout
    assert text.startswith("CPU") and "Memory" in text


def test_persistence_creates_the_instance_folder_and_its_link(site: dict[str, Any]) -> None:
    before = cli_json("persistence")
    assert before["exists"] is True and before["instance_dir"]["exists"] is False
    after = cli_json("persistence", "--create")
    instance = Path(after["instance_dir"]["path"])
    assert instance.is_dir() and instance.parent == site["volume"] / "alice-nfs-pvc"
    link = site["origin"].work / "persistent"
    assert link.is_symlink() and link.resolve() == instance.resolve()
    assert "persistent" in cli("persistence").stdout


def test_an_answer_that_reports_a_failure_exits_non_zero(site: dict[str, Any]) -> None:
    site["volume"].joinpath("alice-nfs-pvc").rmdir()
    result = cli("persistence")
    assert result.returncode == 1
    assert "does not exist" in result.stdout
    data = json.loads(cli("persistence", "--json").stdout)
    assert any(w["level"] == "error" for w in data["warnings"])


def test_ssh_shows_the_fingerprint_and_never_the_private_key(site: dict[str, Any]) -> None:
    expected = subprocess.run(
        ["ssh-keygen", "-lf", str(site["public"])], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    data = cli_json("ssh")
    assert data["fingerprint"] == expected
    text = cli("ssh")
    for output in (json.dumps(data), text.stdout, text.stderr):
        for line in private_key_lines(site["private"]):
            assert line not in output


def test_resources_set_writes_and_a_bad_value_changes_nothing(site: dict[str, Any]) -> None:
    path = site["origin"].work / ".resources"
    assert cli("resources", "set", "cpul=4", "meml=8").returncode == 0
    assert path.read_text().splitlines() == ["cpul=4", "meml=8"]
    refused = cli("resources", "set", "meml=4GB")
    assert refused.returncode == 1
    assert "RAM is in whole GB, without units: meml=4" in refused.stderr
    assert path.read_text().splitlines() == ["cpul=4", "meml=8"]
    shown = cli_json("resources")
    assert shown["effective"]["meml"] == 8 and shown["effective"]["memr"] == 1


def test_projects_with_the_hub_down_is_a_clear_error(site: dict[str, Any]) -> None:
    result = cli("projects")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ")
    assert "hub" in result.stderr.lower()
    assert json.loads(cli("projects", "--json").stdout)["error"] == "hub_unavailable"
    # The log of what was tried is there for those who ask.
    assert "[WARNING] Hub API GET /users/alice" in cli("--verbose", "projects").stderr


@pytest.fixture
def shell(site: dict[str, Any]) -> InteractiveShell:
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "jupyter_binder_ext")
    # A fresh state per test: the magics read the config folder of this test.
    from jupyter_binder_ext.terminal.magics import BinderMagics

    ipython.magics_manager.registry["BinderMagics"]._state = None
    assert isinstance(ipython.magics_manager.registry["BinderMagics"], BinderMagics)
    return ipython


def test_resources_cell_magic_writes_the_file_or_nothing(
    site: dict[str, Any], shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    path = site["origin"].work / ".resources"
    result = shell.run_cell_magic("resources", "", "# more RAM\nmemr=2\nmeml=6\n")
    assert path.read_text() == "# more RAM\nmemr=2\nmeml=6\n"
    assert result["effective"]["meml"] == 6
    assert shell.run_cell_magic("resources", "", "memr=8\nmeml=6\n") is None
    out = capsys.readouterr().out
    assert "Error:" in out and "line 1:" in out
    assert path.read_text() == "# more RAM\nmemr=2\nmeml=6\n"


def test_relaunch_magic_commits_pushes_and_links(
    site: dict[str, Any], shell: InteractiveShell
) -> None:
    origin: Clone = site["origin"]
    result = shell.run_line_magic("binder", "relaunch meml=2 -m 'Less RAM'")
    sha = result["commit"]["sha"]
    assert origin.remote_head() == sha
    assert origin.git("log", "-1", "--format=%s") == "Less RAM"
    assert origin.git("show", "--name-only", "--format=", sha) == ".resources"
    assert result["launch"]["url"] == f"https://binder.example.org/v2/gh/o/r/{sha}"
    assert sha[:7] in result.text


def documented_examples(language: str, prefix: str) -> list[str]:
    """The command lines of docs/user-guide.md's ``language`` blocks, without comments."""
    guide = (Path(__file__).parents[2] / "docs" / "user-guide.md").read_text()
    blocks = re.findall(rf"```{language}\n(.*?)```", guide, re.DOTALL)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(prefix)]


# The hub is down in these tests: the commands that ask it must say exactly that.
NEEDS_HUB = ("projects", "stop", "delete")


def test_every_magic_example_of_the_user_guide_runs(
    site: dict[str, Any], shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = documented_examples("python", "%binder")
    assert len(examples) >= 10
    for example in examples:
        line = example.removeprefix("%binder").strip().replace("NAME", "o-r-sibling1")
        result = shell.run_line_magic("binder", line)
        out = capsys.readouterr()
        if line.split(" ")[0] in NEEDS_HUB:
            assert result is None, example
            assert "Error:" in out.out and "hub" in out.out.lower(), example
        else:
            assert isinstance(result, Result), (example, out)
            assert "Error" not in out.out, example
    # The last example relaunched: its commit is on the remote.
    assert site["origin"].git("log", "-1", "--format=%s") == "More RAM"


def test_every_terminal_example_of_the_user_guide_runs(site: dict[str, Any]) -> None:
    examples = documented_examples("bash", "jupyter binder")
    assert len(examples) >= 4
    for example in examples:
        args = shlex.split(example)[2:]
        result = cli(*args)
        if args and args[0] in NEEDS_HUB:
            assert result.returncode == 1 and "hub" in result.stderr.lower(), example
        else:
            assert result.returncode == 0, (example, result.stdout, result.stderr)
        if "--json" in args:
            json.loads(result.stdout)
