"""Keeping packages installed since launch: the file repo2docker reads gets them pinned, with
the rest of the file as it was (a real round trip of environment.yml with comments)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_layout

from jupyter_binder_ext.environment.build import detect_build
from jupyter_binder_ext.environment.installed import Installed
from jupyter_binder_ext.environment.keep import check_request, choose, keep
from jupyter_binder_ext.errors import Conflict, InvalidInput

ENVIRONMENT = """\
# The analysis environment (keep this comment)
name: analysis
channels:
  - conda-forge   # the only channel
dependencies:
  - python=3.11
  # plotting
  - matplotlib
  - pip
  - pip:
    - requests==2.31.0  # HTTP
"""


def package(name: str, version: str, manager: str = "pip", source: str = "index") -> Installed:
    return Installed(name, version, manager, source, None, 0.0, "/site")  # type: ignore[arg-type]


def test_environment_yml_keeps_its_comments_order_and_layout(tmp_path: Path) -> None:
    repo = write_layout(tmp_path / "repo", {"environment.yml": ENVIRONMENT})
    kept = keep(
        repo,
        detect_build(repo),
        [package("tinypkg", "1.0"), package("scipy", "1.11.4", "conda")],
        "auto",
    )
    assert kept["file"] == "environment.yml"
    assert kept["added"] == ["tinypkg==1.0", "scipy=1.11.4"]
    # Only the two new lines differ; the comments, quotes-free style and the pip: list's
    # own indentation (another offset than the dependencies', as conda env export writes) stay.
    assert (repo / "environment.yml").read_text() == ENVIRONMENT.replace(
        "  - pip\n", "  - pip\n  - scipy=1.11.4\n"
    ).replace("# HTTP\n", "# HTTP\n    - tinypkg==1.0\n")
    assert "+    - tinypkg==1.0" in kept["diff"] and "+  - scipy=1.11.4" in kept["diff"]


def test_keeping_twice_changes_nothing_and_a_new_version_updates_in_place(tmp_path: Path) -> None:
    repo = write_layout(tmp_path / "repo", {"environment.yml": ENVIRONMENT})
    build = detect_build(repo)
    kept = keep(repo, build, [package("requests", "2.31.0")], "auto")
    assert kept["unchanged"] == ["requests==2.31.0"] and kept["diff"] == ""
    assert (repo / "environment.yml").read_text() == ENVIRONMENT
    kept = keep(repo, build, [package("requests", "2.32.3")], "auto")
    assert kept["updated"] == ["requests==2.32.3"]
    assert (repo / "environment.yml").read_text() == ENVIRONMENT.replace("2.31.0", "2.32.3")


def test_a_conda_file_without_a_pip_list_gets_one_with_pip(tmp_path: Path) -> None:
    repo = write_layout(tmp_path / "repo", {"environment.yml": "dependencies:\n- numpy\n"})
    keep(repo, detect_build(repo), [package("tinypkg", "1.0")], "auto")
    assert (repo / "environment.yml").read_text() == (
        "dependencies:\n- numpy\n- pip\n- pip:\n  - tinypkg==1.0\n"
    )


def test_requirements_are_appended_or_updated_line_by_line(tmp_path: Path) -> None:
    text = "# pinned for the paper\nnumpy==1.26.0  # keep\npandas"
    repo = write_layout(tmp_path / "repo", {"requirements.txt": text})
    kept = keep(
        repo, detect_build(repo), [package("numpy", "1.26.4"), package("tinypkg", "1.0")], "auto"
    )
    assert (repo / "requirements.txt").read_text() == (
        "# pinned for the paper\nnumpy==1.26.4  # keep\npandas\ntinypkg==1.0\n"
    )
    assert kept["updated"] == ["numpy==1.26.4"] and kept["added"] == ["tinypkg==1.0"]


def test_the_file_is_created_where_repo2docker_reads(tmp_path: Path) -> None:
    repo = write_layout(tmp_path / "repo", {"binder/postBuild": "#!/bin/sh\n", "README.md": ""})
    kept = keep(repo, detect_build(repo), [package("tinypkg", "1.0")], "auto")
    assert kept["file"] == "binder/requirements.txt" and kept["created"] is True
    assert (repo / "binder" / "requirements.txt").read_text() == "tinypkg==1.0\n"
    assert not (repo / "requirements.txt").exists()


def test_a_dockerfile_is_never_edited(tmp_path: Path) -> None:
    dockerfile = "FROM quay.io/jupyter/base-notebook\n"
    repo = write_layout(tmp_path / "repo", {"Dockerfile": dockerfile})
    with pytest.raises(Conflict) as caught:
        keep(repo, detect_build(repo), [package("tinypkg", "1.0")], "auto")
    assert caught.value.details["line"] == "RUN pip install --no-cache-dir tinypkg==1.0"
    assert (repo / "Dockerfile").read_text() == dockerfile
    assert sorted(p.name for p in repo.iterdir()) == ["Dockerfile"]


def test_a_local_install_is_refused_with_the_reason() -> None:
    local = Installed("mine", "0.1", "pip", "local", "/home/jovyan/mine", 0.0, "/site")
    with pytest.raises(InvalidInput, match="local folder"):
        choose(["mine"], [local])
    with pytest.raises(InvalidInput, match="not installed since this server started"):
        choose(["numpy"], [local])


def test_a_url_install_is_pinned_to_its_url(tmp_path: Path) -> None:
    url = "git+https://github.com/o/r@0123abc"
    pkg = Installed("r", "0.1", "pip", "url", url, 0.0, "/site")
    repo = write_layout(tmp_path / "repo", {"requirements.txt": ""})
    keep(repo, detect_build(repo), choose(["R"], [pkg]), "auto")
    assert (repo / "requirements.txt").read_text() == f"r @ {url}\n"


@pytest.mark.parametrize(
    ("packages", "file", "words"),
    [
        (None, "auto", "non-empty list"),
        ([], "auto", "non-empty list"),
        (["ok", 3], "auto", "not a package name"),
        (["ok"], "Dockerfile", "file must be one of"),
    ],
)
def test_bad_requests_are_refused(packages: object, file: object, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        check_request(packages, file)


def test_a_file_repo2docker_does_not_read_is_refused(tmp_path: Path) -> None:
    repo = write_layout(tmp_path / "repo", {"environment.yml": ENVIRONMENT})
    with pytest.raises(Conflict, match=r"reads environment\.yml"):
        keep(repo, detect_build(repo), [package("tinypkg", "1.0")], "requirements.txt")
    assert not (repo / "requirements.txt").exists()
