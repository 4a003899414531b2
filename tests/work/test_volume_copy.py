"""``POST work/save {"to": "persistent"}`` against a volume that moves under it, files written
while they are copied, the per-save cap and sparse files: real files in real folders, a
thread doing what another process of the user could do at the same moment."""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from work_project import Project

from jupyter_binder_ext.work.answers import SaveAnswer
from jupyter_binder_ext.work.changes import on_volume
from jupyter_binder_ext.work.save_persistent import save_to_persistent
from jupyter_binder_ext.work.volume_copy import TEMP_PREFIX

AT_FDCWD = -100
RENAME_EXCHANGE = 2
MiB = 1024 * 1024
GiB = 1024 * MiB


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def save(
    project: Project, paths: list[str] | None = None, overwrite: bool = False, **site: Any
) -> SaveAnswer:
    """A save to the volume, in this thread (the server runs it off its event loop), with
    the site's settings changed by `site`."""
    configured = dataclasses.replace(project.site, **site)
    launch = project.state().launch()
    return save_to_persistent(configured, launch, project.home, paths, overwrite)


def temporaries(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):  # links not followed
            found += [str(Path(root, n)) for n in dirs + files if n.startswith(TEMP_PREFIX)]
    return found


def copy_begun(folder: Path) -> bool:
    """Whether a temporary file in `folder` has received its first bytes."""
    for entry in os.scandir(folder):
        if entry.name.startswith(TEMP_PREFIX):
            with suppress(FileNotFoundError):  # renamed into place meanwhile
                if entry.stat(follow_symlinks=False).st_size:
                    return True
    return False


