"""``POST work/save`` at its edges, in the core, over real git and a real volume folder: odd
file names, hostile text, a commit git refuses, more files than the panel lists, saves at
the same time, and how a copy on the volume is recognised."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from work_project import Project

from jupyter_binder_ext.common.git_runner import GitFailed
from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.work.changes import MAX_CHANGED, OUTSIDE_LIMIT
from jupyter_binder_ext.work.save_persistent import save_to_persistent


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def staged(project: Project) -> list[str]:
    out = project.git("diff", "--cached", "--name-only", "-z")
    return sorted(name for name in out.split("\0") if name)


async def test_names_with_spaces_and_accents_are_committed_as_they_are(
    project: Project,
) -> None:
    write(project.repo / "g h.txt", "space\n")
    write(project.repo / "é.txt", "accent\n")
    answer = await project.state().save_work("github", message="Odd names")
    assert answer["commit"] is not None
    assert sorted(answer["commit"]["files"]) == ["g h.txt", "é.txt"]
    assert answer["left_uncommitted"] == []
    assert answer["message"].startswith("Committed 2 files as ")
    assert "not committed" not in answer["message"]
    tree = project.git("ls-tree", "-z", "--name-only", "HEAD").split("\0")
    assert {"g h.txt", "é.txt"} <= set(tree)


@pytest.mark.parametrize(
    ("paths", "message", "words"),
    [
        (None, "keep\0this", "message holds a NUL character"),
        (None, "keep \ud800 this", "message holds invalid Unicode"),
        (None, "m" * 10_001, "at most 10000 are accepted"),
        (["results/\ud800.csv"], "m", "paths[0] holds invalid Unicode"),
        (["ok.csv", "a\0b"], "m", "paths[1] holds a NUL character"),
        (["x" * 5000], "m", "at most 4096 are accepted"),
    ],
)
async def test_hostile_text_is_refused_before_anything_is_staged(
    project: Project, paths: list[str] | None, message: str, words: str
) -> None:
    write(project.repo / "results" / "a.csv", "1,2\n")
    head = project.git("rev-parse", "HEAD")
    with pytest.raises(InvalidInput) as caught:
        await project.state().save_work("github", paths, message=message)
    assert words in caught.value.message
    assert caught.value.status == 400
    # The refusal never quotes what cannot be encoded.
    caught.value.message.encode("utf-8")
    assert staged(project) == []
    assert project.git("rev-parse", "HEAD") == head


async def test_a_failed_commit_puts_the_index_back(project: Project, tmp_path: Path) -> None:
    # The branch is locked (another git is updating it): the commit cannot move it. (A
    # failing signer no longer serves: the repository's signing settings are not obeyed.)
    branch = project.git("symbolic-ref", "--short", "HEAD").strip()
    (project.repo / ".git" / "refs" / "heads" / f"{branch}.lock").write_text("")
    write(project.repo / "mine.txt", "staged by me\n")
    project.git("add", "mine.txt")
    write(project.repo / "results" / "a.csv", "1,2\n")
    write(project.repo / "README.md", "# edited\n")
    head = project.git("rev-parse", "HEAD")

    with pytest.raises(GitFailed) as caught:
        await project.state().save_work("github", message="Keep it")

    assert caught.value.message.startswith("Nothing was committed or pushed: git commit failed")
    assert "The index was put back as it was before the save" in caught.value.message
    assert caught.value.details["staged"] == []
    assert project.git("rev-parse", "HEAD") == head
    # What the user had staged stays staged; nothing the save staged is left staged.
    assert staged(project) == ["mine.txt"]
    assert "?? results/a.csv" in project.git("status", "--porcelain", "--untracked-files=all")


async def test_a_save_acts_on_more_files_than_the_panel_lists(project: Project) -> None:
    inside = MAX_CHANGED + 5
    outside = OUTSIDE_LIMIT + 5
    for index in range(inside):
        write(project.repo / "many" / f"f{index:04}.txt", f"{index}\n")
    for index in range(outside):
        write(project.home / "data" / f"d{index:04}.txt", f"{index}\n")
    state = project.state()
    before = await state.work()
    assert len(before["changed"]) == MAX_CHANGED and before["truncated"] is True
    assert before["outside"]["truncated"] is True
    assert before["message"].startswith(
        f"Idle deletion would lose at least {inside} changed files, {OUTSIDE_LIMIT} files "
        "outside the repository; the scan could not look at every file"
    )

    answer = await state.save_work("persistent")

    assert answer["ok"] is True and answer["not_tried"] == 0
    assert len(answer["copied"]) == inside + outside
    assert (project.instance / "proj" / "many" / f"f{inside - 1:04}.txt").exists()
    assert (project.instance / "data" / f"d{outside - 1:04}.txt").exists()
    after = await state.work()
    assert after["unsaved_files"] == 0
    # Everything listed is saved, but the walk outside stopped early: never "nothing lost".
    assert after["at_risk"] is True
    assert after["incomplete"].startswith("the walk of the folder outside the repository")
    assert after["message"].startswith(
        "Nothing unsaved among the files the scan looked at, but it could not look at all"
    )
    assert "Nothing here would be lost" not in after["message"]


def test_files_past_one_save_are_counted_and_the_next_save_goes_on(project: Project) -> None:
    for name in ("a", "b", "c", "d", "e"):
        write(project.repo / f"{name}.txt", f"{name}\n")
    state = project.state()
    launch = state.launch()
    first = save_to_persistent(project.site, launch, project.home, None, False, max_files=3)
    assert first["ok"] is False
    assert first["not_tried"] == 2
    assert [c["path"] for c in first["copied"]] == ["a.txt", "b.txt", "c.txt"]
    assert "2 more files not tried (at most 3 a save): save again to go on." in first["message"]
    second = save_to_persistent(project.site, launch, project.home, None, False, max_files=5)
    assert second["ok"] is True and second["not_tried"] == 0
    assert [c["path"] for c in second["copied"]] == ["d.txt", "e.txt"]
    assert [s["reason"] for s in second["skipped"]] == ["same"] * 3


async def test_saves_at_the_same_time_do_not_trip_over_each_other(project: Project) -> None:
    state = project.state()
    write(project.repo / "first.txt", "first\n")
    await state.save_work("persistent")  # the instance folder exists from here on
    blob = os.urandom(1024 * 1024)
    for index in range(12):
        (project.repo / f"big{index}.bin").write_bytes(blob * 2)

    answers = await asyncio.gather(*(state.save_work("persistent") for _ in range(6)))

    assert all(answer["ok"] for answer in answers)
    copied = [c["path"] for answer in answers for c in answer["copied"]]
    assert set(copied) == {f"big{index}.bin" for index in range(12)}
    for index in range(12):
        assert (project.instance / "proj" / f"big{index}.bin").read_bytes() == blob * 2
    leftovers = [p.name for p in (project.instance / "proj").iterdir() if "binder-save" in p.name]
    assert leftovers == []


async def test_first_saves_at_the_same_time_agree_on_one_instance_folder(
    project: Project,
) -> None:
    state = project.state()
    write(project.repo / "first.txt", "first\n")

    answers = await asyncio.gather(*(state.save_work("persistent") for _ in range(6)))

    assert {answer["folder"] for answer in answers} == {str(project.instance)}
    assert sum(answer["created_folder"] for answer in answers) == 1
    assert [p.name for p in project.user_volume.iterdir()] == [project.instance.name]


async def test_a_copy_is_known_by_its_size_and_time_not_its_bytes(project: Project) -> None:
    source = write(project.repo / "results.csv", "1,2,3\n")
    state = project.state()
    await state.save_work("persistent")
    copy = project.instance / "proj" / "results.csv"

    async def on_volume() -> str:
        state.work_service.invalidate()  # a fresh scan, not the cached answer
        return str((await state.work())["changed"][0]["on_volume"])

    assert copy.read_text() == "1,2,3\n"
    assert await on_volume() == "same"

    # Same bytes, another modification time: not the copy a save made.
    os.utime(copy, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns - 10**9))
    assert await on_volume() == "differs"

    # Same size and time (as copy2 leaves them): the copy, without reading a byte of it.
    copy.write_text("9,9,9\n")
    times = source.stat()
    os.utime(copy, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert await on_volume() == "same"

    # A volume that keeps whole seconds only still recognises its copies.
    os.utime(copy, ns=(times.st_atime_ns, times.st_mtime_ns - times.st_mtime_ns % 10**9))
    assert await on_volume() == "same"


async def test_a_folder_chosen_in_the_file_browser_is_copied_with_its_paths(
    project: Project, tmp_path: Path
) -> None:
    # What "Copy to persistent storage" sends: paths from the server's folder, files or
    # folders, committed or not.
    write(project.repo / "results" / "a.csv", "1,2\n")
    write(project.repo / "results" / "deep" / "b.csv", "3,4\n")
    (project.repo / "results" / "hostname").symlink_to("/etc/hostname")
    project.git("add", "results/a.csv")
    project.git("commit", "-q", "-m", "a")  # committed files are copied too
    state = project.state()

    answer = await state.save_work("persistent", ["results", "notebook.ipynb"])

    assert answer["ok"] is True
    assert answer["created_link"] == "persistent"
    assert [c["path"] for c in answer["copied"]] == [
        "results/a.csv",
        "results/deep/b.csv",
        "notebook.ipynb",
    ]
    assert answer["skipped"] == [
        {
            "path": "results/hostname",
            "reason": "not_a_file",
            "message": "It is a link; the file it points to is not copied.",
        }
    ]
    assert answer["message"].startswith(
        f"Created {project.instance} and the link persistent to it in your files. Copied 3"
    )
    assert (project.instance / "proj" / "results" / "deep" / "b.csv").read_text() == "3,4\n"
    assert (project.repo / "persistent" / "proj" / "notebook.ipynb").read_text() == "{}\n"
    assert not os.path.lexists(project.instance / "proj" / "results" / "hostname")
    # The link stays out of git's list of changes.
    assert "persistent" not in project.git("status", "--porcelain")

    # Links out of the folder, and the volume itself, are refused before anything is copied.
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "secret.txt", "not the project's\n")
    (project.repo / "out").symlink_to(elsewhere)
    refused = (["out"], ["out/secret.txt"], ["persistent"], ["persistent/proj"], [".git"])
    for paths in refused:
        with pytest.raises(InvalidInput) as caught:
            await state.save_work("persistent", paths)
        assert "link out of the project's folder, git's own folder, or on the persistent" in (
            caught.value.message
        )
    assert not (project.instance / "proj" / ".git").exists()
    assert not (project.instance / "proj" / "out").exists()


async def test_a_save_whose_walk_stopped_early_is_not_ok(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_binder_ext.work import scan

    for index in range(30):
        write(project.home / "data" / f"d{index:02}.txt", f"{index}\n")
    monkeypatch.setattr(scan, "SAVE_VISIT_LIMIT", 10)

    answer = await project.state().save_work("persistent")

    assert answer["ok"] is False
    said = "Not every file could be looked at (Partial: the scan stopped after"
    assert said in answer["message"]
