"""Which changes since the running image's commit need a build: real commits in a real clone.

The environment files are repo2docker's own configuration file names at the root or in
``binder/`` / ``.binder/`` (environment/build.py); a change to one of them needs a build and
says so, a change to ``.resources`` alone keeps the start without a rebuild.
"""

from __future__ import annotations

from fixtures.gitrepo import Clone

from jupyter_binder_ext.relaunch.build_needed import ENVIRONMENT_CHANGED, environment_files
from jupyter_binder_ext.relaunch.direct import (
    OTHER_FILES_CHANGED,
    DirectStart,
    NoDirectStart,
    _plan_in_repo,
)

pytest_plugins = ("fixtures.gitrepo",)
IMAGE = "registry.example.org/binder-o-r:"


def commit(origin: Clone, files: dict[str, str], message: str) -> str:
    for relative, text in files.items():
        path = origin.work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        origin.git("add", "--", relative)
    origin.git("commit", "-q", "-m", message)
    return str(origin.head())


def plan(origin: Clone, old: str, new: str) -> DirectStart | NoDirectStart:
    resources = origin.work / ".resources"
    return _plan_in_repo(origin.work, resources, IMAGE + old, old, new, "main")


def test_the_environment_files_are_repo2dockers_in_its_folders() -> None:
    changed = [
        "requirements.txt",
        "binder/postBuild",
        ".binder/environment.yml",
        "docs/requirements.txt",  # not where repo2docker looks
        "binder/notes/apt.txt",
        "README.md",
        ".resources",
    ]
    assert environment_files(changed) == [
        "requirements.txt",
        "binder/postBuild",
        ".binder/environment.yml",
    ]


def test_resources_only_keeps_the_start_without_a_rebuild(origin: Clone) -> None:
    old = commit(origin, {"requirements.txt": "numpy\n"}, "environment")
    new = commit(origin, {".resources": "meml=2\n"}, "resources")

    result = plan(origin, old, new)

    assert isinstance(result, DirectStart)
    assert result.image_commit == old


def test_a_changed_environment_file_needs_a_build_and_says_which(origin: Clone) -> None:
    old = commit(origin, {"requirements.txt": "numpy\n"}, "environment")
    commit(origin, {"requirements.txt": "numpy\ntinypkg==1.0\n", "README.md": "x\n"}, "pin")
    new = commit(origin, {".resources": "meml=2\n", "binder/postBuild": "echo hi\n"}, "more")

    result = plan(origin, old, new)

    assert result == NoDirectStart(
        ENVIRONMENT_CHANGED,
        "the environment files repo2docker reads changed since the running image's commit "
        f"{old[:12]} (binder/postBuild, requirements.txt), so BinderHub must build a new "
        "image with them",
        ("binder/postBuild", "requirements.txt"),
    )


def test_other_files_still_need_a_build_without_naming_environment_files(
    origin: Clone,
) -> None:
    old = commit(origin, {"requirements.txt": "numpy\n"}, "environment")
    new = commit(origin, {"docs/requirements.txt": "sphinx\n", ".resources": "meml=2\n"}, "docs")

    result = plan(origin, old, new)

    assert isinstance(result, NoDirectStart)
    assert result.code == OTHER_FILES_CHANGED
    assert result.environment_files == ()
    assert "docs/requirements.txt" in result.reason
