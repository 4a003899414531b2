"""``GET work`` and ``POST work/save`` in the core, over real git, a real volume folder and
a real OpenSSH server on loopback standing in for github.com."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from fixtures.gitrepo import Clone, git
from fixtures.launch_env import BINDER_ENV
from work_project import Project, make_project

from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.state import ExtensionState
from jupyter_binder_ext.work.text import describe_save, describe_work


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def edit_everything(project: Project) -> None:
    """A modified, a deleted and an ignored file, an untracked folder, an unpushed commit, a
    file outside the repository and a hidden one."""
    repo = project.repo
    write(repo / ".gitignore", "*.log\n")
    project.git("add", ".gitignore")
    project.git("commit", "-q", "-m", "ignore logs")  # committed, not pushed
    write(repo / "README.md", "# sample, edited\n")
    (repo / "notebook.ipynb").unlink()
    write(repo / "results" / "a.csv", "1,2\n")
    write(repo / "results" / "deep" / "b.csv", "3,4,5\n")
    write(repo / "run.log", "noise\n")
    write(project.home / "data" / "x.csv", "outside\n")
    write(project.home / ".cache" / "pip" / "y", "hidden\n")


async def test_get_lists_what_deletion_would_lose(project: Project) -> None:
    edit_everything(project)
    data = await project.state().work()

    assert data["repository"] == str(project.repo)
    assert data["branch"] == "main"
    assert data["changed"] == [
        {"path": "README.md", "status": "modified", "size": 17, "on_volume": "absent"},
        {"path": "notebook.ipynb", "status": "deleted", "size": None, "on_volume": "absent"},
        {"path": "results/a.csv", "status": "untracked", "size": 4, "on_volume": "absent"},
        {"path": "results/deep/b.csv", "status": "untracked", "size": 6, "on_volume": "absent"},
    ]
    assert data["changed_total"] == 4 and data["truncated"] is False
    assert data["unpushed"] == {
        "count": 1,
        "branch": "main",
        "remote": "origin",
        "compared_with": "origin/main",
        "url": project.bare.as_uri(),
        "other_branches": [],
        "stashes": 0,
    }
    assert [f["path"] for f in data["outside"]["files"]] == ["data/x.csv"]
    assert data["outside"]["root"] == str(project.home)
    assert data["volume"]["folder"] == str(project.instance)
    assert data["volume"]["exists"] is False
    assert data["at_risk"] is True
    assert data["unsaved_files"] == 5
    assert data["deletion"]["known"] is False
    assert "hub" in data["deletion"]["message"].lower()
    assert data["message"] == (
        "Idle deletion would lose 4 changed files, 1 unpushed commit, "
        "1 file outside the repository."
    )
    text = describe_work(data)
    assert "Unpushed commits: 1 on main (not on origin/main)" in text
    assert "results/deep/b.csv" in text and "run.log" not in text


async def test_nothing_at_risk_in_a_clean_clone(project: Project) -> None:
    data = await project.state().work()
    assert data["changed"] == [] and data["unpushed"]["count"] == 0
    assert data["at_risk"] is False
    assert data["message"].startswith("Nothing here would be lost")


async def test_save_to_the_volume_keeps_paths_and_never_replaces_a_different_file(
    project: Project,
) -> None:
    edit_everything(project)
    state = project.state()
    answer = await state.save_work("persistent")

    instance = project.instance
    assert answer["folder"] == str(instance)
    assert answer["created_folder"] is True
    assert [c["path"] for c in answer["copied"]] == [
        "README.md",
        "results/a.csv",
        "results/deep/b.csv",
        "data/x.csv",
    ]
    assert answer["skipped"] == []
    # Relative paths kept: the repository's files under its folder name, as in the home.
    assert (instance / "proj" / "results" / "deep" / "b.csv").read_text() == "3,4,5\n"
    assert (instance / "proj" / "README.md").read_text() == "# sample, edited\n"
    assert (instance / "data" / "x.csv").read_text() == "outside\n"
    assert not (instance / "proj" / "run.log").exists()  # ignored by git: not "work"
    after = await state.work()
    assert {e["on_volume"] for e in after["changed"] if e["size"] is not None} == {"same"}
    assert after["volume"]["saved"] == 4
    assert after["message"] == "Idle deletion would lose 1 changed file, 1 unpushed commit."

    # The file changes here, and the volume holds an older copy: kept unless overwrite.
    write(project.repo / "results" / "a.csv", "1,2,changed\n")
    again = await state.save_work("persistent")
    assert again["copied"] == []
    skipped = {s["path"]: s["reason"] for s in again["skipped"]}
    assert skipped["results/a.csv"] == "differs"
    assert skipped["README.md"] == "same"
    assert (instance / "proj" / "results" / "a.csv").read_text() == "1,2\n"
    assert "save with overwrite to replace" in again["message"]
    forced = await state.save_work("persistent", ["results/a.csv"], overwrite=True)
    assert forced["copied"] == [{"path": "results/a.csv", "size": 12}]
    assert (instance / "proj" / "results" / "a.csv").read_text() == "1,2,changed\n"
    assert "copied   results/a.csv" in describe_save(forced)


@pytest.mark.parametrize(
    ("to", "paths", "overwrite", "message", "words"),
    [
        ("disk", None, False, None, 'to must be "persistent" or "github"'),
        ("persistent", "a.csv", False, None, "paths must be a list"),
        ("persistent", ["../etc/passwd"], False, None, "not a relative path"),
        ("persistent", ["/etc/passwd"], False, None, "not a relative path"),
        ("persistent", ["nope.txt"], False, None, "Nothing was copied"),
        ("persistent", None, "yes", None, "overwrite must be true or false"),
        ("persistent", None, False, "msg", "message is for saving to github"),
        ("github", None, True, None, "a push never overwrites"),
        ("github", ["../x"], False, "m", "not a relative path"),
        ("github", ["README.md"], False, None, "give a commit message too"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    project: Project, to: str, paths: object, overwrite: object, message: object, words: str
) -> None:
    edit_everything(project)
    head = project.git("rev-parse", "HEAD")
    with pytest.raises(InvalidInput) as caught:
        await project.state().save_work(to, paths, overwrite=overwrite, message=message)
    assert words in caught.value.message
    assert caught.value.status == 400
    assert not project.instance.exists()
    assert project.git("rev-parse", "HEAD") == head


async def test_an_outside_file_cannot_be_committed(project: Project) -> None:
    edit_everything(project)
    with pytest.raises(InvalidInput) as caught:
        await project.state().save_work("github", ["data/x.csv"], message="m")
    assert "outside the repository" in caught.value.message


async def test_concurrent_reads_share_one_scan(project: Project) -> None:
    state = project.state()
    first, second, third = await asyncio.gather(state.work(), state.work(), state.work())
    assert state.work_service.scans_run == 1
    assert first["changed"] == second["changed"] == third["changed"]
    await state.save_work("persistent")  # a save forgets the cached scan
    await state.work()
    assert state.work_service.scans_run == 2


async def test_a_file_on_the_way_is_reported_not_replaced(project: Project) -> None:
    write(project.repo / "results" / "a.csv", "1\n")
    state = project.state()
    await state.save_work("persistent")  # makes this instance's folder
    saved = project.instance / "proj" / "results"
    (saved / "a.csv").unlink()
    saved.rmdir()
    write(saved, "a file where the folder was\n")
    answer = await state.save_work("persistent")
    assert answer["copied"] == []
    assert answer["skipped"][0]["path"] == "results/a.csv"
    assert answer["skipped"][0]["reason"] == "blocked"
    assert saved.read_text() == "a file where the folder was\n"


# -- to GitHub, over ssh ---------------------------------------------------------------------


def ssh_project(tmp_path: Path, clone: Clone) -> Project:
    """The Binder case: the repository is the server's home folder."""
    return make_project(tmp_path, clone.work, clone.work, clone.bare)


