"""``jupyter binder work`` through the real CLI process, over a real clone and volume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from work_project import Project

CLI = str(Path(sys.executable).with_name("jupyter-binder"))


@pytest.fixture
def cli_env(
    project: Project, tmp_path: Path, binder_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    settings = {
        "repo_dir": str(project.repo),
        "persistent_volume_template": project.site.persistent_volume_template,
        "hub_request_timeout": 2.0,
    }
    (config_dir / "jupyter_server_config.json").write_text(json.dumps({"BinderExt": settings}))
    return {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "HOME": str(project.home)}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_work_shows_and_saves(project: Project, cli_env: dict[str, str]) -> None:
    (project.repo / "results.csv").write_text("1,2\n")
    shown = cli(cli_env, "work")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Idle deletion would lose 1 changed file.")
    assert "untracked   results.csv" in shown.stdout
    data: Any = json.loads(cli(cli_env, "work", "--json").stdout)
    assert data["changed"][0]["path"] == "results.csv"

    saved = cli(cli_env, "work", "save", "--to", "persistent")
    assert saved.returncode == 0, saved.stderr
    assert "copied   results.csv" in saved.stdout
    assert (project.instance / "proj" / "results.csv").read_text() == "1,2\n"

    refused = cli(cli_env, "work", "save")
    assert refused.returncode == 1
    assert "work save needs --to persistent or --to github" in refused.stderr


def test_work_save_to_github_commits_and_pushes(project: Project, cli_env: dict[str, str]) -> None:
    (project.repo / "results.csv").write_text("1,2\n")
    done = cli(cli_env, "work", "save", "results.csv", "--to", "github", "-m", "Results")
    assert done.returncode == 0, done.stderr
    head = project.git("rev-parse", "HEAD")
    assert done.stdout.startswith(f"Committed 1 file as {head[:12]}. Pushed 1 commit to main")
    assert project.git("log", "-1", "--format=%s") == "Results"


def test_work_save_says_what_it_held_back(project: Project, cli_env: dict[str, str]) -> None:
    (project.repo / "results.csv").write_text("1,2\n")
    (project.repo / ".git-credentials").write_text("https://a:b@github.com\n")
    (project.repo / ".bash_history").write_text("export PW=x\n")

    done = cli(cli_env, "work", "save", "--to", "github", "-m", "Results")

    assert done.returncode == 0, done.stderr
    assert "held     .git-credentials: a credentials file (tokens or passwords)" in done.stdout
    assert "held     .bash_history: a command history" in done.stdout
    assert project.git("show", "--format=", "--name-only", "HEAD").split() == ["results.csv"]

    named = cli(cli_env, "work", "save", ".git-credentials", "--to", "persistent")
    assert named.returncode == 1
    assert "Never saved: .git-credentials is a credentials file" in named.stderr


def test_a_copy_that_fails_says_the_folder_and_link_it_made(
    project: Project, cli_env: dict[str, str]
) -> None:
    import resource
    import signal

    (project.repo / "small.txt").write_text("fits\n")
    (project.repo / "zbig.bin").write_bytes(b"x" * 256 * 1024)

    def over_quota() -> None:
        # The kernel's own cap on file size, standing in for a full volume or a quota:
        # writing past it fails with EFBIG (the signal ignored, as a shell would).
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    done = subprocess.run(
        [CLI, "work", "save", "--to", "persistent"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=120,
        check=False,
        preexec_fn=over_quota,  # the limit applies in the child only
    )
    assert done.returncode == 1
    instance = project.instance
    assert done.stderr.strip() == (
        f"Error: Created {instance} and the link persistent to it in your files. Copying "
        f"zbig.bin to {instance} failed (File too large); 1 file copied before it, the rest "
        "(0) not tried."
    )
    assert (instance / "proj" / "small.txt").read_text() == "fits\n"
    assert (project.repo / "persistent").resolve() == instance
    assert not (instance / "proj" / "zbig.bin").exists()
    assert [p.name for p in (instance / "proj").iterdir() if "binder-save" in p.name] == []
