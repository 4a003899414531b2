"""repo2docker's real detection (jupyter-repo2docker as a library) over the layouts of the
binder-examples repositories, written as files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_layout

from jupyter_binder_ext.environment.build import detect_build, fingerprint

ENVIRONMENT = "name: example\ndependencies:\n  - python=3.10\n  - numpy\n"
PIP_IN_CONDA = "dependencies:\n  - python=3.11\n  - pip\n  - pip:\n    - requests==2.31.0\n"

# layout, build pack, config folder, files used, files ignored, python
LAYOUTS = [
    ({"requirements.txt": "numpy\n"}, "PythonBuildPack", "", ["requirements.txt"], [], "3.10"),
    ({"environment.yml": ENVIRONMENT}, "CondaBuildPack", "", ["environment.yml"], [], "3.10"),
    (
        {"environment.yml": PIP_IN_CONDA, "requirements.txt": "numpy\n"},
        "CondaBuildPack",
        "",
        ["environment.yml"],
        ["requirements.txt"],
        "3.11",
    ),
    (
        {"Pipfile": '[packages]\nnumpy = "*"\n\n[requires]\npython_version = "3.11"\n'},
        "PipfileBuildPack",
        "",
        ["Pipfile"],
        [],
        "3.11",
    ),
    (
        {"runtime.txt": "python-3.12\n", "requirements.txt": "numpy\n"},
        "PythonBuildPack",
        "",
        ["requirements.txt", "runtime.txt"],
        [],
        "3.12",
    ),
    (
        {"binder/requirements.txt": "numpy\n", "environment.yml": ENVIRONMENT, "apt.txt": "git\n"},
        "PythonBuildPack",
        "binder",
        ["binder/requirements.txt"],
        ["apt.txt", "environment.yml"],
        "3.10",
    ),
    (
        {
            "Dockerfile": "FROM quay.io/jupyter/base-notebook\n",
            "requirements.txt": "numpy\n",
            "postBuild": "#!/bin/sh\n",
        },
        "DockerBuildPack",
        "",
        ["Dockerfile"],
        ["postBuild", "requirements.txt"],
        None,
    ),
    (
        {"Project.toml": '[deps]\nPlots = "91a5bcdd-55d7-5caf-9e0b-520d859cae80"\n'},
        "JuliaProjectTomlBuildPack",
        "",
        ["Project.toml"],
        [],
        None,
    ),
    (
        {"runtime.txt": "r-4.3-2024-01-10\n", "install.R": 'install.packages("ggplot2")\n'},
        "RBuildPack",
        "",
        ["install.R", "runtime.txt"],
        [],
        None,
    ),
    (
        {"requirements.txt": "numpy\n", "postBuild": "#!/bin/sh\n", "apt.txt": "git\n"},
        "PythonBuildPack",
        "",
        ["apt.txt", "postBuild", "requirements.txt"],
        [],
        "3.10",
    ),
]


@pytest.mark.parametrize(("files", "name", "config_dir", "used", "ignored", "python"), LAYOUTS)
def test_repo2docker_decides(
    tmp_path: Path,
    files: dict[str, str],
    name: str,
    config_dir: str,
    used: list[str],
    ignored: list[str],
    python: str | None,
) -> None:
    build = detect_build(write_layout(tmp_path / "repo", files))
    assert build["available"], build["message"]
    assert build["name"] == name
    assert build["config_dir"] == config_dir
    assert [f for f in build["files_used"] if f in files] == used
    assert sorted(i["path"] for i in build["files_ignored"]) == ignored
    assert all(i["why"] for i in build["files_ignored"])
    if python is not None:
        assert build["python"] == python


def test_why_a_file_is_ignored_names_the_rule(tmp_path: Path) -> None:
    repo = write_layout(
        tmp_path / "repo", {"environment.yml": PIP_IN_CONDA, "requirements.txt": "numpy\n"}
    )
    (why,) = [i["why"] for i in detect_build(repo)["files_ignored"]]
    assert "pip: list" in why
    docker = write_layout(
        tmp_path / "docker", {"Dockerfile": "FROM x\n", "environment.yml": ENVIRONMENT}
    )
    assert "ignore every other file" in detect_build(docker)["files_ignored"][0]["why"]
    binder = write_layout(tmp_path / "binder", {"binder/apt.txt": "git\n", "setup.py": ""})
    assert "binder/ folder exists" in detect_build(binder)["files_ignored"][0]["why"]


def test_binder_and_dotbinder_together_is_repo2docker_s_own_refusal(tmp_path: Path) -> None:
    repo = write_layout(tmp_path / "repo", {"binder/apt.txt": "git\n", ".binder/apt.txt": "git\n"})
    build = detect_build(repo)
    assert build["available"] is False
    assert "both a 'binder' and a '.binder'" in build["message"]
    assert build["repo2docker_version"]


def test_no_file_means_the_default_build_and_where_packages_would_go(tmp_path: Path) -> None:
    build = detect_build(write_layout(tmp_path / "repo", {"README.md": "hi\n"}))
    assert build["name"] == "PythonBuildPack"
    assert build["files_used"] == []
    assert "requirements.txt" in build["would_read"]


def test_a_repository_python_file_cannot_stand_in_for_a_module(tmp_path: Path) -> None:
    # The child imports from the server's environment, never from the repository.
    repo = write_layout(
        tmp_path / "repo", {"requirements.txt": "numpy\n", "json.py": "raise SystemExit(3)\n"}
    )
    assert detect_build(repo)["name"] == "PythonBuildPack"


def test_the_dockerfile_is_rendered_on_request(tmp_path: Path) -> None:
    repo = write_layout(tmp_path / "repo", {"environment.yml": ENVIRONMENT})
    assert detect_build(repo)["dockerfile"] is None
    rendered = detect_build(repo, dockerfile=True)["dockerfile"]
    assert rendered is not None and rendered.lstrip().startswith("FROM ")
    assert "environment.yml" in rendered


def test_the_fingerprint_changes_with_the_files_detection_reads(tmp_path: Path) -> None:
    repo = write_layout(tmp_path / "repo", {"requirements.txt": "numpy\n"})
    before = fingerprint(repo)
    assert fingerprint(repo) == before
    write_layout(repo, {"binder/environment.yml": ENVIRONMENT})
    assert fingerprint(repo) != before