async def test_save_to_github_commits_the_files_and_pushes_over_ssh(
    ssh_origin: Clone, tmp_path: Path, ssh_keypair: tuple[Path, Path]
) -> None:
    project = ssh_project(tmp_path, ssh_origin)
    write(project.repo / "README.md", "# edited\n")
    write(project.repo / "results" / "a.csv", "1,2\n")
    state = project.state()
    before = await state.work()
    assert before["outside"]["note"].startswith("The server's folder is the repository")

    answer = await state.save_work("github", message="Keep my results")

    head = ssh_origin.head()
    assert git(ssh_origin.bare, "rev-parse", "main") == head
    assert answer["ok"] is True
    assert answer["commit"] is not None
    assert answer["commit"]["sha"] == head
    assert sorted(answer["commit"]["files"]) == ["README.md", "results/a.csv"]
    assert answer["push"] is not None and answer["push"]["ok"] is True
    assert answer["push"]["url"] == "root@github.com:o/r.git"
    assert answer["new_branch"] is None
    assert answer["left_uncommitted"] == []
    assert answer["message"] == (
        f"Committed 2 files as {head[:12]}. Pushed 1 commit to main on origin."
    )
    after = await state.work()
    assert after["changed"] == [] and after["unpushed"]["count"] == 0
    assert after["at_risk"] is False
    private = ssh_keypair[0].read_text()
    body = "\n".join(line for line in private.splitlines() if "-----" not in line)
    assert body[:40] not in json.dumps(answer)


