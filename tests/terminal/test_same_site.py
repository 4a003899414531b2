"""Every face sees the server's site, however the admin configured it.

The server publishes its effective ``c.BinderExt.*`` values in its environment; kernels and
terminals inherit that environment, so ``%binder`` and ``jupyter binder`` run there report the
same facts as the REST API, even for values set only on the server's command line (as the
demo and many hubs do) or through the environment, which no config file holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_binder_ext.config import SITE_ENV, SiteConfig

CLI = str(Path(sys.executable).with_name("jupyter-binder"))
PANEL = "https://hub.example.org/hub/home"


@pytest.fixture
def jp_server_config(jp_server_config, tmp_path):  # type: ignore[no-untyped-def]
    # As `--BinderExt.x=...` on the server's command line: no config file holds these.
    return {
        **jp_server_config,
        "BinderExt": {
            "control_panel_url": PANEL,
            "persistent_volume_template": str(tmp_path / "volumes" / "{username}"),
            "ssh_public_key_path": str(tmp_path / "keys" / "id.pub"),
        },
    }


def _cli(*args: str, env: dict[str, str]) -> Any:
    # A terminal of the server: its environment, and no config file of its own. (The exit
    # status says whether the answer is an error, e.g. no volume here: the facts still come.)
    result = subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


async def test_cli_and_magics_in_the_servers_children_see_its_command_line_config(
    jp_fetch: Any, binder_env: dict[str, str], tmp_path: Path
) -> None:
    api_launch = json.loads((await jp_fetch("binder", "api", "launch")).body)
    api_volume = json.loads((await jp_fetch("binder", "api", "persistence")).body)
    api_ssh = json.loads((await jp_fetch("binder", "api", "ssh")).body)
    assert api_launch["control_panel_url"] == PANEL
    assert api_volume["path"] == str(tmp_path / "volumes" / "alice")

    children = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "empty-config")}
    assert SITE_ENV in children  # published by the running server
    assert _cli("launch", "--json", env=children)["control_panel_url"] == PANEL
    assert _cli("persistence", "--json", env=children)["path"] == api_volume["path"]
    cli_ssh = _cli("ssh", "--json", env=children)
    assert cli_ssh["public_key_path"] == api_ssh["public_key_path"]

    InteractiveShell.clear_instance()  # a fresh kernel, not one an earlier test configured
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "jupyter_binder_ext")
        magic = shell.run_line_magic("binder", "persistence")
    finally:
        InteractiveShell.clear_instance()
    assert magic["path"] == api_volume["path"]


def test_outside_a_server_the_config_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "jupyter_server_config.json").write_text(
        json.dumps({"BinderExt": {"control_panel_url": "https://files.example/hub/home"}})
    )
    env = {k: v for k, v in os.environ.items() if k != SITE_ENV}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path)
    assert _cli("launch", "--json", env=env)["control_panel_url"] == (
        "https://files.example/hub/home"
    )


def test_a_broken_published_site_falls_back_to_the_config_files(tmp_path: Path) -> None:
    env = {**os.environ, SITE_ENV: "{not json", "JUPYTER_CONFIG_DIR": str(tmp_path)}
    result = subprocess.run(
        [CLI, "launch", "--json"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert f"Ignoring {SITE_ENV}" in result.stderr


def test_the_published_site_round_trips() -> None:
    site = SiteConfig(control_panel_url=PANEL, max_named_servers=2)
    assert SiteConfig.from_json(site.to_json()) == site
    # A newer server may publish keys this version does not know.
    data = json.loads(site.to_json()) | {"from_the_future": 1}
    assert SiteConfig.from_json(json.dumps(data)) == site
