"""Helpers of the environment tests: repository layouts written as files, a tiny wheel
written in the wheel format (no network, no build backend), and real `pip install`s of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures.wheels import make_wheel, pip_install

__all__ = ["make_wheel", "pip_install", "write_layout"]


def write_layout(repo: Path, files: dict[str, str]) -> Path:
    """The files of a repository (relative path -> text); `postBuild` etc. as given."""
    repo.mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        path = repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return repo


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    make_wheel(folder, "tinypkg", "1.0")
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository built from requirements.txt, as most Binder repositories are."""
    return write_layout(tmp_path / "home" / "repo", {"requirements.txt": "# ours\nnumpy\n"})


@pytest.fixture
def site_packages(tmp_path: Path) -> Path:
    """The folder the server's scan is pointed at (c.BinderExt.environment_paths)."""
    folder = tmp_path / "kernel-env" / "site-packages"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any],
    repo: Path,
    site_packages: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    monkeypatch.setenv("HOME", str(repo.parent))
    settings = {"repo_dir": str(repo), "environment_paths": str(site_packages)}
    return {**jp_server_config, "BinderExt": settings}
