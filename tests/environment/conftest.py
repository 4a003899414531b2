"""Helpers of the environment tests: repository layouts written as files, a tiny wheel
written in the wheel format (no network, no build backend), and real `pip install`s of it."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest


def write_layout(repo: Path, files: dict[str, str]) -> Path:
    """The files of a repository (relative path -> text); `postBuild` etc. as given."""
    repo.mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        path = repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return repo


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(folder: Path, name: str = "tinypkg", version: str = "1.0") -> Path:
    """A pure-Python wheel `name` `version`, written as the wheel format says (PEP 427)."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f'VERSION = "{version}"\n'.encode(),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return wheel


def pip_install(target: Path, *requirement: str, find_links: Path | None = None) -> None:
    """A real `pip install --target`, offline."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-index",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        "--target",
        str(target),
    ]
    if find_links is not None:
        command += ["--find-links", str(find_links)]
    subprocess.run([*command, *requirement], check=True, capture_output=True)


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
