"""What would fail or surprise the next build: one case per check, on real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_layout

from jupyter_binder_ext.environment.build import detect_build
from jupyter_binder_ext.environment.checks import run_checks

GOOD_DOCKERFILE = """\
FROM quay.io/jupyter/base-notebook
USER root
RUN apt-get update && apt-get install -y git
RUN chown -R 1000:1000 /home/jovyan
USER ${NB_USER}
"""


def found(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, str, int | None, str]]:
    repo = write_layout(tmp_path / "repo", files)
    checks = run_checks(repo, detect_build(repo))
    return [(c["level"], c["file"], c["line"], c["message"]) for c in checks]


def test_a_good_dockerfile_passes(tmp_path: Path) -> None:
    assert found(tmp_path, {"Dockerfile": GOOD_DOCKERFILE}) == []


@pytest.mark.parametrize(
    ("dockerfile", "level", "line", "words"),
    [
        (GOOD_DOCKERFILE.replace("USER ${NB_USER}\n", ""), "error", 2, "ends as root"),
        (
            "FROM quay.io/jupyter/base-notebook\nRUN chown -R 1000 /home/jovyan\n",
            "warning",
            None,
            "never sets USER",
        ),
        (
            GOOD_DOCKERFILE.replace("RUN chown -R 1000:1000 /home/jovyan\n", ""),
            "warning",
            None,
            "chowned",
        ),
        (
            "FROM ubuntu:22.04\nRUN chown -R 1000 /home/x\nUSER 1000\n",
            "error",
            None,
            "installs Jupyter",
        ),
    ],
)
def test_dockerfile_checks(
    tmp_path: Path, dockerfile: str, level: str, line: int | None, words: str
) -> None:
    checks = found(tmp_path, {"Dockerfile": dockerfile})
    assert [(c[0], c[1], c[2]) for c in checks] == [(level, "Dockerfile", line)]
    assert words in checks[0][3]


EXPORTED = """\
name: base
channels:
  - conda-forge
dependencies:
  - appnope=0.1.3=pyhd8ed1ab_0
  - numpy=1.26.4
  - pywin32
prefix: /Users/me/miniconda3/envs/base
"""


def test_conda_env_export_output(tmp_path: Path) -> None:
    checks = found(tmp_path, {"environment.yml": EXPORTED})
    assert [(c[0], c[2]) for c in checks] == [
        ("warning", 8),  # prefix:
        ("warning", 5),  # a build string
        ("error", 5),  # macOS only
        ("error", 7),  # Windows only
    ]
    assert "macOS" in checks[2][3] and "Windows" in checks[3][3]


def test_an_unparsable_environment_yml(tmp_path: Path) -> None:
    checks = found(tmp_path, {"environment.yml": "dependencies:\n  - numpy\n bad: [\n"})
    assert [(c[0], c[1]) for c in checks] == [("error", "environment.yml")]
    assert "not valid YAML" in checks[0][3]


def test_local_paths_in_requirements(tmp_path: Path) -> None:
    text = "numpy\n-e .\n../mine\n/opt/wheels/x.whl\nfile:///tmp/y\nrequests  # ok\n"
    checks = found(tmp_path, {"requirements.txt": text})
    assert [(c[0], c[2]) for c in checks] == [
        ("warning", 2),
        ("error", 3),
        ("error", 4),
        ("error", 5),
    ]


def test_a_post_build_that_is_not_executable(tmp_path: Path) -> None:
    files = {"requirements.txt": "numpy\n", "postBuild": "#!/bin/sh\necho hi\n"}
    checks = found(tmp_path, files)
    assert [(c[0], c[1]) for c in checks] == [("warning", "postBuild")]
    (tmp_path / "repo" / "postBuild").chmod(0o755)
    repo = tmp_path / "repo"
    assert run_checks(repo, detect_build(repo)) == []


def test_shadowed_files_are_said(tmp_path: Path) -> None:
    checks = found(
        tmp_path,
        {"binder/environment.yml": "dependencies:\n  - numpy\n", "requirements.txt": "x\n"},
    )
    assert [(c[0], c[1]) for c in checks] == [("warning", "requirements.txt")]
    assert "binder/ folder" in checks[0][3]