async def test_a_branch_that_moved_on_gets_a_new_branch_never_a_force(
    ssh_origin: Clone, tmp_path: Path
) -> None:
    project = ssh_project(tmp_path, ssh_origin)
    # Someone else pushes to main meanwhile.
    other = tmp_path / "other"
    subprocess.run(
        ["git", "clone", "-q", str(ssh_origin.bare), str(other)], check=True, capture_output=True
    )
    write(other / "theirs.txt", "theirs\n")
    git(other, "add", "theirs.txt")
    git(other, "commit", "-q", "-m", "theirs")
    git(other, "push", "-q", "origin", "main")
    theirs = git(other, "rev-parse", "HEAD")
    write(project.repo / "mine.txt", "mine\n")

    answer = await project.state().save_work("github", ["mine.txt"], message="Mine")

    assert answer["push"] is not None and answer["push"]["ok"] is False
    assert answer["push"]["reason"] == "rejected"
    assert answer["new_branch"] is not None and answer["new_branch"]["ok"] is True
    branch = answer["new_branch"]["branch"]
    assert branch.startswith("main-binder-")
    assert git(ssh_origin.bare, "rev-parse", "main") == theirs  # not forced
    assert git(ssh_origin.bare, "rev-parse", branch) == ssh_origin.head()
    assert answer["ok"] is True
    assert f"pushed to the new branch {branch}" in answer["message"]


async def test_without_a_message_only_commits_are_pushed(ssh_origin: Clone, tmp_path: Path) -> None:
    project = ssh_project(tmp_path, ssh_origin)
    committed = ssh_origin.commit_file("done.txt", "done\n", "done")
    write(project.repo / "draft.txt", "draft\n")

    answer = await project.state().save_work("github")

    assert answer["commit"] is None
    assert git(ssh_origin.bare, "rev-parse", "main") == committed
    assert answer["left_uncommitted"] == ["draft.txt"]
    assert answer["message"] == (
        "Pushed 1 commit to main on origin. 1 changed file not committed (give a commit "
        "message to commit them, or save them to the volume)."
    )
    again = await project.state().save_work("github")
    assert again["push"] is None
    assert again["message"].startswith("Nothing to push: every commit is already on origin/main.")


async def test_a_refused_key_is_said_and_the_commit_kept(
    ssh_origin: Clone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sshd_server: object
) -> None:
    from fixtures.sshd import make_keypair

    project = ssh_project(tmp_path, ssh_origin)
    stranger, _public = make_keypair(tmp_path / "stranger")
    monkeypatch.setenv("GIT_SSH_COMMAND", sshd_server.git_ssh_command(stranger))  # type: ignore[attr-defined]
    write(project.repo / "mine.txt", "mine\n")
    answer = await project.state().save_work("github", message="Mine")
    assert answer["ok"] is False
    assert answer["push"] is not None and answer["push"]["reason"] == "permission"
    assert answer["commit"] is not None and answer["commit"]["sha"] == ssh_origin.head()
    assert answer["message"].startswith(f"Committed 1 file as {ssh_origin.head()[:12]}.")


