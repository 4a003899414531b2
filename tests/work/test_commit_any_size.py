"""Commits at any size and name, and what git cannot commit file by file said one by one:
60,000 new files (past the argument list's limit), a name that is not UTF-8, a repository of
its own inside the project and a modified submodule. Real git, a real bare remote."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fixtures.gitrepo import git
from work_project import Project


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def remote_tree(project: Project, *args: str) -> list[str]:
    return git(project.bare, "ls-tree", "-r", *args, "main").splitlines()


async def test_sixty_thousand_new_files_are_committed_and_pushed(project: Project) -> None:
    # ~50 bytes a name: together far past Linux's 2 MB for one command line.
    folder = project.repo / "results" / "run-2026-12-01-experiment-alpha"
    folder.mkdir(parents=True)
    count = 60_000
    for index in range(count):
        (folder / f"sample-{index:06}.csv").write_bytes(b"")
    (folder / "sample-000000.csv").write_text("first\n")

    answer = await project.state().save_work("github", message="All the samples")

    assert answer["ok"] is True, answer["message"]
    assert answer["commit"] is not None and len(answer["commit"]["files"]) == count
    assert len(remote_tree(project, "--name-only")) == count + 2  # README.md, notebook.ipynb
    assert project.git("status", "--porcelain") == ""


async def test_a_name_that_is_not_utf8_is_said_and_the_rest_is_committed(
    project: Project,
) -> None:
    write(project.repo / "fine.txt", "ok\n")
    # A Latin-1 name: its bytes are no UTF-8 (Python holds them as surrogates).
    Path(os.fsdecode(os.fsencode(project.repo) + b"/caf\xe9.txt")).write_bytes(b"latin-1\n")

    pushed = await project.state().save_work("github", message="Both")

    assert pushed["commit"] is not None and pushed["commit"]["files"] == ["fine.txt"]
    assert pushed["push"] is not None and pushed["push"]["ok"] is True
    assert pushed["ok"] is False  # something asked for was not saved: said, not hidden
    assert [(s["path"], s["reason"]) for s in pushed["skipped"]] == [("caf\ufffd.txt", "bad_name")]
    assert "not valid UTF-8" in pushed["message"]
    assert "fine.txt" in remote_tree(project, "--name-only")

    copied = await project.state().save_work("persistent")
    assert copied["ok"] is False
    assert [(s["path"], s["reason"]) for s in copied["skipped"]] == [("caf\ufffd.txt", "bad_name")]


async def test_a_nested_repository_is_named_never_committed_as_a_gitlink(
    project: Project,
) -> None:
    inner = project.repo / "inner"
    inner.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(inner)], check=True)
    write(inner / "code.py", "print(1)\n")
    git(inner, "add", "code.py")
    git(inner, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "inner")
    write(project.repo / "mine.txt", "mine\n")

    answer = await project.state().save_work("github", message="Save")

    assert answer["commit"] is not None and answer["commit"]["files"] == ["mine.txt"]
    assert [(s["path"], s["reason"]) for s in answer["skipped"]] == [
        ("inner/", "nested_repository")
    ]
    assert answer["ok"] is False
    assert "inner is a git repository of its own" in answer["message"]
    # No gitlink (mode 160000) reached the remote.
    assert not [line for line in remote_tree(project) if line.startswith("160000")]


async def test_a_modified_submodule_is_named_not_committed(
    project: Project, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    subprocess.run(["git", "init", "-q", "-b", "main", str(library)], check=True)
    write(library / "lib.py", "x = 1\n")
    git(library, "add", "lib.py")
    git(library, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "lib")
    project.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", library.as_uri(), "lib"
    )
    project.git("commit", "-q", "-m", "Add the library")
    project.git("push", "-q", "origin", "main")
    pinned = [line for line in remote_tree(project) if line.endswith("\tlib")]
    write(project.repo / "lib" / "lib.py", "x = 2\n")
    git(project.repo / "lib", "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qam", "2")

    answer = await project.state().save_work("github", message="Save")

    assert [(s["path"], s["reason"]) for s in answer["skipped"]] == [("lib", "nested_repository")]
    assert answer["commit"] is None
    assert [line for line in remote_tree(project) if line.endswith("\tlib")] == pinned
