"""The safe small-file module against real files: links, FIFOs, devices, sparse files."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fixtures.tmpfs import mount_tmpfs, unmount

from jupyter_binder_ext.common.files import (
    NoSpace,
    UnsafeFile,
    read_bytes,
    read_text,
    write_atomic,
)
from jupyter_binder_ext.errors import Forbidden


def finishes(call: Callable[[], Any], seconds: float = 5.0) -> Any:
    """Run `call` in a thread and fail (instead of hanging the suite) if it blocks."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:  # handed to the test below
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the call blocked"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def reason_of(call: Callable[[], Any]) -> str:
    with pytest.raises(UnsafeFile) as caught:
        finishes(call)
    return str(caught.value.details["reason"])


def test_reads_a_regular_file_and_none_when_absent(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"meml=4\n")
    assert read_bytes(tmp_path / "f") == b"meml=4\n"
    assert read_text(tmp_path / "f") == "meml=4\n"
    assert read_bytes(tmp_path / "missing") is None


def test_a_link_is_refused_and_never_followed(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "key"
    secret.parent.mkdir()
    secret.write_text("PRIVATE")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "out").symlink_to(secret)
    (tree / "inner-target").write_text("inside")
    (tree / "in").symlink_to("inner-target")
    with pytest.raises(UnsafeFile) as caught:
        read_bytes(tree / "out")
    assert caught.value.details["reason"] == "symlink"
    assert "PRIVATE" not in caught.value.message
    # links="within": a link whose target stays in the file's folder is followed...
    assert read_bytes(tree / "in", links="within") == b"inside"
    # ...one out of it is not.
    assert reason_of(lambda: read_bytes(tree / "out", links="within")) == "link_outside"


def test_a_hard_link_is_refused_where_its_bytes_would_be_shown(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    text = "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nnot a real key\n"  # no key text in the repo
    key.write_text(text)
    shown = tmp_path / ".resources"
    os.link(key, shown)
    for read in (read_bytes, read_text):
        with pytest.raises(UnsafeFile) as caught:
            finishes(lambda: read(shown, hard_links="refuse"))  # noqa: B023 (run at once)
        assert caught.value.details["reason"] == "hard_link"
        assert "hard link" in caught.value.message
        assert "BEGIN" not in caught.value.message
    # Read for the extension's own use (the key pair, markers), a hard link is still a file.
    assert read_bytes(shown) == key.read_bytes()
    # Once the other name is gone, the file is its own again.
    key.unlink()
    assert read_text(shown, hard_links="refuse") == text


def test_a_dangling_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert reason_of(lambda: read_bytes(tmp_path / "dangling")) == "symlink"


def test_a_fifo_never_blocks_the_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert reason_of(lambda: read_bytes(fifo)) == "not_regular"


def test_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    # /dev/zero would answer forever: refused from its type before any byte is read.
    assert reason_of(lambda: read_bytes("/dev/zero", links="within")) == "not_regular"
    (tmp_path / "zero").symlink_to("/dev/zero")
    assert reason_of(lambda: read_bytes(tmp_path / "zero", links="within")) == "link_outside"


def test_a_large_sparse_file_is_refused_from_its_size(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse"
    with sparse.open("wb") as handle:
        handle.truncate(256 * 1024 * 1024)  # 256 MB that take no space on disk
    with pytest.raises(UnsafeFile) as caught:
        finishes(lambda: read_bytes(sparse, limit=1024))
    assert caught.value.details["reason"] == "too_large"
    assert "1024 bytes" in caught.value.message


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    assert reason_of(lambda: read_bytes(tmp_path / "d")) == "not_regular"


def test_write_atomic_replaces_the_file_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]  # no temporary file left
    write_atomic(tmp_path / "fresh", b"x", mode=0o600)
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o600


def test_write_atomic_never_writes_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("theirs")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link").symlink_to(outside)
    (tree / "dangling").symlink_to(tmp_path / "would-be-created")
    for name in ("link", "dangling"):
        with pytest.raises(UnsafeFile) as caught:
            write_atomic(tree / name, "mine")
        assert caught.value.details["reason"] == "symlink"
    assert outside.read_text() == "theirs"
    assert not (tmp_path / "would-be-created").exists()
    assert (tree / "link").is_symlink() and (tree / "dangling").is_symlink()
    assert sorted(p.name for p in tree.iterdir()) == ["dangling", "link"]


def test_write_atomic_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert reason_of(lambda: write_atomic(fifo, "x")) == "not_regular"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_write_atomic_on_a_read_only_mount_changes_nothing(tmp_path: Path) -> None:
    volume = tmp_path / "ro"
    mount_tmpfs(volume)
    try:
        (volume / "file").write_text("old")
        subprocess.run(["mount", "-o", "remount,ro", str(volume)], check=True)
        with pytest.raises(Forbidden) as caught:
            write_atomic(volume / "file", "new")
        assert "the file was not changed" in caught.value.message
        assert (volume / "file").read_text() == "old"
        assert sorted(p.name for p in volume.iterdir()) == ["file"]
    finally:
        unmount(volume)


def test_write_atomic_on_a_full_disk_is_a_507_and_changes_nothing(tmp_path: Path) -> None:
    volume = tmp_path / "full"
    mount_tmpfs(volume, size="64k")
    try:
        (volume / "file").write_text("old")
        with pytest.raises(NoSpace) as caught:
            write_atomic(volume / "file", b"x" * 1024 * 1024)
        assert caught.value.status == 507
        assert (volume / "file").read_text() == "old"
        assert sorted(p.name for p in volume.iterdir()) == ["file"]
    finally:
        unmount(volume)


def test_write_atomic_never_writes_into_a_linked_folder(tmp_path: Path) -> None:
    # A repository cloned into the home folder can ship `.ssh` as a link to anywhere.
    elsewhere = tmp_path / "repo" / "leak"
    elsewhere.mkdir(parents=True)
    ssh_dir = tmp_path / "home" / ".ssh"
    ssh_dir.parent.mkdir()
    ssh_dir.symlink_to(elsewhere)
    with pytest.raises(UnsafeFile) as caught:
        write_atomic(ssh_dir / "binder_id", b"private key", mode=0o600)
    assert caught.value.details["reason"] == "symlink"
    assert list(elsewhere.iterdir()) == []