def test_the_reminder_marks_running_projects_near_deletion() -> None:
    from jupyter_binder_ext.work.service import WorkService

    others = [
        {
            "name": "a-b-1",
            "display_name": "a/b",
            "stopped": False,
            "expires_in": 3600.0,
            "expires_at": "2026-12-01T05:00:00Z",
        },
        {
            "name": "c-d-2",
            "display_name": "c/d",
            "stopped": False,
            "expires_in": 5 * 86400.0,
            "expires_at": "2026-12-06T05:00:00Z",
        },
        {
            "name": "e-f-3",
            "display_name": "e/f",
            "stopped": True,
            "expires_in": None,
            "expires_at": None,
        },
    ]
    reminder = WorkService._reminder({"at_risk": True}, others, 2)
    assert reminder["notify"] is True
    assert [p["name"] for p in reminder["projects"]] == ["a-b-1"]
    assert reminder["projects"][0]["mark"] == "deleted in 60 min if left idle: save its work"
    assert reminder["message"].startswith("a/b is within 2 days of deletion")
    # Nothing unsaved here: the mark stays, the notification does not come.
    quiet = WorkService._reminder({"at_risk": False}, others, 7)
    assert quiet["notify"] is False
    assert [p["name"] for p in quiet["projects"]] == ["a-b-1", "c-d-2"]


async def test_a_repository_outside_the_home_folder_is_not_a_reason_to_scan_it(
    project: Project, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere-home"
    write(elsewhere / "private.txt", "not the project's\n")
    state = ExtensionState(project.site, env={**BINDER_ENV, "HOME": str(elsewhere)})
    data = await state.work()
    assert data["outside"]["files"] == []
    assert data["outside"]["note"].startswith("The repository is not in your home folder")


async def test_without_git_every_file_of_the_server_folder_is_at_risk(
    project: Project,
) -> None:
    import shutil

    shutil.rmtree(project.repo / ".git")
    state = project.state()
    data = await state.work()
    assert data["repository"] is None
    assert [f["path"] for f in data["outside"]["files"]] == ["README.md", "notebook.ipynb"]
    assert data["warnings"] == [
        f"{project.repo} is not in a git repository: git has no changes to list."
    ]
    saved = await state.save_work("persistent")
    assert [c["path"] for c in saved["copied"]] == ["README.md", "notebook.ipynb"]
    assert (project.instance / "notebook.ipynb").read_text() == "{}\n"


async def test_renamed_and_staged_files_and_a_detached_head(project: Project) -> None:
    project.git("mv", "README.md", "docs.md")
    write(project.repo / "staged.txt", "staged\n")
    project.git("add", "staged.txt")
    data = await project.state().work()
    assert [(e["path"], e["status"]) for e in data["changed"]] == [
        ("docs.md", "renamed"),
        ("staged.txt", "added"),
    ]
    project.git("commit", "-q", "-m", "rename")
    project.git("checkout", "-q", "--detach")
    detached = await project.state().work()
    assert detached["branch"] is None
    # repo2docker leaves a detached HEAD: the commits belong to the launched branch.
    assert detached["unpushed"]["count"] == 1
    assert detached["unpushed"]["branch"] == "main"
    assert detached["unpushed"]["compared_with"] == "origin/main"


async def test_a_link_and_a_fifo_are_skipped_and_said(project: Project) -> None:
    import os

    (project.repo / "link.txt").symlink_to("/etc/hostname")
    os.mkfifo(project.repo / "pipe")
    write(project.repo / "real.txt", "real\n")
    state = project.state()
    answer = await state.save_work("persistent")
    assert answer["copied"] == [{"path": "real.txt", "size": 5}]
    assert answer["skipped"] == [
        {
            "path": "link.txt",
            "reason": "not_a_file",
            "message": "It is a link; the file it points to is not copied.",
        },
    ]
    # git lists no FIFO: nothing to lose there, nothing read from it.
    assert "pipe" not in [e["path"] for e in (await state.work())["changed"]]
    assert not os.path.lexists(project.instance / "proj" / "link.txt")
    # Asked for by name, a link out of the repository is refused outright.
    with pytest.raises(InvalidInput):
        await state.save_work("persistent", ["link.txt"])


async def test_a_token_in_the_remote_url_is_never_shown(project: Project) -> None:
    secret = "ghp_" + "x1" * 18
    project.git("remote", "set-url", "--push", "origin", f"https://me:{secret}@github.com/o/r")
    project.git("commit", "-q", "--allow-empty", "-m", "unpushed")
    data = await project.state().work()
    assert data["unpushed"]["count"] == 1
    assert data["unpushed"]["url"].startswith("https://")
    assert secret not in json.dumps(data)
    assert secret not in describe_work(data)
