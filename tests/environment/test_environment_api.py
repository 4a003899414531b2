"""``binder/api/environment`` and ``environment/keep`` through a real Jupyter server
(pytest-jupyter), a real `pip install` of a wheel the test writes, and the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import make_wheel, pip_install
from tornado.httpclient import HTTPClientError

CLI = str(Path(sys.executable).with_name("jupyter-binder"))


async def refused(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(*parts, **kwargs)
    assert caught.value.response is not None
    return caught.value.code, json.loads(caught.value.response.body)


def ours(data: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    return [p for p in data["installed"] if p["location"] == str(folder)]


async def get(jp_fetch: Any, *query: str) -> dict[str, Any]:
    params = dict(q.split("=") for q in query)
    return json.loads((await jp_fetch("binder", "api", "environment", params=params)).body)


async def post_keep(jp_fetch: Any, body: dict[str, Any]) -> Any:
    return await jp_fetch(
        "binder", "api", "environment", "keep", method="POST", body=json.dumps(body)
    )


async def test_install_see_keep(
    jp_fetch: Any, jp_serverapp: Any, repo: Path, site_packages: Path, wheels: Path
) -> None:
    before = await get(jp_fetch)
    assert before["build"]["name"] == "PythonBuildPack"
    assert before["build"]["files_used"] == ["requirements.txt"]
    assert ours(before, site_packages) == []

    pip_install(site_packages, "tinypkg", find_links=wheels)
    # The scan is shared for 5 seconds; forget it as that interval would.
    jp_serverapp.web_app.settings["binder_ext"].environment_service.invalidate()
    seen = await get(jp_fetch)
    (package,) = ours(seen, site_packages)
    assert (package["name"], package["version"], package["source"]) == ("tinypkg", "1.0", "index")
    assert package["in_files"] is None and package["keepable"] is True
    assert "tinypkg" in seen["message"]

    kept = json.loads((await post_keep(jp_fetch, {"packages": ["tinypkg"]})).body)
    assert kept["file"] == "requirements.txt" and kept["added"] == ["tinypkg==1.0"]
    assert (repo / "requirements.txt").read_text() == "# ours\nnumpy\ntinypkg==1.0\n"

    after = await get(jp_fetch)
    (package,) = ours(after, site_packages)
    assert package["in_files"] == {"file": "requirements.txt", "line": 3, "spec": "tinypkg==1.0"}


async def test_a_local_install_is_refused_and_nothing_written(
    jp_fetch: Any, repo: Path, site_packages: Path, tmp_path: Path
) -> None:
    pip_install(site_packages, str(make_wheel(tmp_path / "mine", "minepkg", "0.1")))
    code, error = await refused(
        jp_fetch,
        "binder",
        "api",
        "environment",
        "keep",
        method="POST",
        body=json.dumps({"packages": ["minepkg"]}),
    )
    assert code == 400 and "local folder" in error["message"]
    assert (repo / "requirements.txt").read_text() == "# ours\nnumpy\n"
    (package,) = ours(await get(jp_fetch), site_packages)
    assert package["keepable"] is False and package["source"] == "local"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("not json", "not valid JSON"),
        ("{}", "non-empty list"),
        ('{"packages": ["x"], "to": "y"}', "Unknown field(s) to"),
        ('{"packages": "tinypkg"}', "non-empty list"),
        ('{"packages": ["x"], "file": "../Dockerfile"}', "file must be one of"),
    ],
)
async def test_bad_keep_requests_are_400(jp_fetch: Any, repo: Path, body: str, words: str) -> None:
    code, error = await refused(
        jp_fetch, "binder", "api", "environment", "keep", method="POST", body=body
    )
    assert code == 400 and words in error["message"]
    assert (repo / "requirements.txt").read_text() == "# ours\nnumpy\n"


async def test_a_dockerfile_build_says_the_line_to_add(
    jp_fetch: Any, repo: Path, site_packages: Path, wheels: Path
) -> None:
    (repo / "Dockerfile").write_text("FROM quay.io/jupyter/base-notebook\n")
    pip_install(site_packages, "tinypkg", find_links=wheels)
    code, error = await refused(
        jp_fetch,
        "binder",
        "api",
        "environment",
        "keep",
        method="POST",
        body=json.dumps({"packages": ["tinypkg"]}),
    )
    assert code == 409 and error["line"] == "RUN pip install --no-cache-dir tinypkg==1.0"
    assert (repo / "Dockerfile").read_text() == "FROM quay.io/jupyter/base-notebook\n"
    data = await get(jp_fetch)
    assert data["build"]["name"] == "DockerBuildPack"
    assert [c["file"] for c in data["checks"]] == ["requirements.txt", "Dockerfile", "Dockerfile"]


async def test_the_dockerfile_on_request(jp_fetch: Any, repo: Path) -> None:
    data = await get(jp_fetch, "dockerfile=1")
    assert data["build"]["dockerfile"] and "requirements.txt" in data["build"]["dockerfile"]
    assert (await get(jp_fetch))["build"]["dockerfile"] is None


def test_the_cli_shows_and_keeps(
    repo: Path, site_packages: Path, wheels: Path, tmp_path: Path
) -> None:
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    settings = {"repo_dir": str(repo), "environment_paths": str(site_packages)}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps({"BinderExt": settings}))
    # As in a terminal of the server: its start time is in the environment.
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "HOME": str(repo.parent),
        "JUPYTER_BINDER_EXT_SINCE": repr(time.time() - 1),
    }
    pip_install(site_packages, "tinypkg", find_links=wheels)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLI, *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )

    shown = cli("environment")
    assert shown.returncode == 0, shown.stderr
    assert "PythonBuildPack" in shown.stdout
    assert "tinypkg 1.0 (pip, index): not in your environment files" in shown.stdout
    kept = cli("environment", "keep", "tinypkg", "--json")
    assert kept.returncode == 0, kept.stderr
    assert json.loads(kept.stdout)["added"] == ["tinypkg==1.0"]
    assert (repo / "requirements.txt").read_text() == "# ours\nnumpy\ntinypkg==1.0\n"