@contextmanager
def running(job: Callable[[threading.Event], None]) -> Iterator[threading.Event]:
    """`job` in a thread until the block ends (it gets the event that tells it to stop)."""
    stop = threading.Event()
    thread = threading.Thread(target=job, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


# -- links swapped in on the volume ----------------------------------------------------------


def test_a_folder_swapped_for_a_link_during_saves_never_sends_a_write_outside(
    project: Project, tmp_path: Path
) -> None:
    names = [f"sub/f{index:02}.txt" for index in range(20)]
    for name in names:
        write(project.repo / name, b"first\n")
    assert save(project)["ok"] is True
    outside = tmp_path / "outside"
    outside.mkdir()
    swap = project.instance / "proj" / "swap"
    swap.symlink_to(outside)
    real = bytes(project.instance / "proj" / "sub")
    libc = ctypes.CDLL(None, use_errno=True)

    def exchange(stop: threading.Event) -> None:
        # What another process of the user may do: swap the folder and the link, again and
        # again, atomically (renameat2 RENAME_EXCHANGE).
        while not stop.is_set():
            libc.renameat2(AT_FDCWD, real, AT_FDCWD, bytes(swap), RENAME_EXCHANGE)

    reasons: set[str] = set()
    with running(exchange):
        for round_ in range(40):
            for name in names:
                # Another size each round: a copy is never "same" by an equal size and time.
                write(project.repo / name, b"x" * (round_ + 1))
            answer = save(project, overwrite=True)
            reasons |= {s["reason"] for s in answer["skipped"]}
            assert answer["ok"] is (not answer["skipped"])
            assert len(answer["copied"]) + len(answer["skipped"]) == len(names)

    assert reasons <= {"blocked"}
    assert list(outside.iterdir()) == []
    assert temporaries(project.instance, outside) == []


def test_a_link_planted_in_the_instance_folder_blocks_that_file_only(
    project: Project, tmp_path: Path
) -> None:
    write(project.repo / "results" / "a.csv", b"1\n")
    write(project.repo / "notes.txt", b"notes\n")
    assert save(project)["ok"] is True
    outside = tmp_path / "outside"
    outside.mkdir()
    saved = project.instance / "proj" / "results"
    (saved / "a.csv").unlink()
    saved.rmdir()
    saved.symlink_to(outside)
    write(project.repo / "results" / "a.csv", b"2\n")
    write(project.repo / "notes.txt", b"more notes\n")

    answer = save(project, overwrite=True)

    assert answer["ok"] is False
    assert answer["copied"] == [{"path": "notes.txt", "size": 11}]
    assert answer["skipped"] == [
        {
            "path": "results/a.csv",
            "reason": "blocked",
            "message": f"{saved} is in the way (a file or a link, not a folder).",
        }
    ]
    assert "1 skipped (results/a.csv: something in the way)" in answer["message"]
    assert list(outside.iterdir()) == []
    assert saved.is_symlink()


# -- a source written to while it is copied --------------------------------------------------


def test_a_file_rewritten_during_its_copy_is_copied_again_never_called_the_same(
    project: Project,
) -> None:
    source = write(project.repo / "big.bin", b"a" * 128 * MiB)
    write(project.repo / "small.txt", b"small\n")
    assert save(project, ["small.txt"])["ok"] is True  # the instance folder exists

    rewritten = threading.Event()

    def rewrite_once_mid_copy(stop: threading.Event) -> None:
        # As soon as the copy has begun, one write over its first bytes, the size unchanged.
        while not stop.is_set():
            if copy_begun(project.instance / "proj"):
                handle = os.open(source, os.O_WRONLY)
                os.pwrite(handle, b"b" * 4096, 0)
                os.close(handle)
                rewritten.set()
                return

    with running(rewrite_once_mid_copy):
        answer = save(project, ["big.bin"])

    assert rewritten.is_set(), "the copy ended before the thread saw it begin"
    # Copied (again, after the write): never skipped as "same".
    assert answer["ok"] is True
    assert answer["copied"] == [{"path": "big.bin", "size": 128 * MiB}]
    copy = project.instance / "proj" / "big.bin"
    # What the scan says "same" of holds the file's bytes as they are now.
    if on_volume(source, copy) == "same":
        assert copy.read_bytes() == source.read_bytes()
    assert save(project, ["big.bin"], overwrite=True)["ok"] is True
    assert on_volume(source, copy) == "same"
    with copy.open("rb") as copied:
        assert copied.read(8192) == b"b" * 4096 + b"a" * 4096


def test_a_file_written_all_through_the_save_is_reported_not_saved(project: Project) -> None:
    source = write(project.repo / "log.bin", b"a" * 64 * MiB)

    def keep_writing(stop: threading.Event) -> None:
        handle = os.open(source, os.O_WRONLY)
        try:
            while not stop.is_set():
                os.pwrite(handle, b"b" * 4096, 0)
        finally:
            os.close(handle)

    with running(keep_writing):
        answer = save(project, ["log.bin"])

    assert answer["ok"] is False
    assert answer["copied"] == []
    assert [(s["path"], s["reason"]) for s in answer["skipped"]] == [
        ("log.bin", "changed_during_copy")
    ]
    assert "Save again once it is no longer being written" in answer["skipped"][0]["message"]
    assert not os.path.lexists(project.instance / "proj" / "log.bin")
    assert temporaries(project.instance) == []


# -- what one save may copy ------------------------------------------------------------------


def test_files_past_the_cap_are_left_for_the_next_save_and_said(project: Project) -> None:
    write(project.repo / "a.txt", b"a" * 60)
    write(project.repo / "b.txt", b"b" * 60)
    write(project.repo / "c.txt", b"c" * 30)
    write(project.repo / "huge.txt", b"h" * 200)

    first = save(project, max_save_bytes=100)

    assert first["ok"] is False
    assert first["copied"] == [{"path": "a.txt", "size": 60}, {"path": "c.txt", "size": 30}]
    assert first["skipped"] == [
        {
            "path": "b.txt",
            "reason": "too_large",
            "message": "It holds 60 bytes; this save had 40 bytes left of the 100 bytes a save "
            "may copy. Save again to copy it.",
        },
        {
            "path": "huge.txt",
            "reason": "too_large",
            "message": "It holds 200 bytes, more than one save may copy (100 bytes); the site's "
            "administrators can raise c.BinderExt.max_save_bytes.",
        },
    ]
    assert first["message"].endswith(
        "Copied 2 files to "
        f"{project.instance}. 2 not copied (b.txt, huge.txt): a save copies at most 100 bytes. "
        "Save again to copy more; for a file larger than that, the site's administrators can "
        "raise c.BinderExt.max_save_bytes (0: no cap)."
    )
    assert not (project.instance / "proj" / "b.txt").exists()

    second = save(project, max_save_bytes=100)
    assert [c["path"] for c in second["copied"]] == ["b.txt"]
    assert [(s["path"], s["reason"]) for s in second["skipped"]] == [
        ("a.txt", "same"),
        ("c.txt", "same"),
        ("huge.txt", "too_large"),
    ]
    # 0: no cap.
    third = save(project, max_save_bytes=0)
    assert third["ok"] is True
    assert [c["path"] for c in third["copied"]] == ["huge.txt"]


def test_a_sparse_file_stays_sparse_on_the_volume(project: Project) -> None:
    source = project.repo / "sparse.img"
    with source.open("wb") as handle:
        handle.write(b"head")
        handle.seek(512 * MiB)
        handle.write(b"middle")
    os.truncate(source, GiB)
    assert source.stat().st_blocks * 512 < MiB  # the machine's file system keeps holes

    answer = save(project, ["sparse.img"])

    assert answer["ok"] is True
    assert answer["copied"] == [{"path": "sparse.img", "size": GiB}]
    copy = project.instance / "proj" / "sparse.img"
    assert copy.stat().st_size == GiB
    assert copy.stat().st_blocks * 512 < MiB
    with copy.open("rb") as handle:
        assert handle.read(4) == b"head"
        handle.seek(512 * MiB)
        assert handle.read(6) == b"middle"
        handle.seek(GiB - 4)
        assert handle.read() == b"\0" * 4
    # Counted at its apparent size against the cap.
    source.touch()
    capped = save(project, ["sparse.img"], overwrite=True, max_save_bytes=GiB - 1)
    assert [s["reason"] for s in capped["skipped"]] == ["too_large"]


# -- ok --------------------------------------------------------------------------------------


def test_ok_only_when_everything_asked_for_is_there(project: Project) -> None:
    source = write(project.repo / "results.csv", b"1,2\n")
    assert save(project)["ok"] is True
    write(source, b"1,2,3\n")

    kept = save(project)
    assert kept["ok"] is False
    assert [s["reason"] for s in kept["skipped"]] == ["differs"]

    replaced = save(project, overwrite=True)
    assert replaced["ok"] is True and [c["path"] for c in replaced["copied"]] == ["results.csv"]
    unchanged = save(project)
    assert unchanged["ok"] is True and [s["reason"] for s in unchanged["skipped"]] == ["same"]


# -- through the server ----------------------------------------------------------------------


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    settings = {**jp_server_config["BinderExt"], "max_save_bytes": 1000}
    return {**jp_server_config, "BinderExt": settings}


async def test_the_servers_cap_comes_from_its_setting(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    write(project.repo / "small.csv", b"1" * 10)
    write(project.repo / "large.csv", b"2" * 2000)

    response = await jp_fetch(
        "binder", "api", "work", "save", method="POST", body=json.dumps({"to": "persistent"})
    )

    saved = json.loads(response.body)
    assert saved["ok"] is False
    assert saved["copied"] == [{"path": "small.csv", "size": 10}]
    assert [(s["path"], s["reason"]) for s in saved["skipped"]] == [("large.csv", "too_large")]
    assert "raise c.BinderExt.max_save_bytes" in saved["message"]
    assert not (project.instance / "proj" / "large.csv").exists()
