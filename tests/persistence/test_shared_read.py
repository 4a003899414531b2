"""The shared volume read: one scan per interval for any number of callers, bounded."""

from __future__ import annotations

import asyncio
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.launch.info import read_launch
from jupyter_binder_ext.persistence import volume
from jupyter_binder_ext.persistence.shared_read import SharedVolumeRead
from jupyter_binder_ext.persistence.volume import read_persistence

ENV = {"JUPYTERHUB_USER": "alice", "JUPYTERHUB_SERVER_NAME": "o-r-1"}


def make_volume(tmp_path: Path, folders: int, files_each: int) -> SiteConfig:
    home = tmp_path / "home"
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    vol = home / "alice-nfs-pvc"
    for index in range(folders):
        folder = vol / f"project-{index}"
        folder.mkdir(parents=True)
        for number in range(files_each):
            (folder / f"f{number}").write_bytes(b"x" * 10)
    return SiteConfig(
        persistent_volume_template=str(home / "{username}-nfs-pvc"), repo_dir=str(root)
    )


async def test_concurrent_callers_share_one_scan_in_its_own_thread(tmp_path: Path) -> None:
    site = make_volume(tmp_path, folders=3, files_each=50)
    threads: set[str] = set()

    def read() -> dict[str, Any]:
        threads.add(threading.current_thread().name)
        return read_persistence(site, read_launch(ENV))

    shared = SharedVolumeRead(read, interval=60)
    try:
        answers = await asyncio.gather(*(shared.read() for _ in range(50)))
        assert shared.scans == 1
        assert all(item is answers[0] for item in answers)
        assert [item["name"] for item in answers[0]["instances"]] == [
            "project-0",
            "project-1",
            "project-2",
        ]
        assert all(name.startswith("binder-volume") for name in threads)
        # Within the interval: the same answer, no new scan.
        await shared.read()
        assert shared.scans == 1
        # After a change made by this server: a fresh scan.
        shared.invalidate()
        await shared.read()
        assert shared.scans == 2
    finally:
        shared.close()


async def test_a_new_interval_scans_again(tmp_path: Path) -> None:
    site = make_volume(tmp_path, folders=1, files_each=1)
    shared = SharedVolumeRead(lambda: read_persistence(site, read_launch(ENV)), interval=0.2)
    try:
        await shared.read()
        await asyncio.sleep(0.3)
        await asyncio.gather(*(shared.read() for _ in range(10)))
        assert shared.scans == 2
    finally:
        shared.close()


async def test_a_caller_that_goes_away_does_not_cancel_the_others(tmp_path: Path) -> None:
    started = threading.Event()
    release = threading.Event()

    def slow() -> dict[str, Any]:
        started.set()
        release.wait(5)
        return {"ok": True}

    shared = SharedVolumeRead(slow, interval=60)
    try:
        first = asyncio.ensure_future(shared.read())
        second = asyncio.ensure_future(shared.read())
        await asyncio.to_thread(started.wait, 5)
        first.cancel()
        release.set()
        assert await second == {"ok": True}
        assert shared.scans == 1
    finally:
        shared.close()


def test_the_scan_is_bounded_in_files_time_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_volume(tmp_path, folders=5, files_each=400)
    data = read_persistence(site, read_launch(ENV), file_limit=300)
    assert data["scan"] == {"files_visited": 300, "limit": 300, "capped": True}
    assert "scan_capped" in {w["kind"] for w in data["warnings"]}

    monkeypatch.setattr(volume, "SCAN_TIME_LIMIT", 0.0)
    data = read_persistence(site, read_launch(ENV))
    assert data["scan"]["capped"] is True
    assert data["scan"]["files_visited"] < 5 * 400

    monkeypatch.setattr(volume, "SCAN_TIME_LIMIT", 60.0)
    monkeypatch.setattr(volume, "MAX_LISTED_INSTANCES", 2)
    data = read_persistence(site, read_launch(ENV))
    assert len(data["instances"]) == 2 and data["scan"]["capped"] is True


async def test_the_volume_thread_stops_with_the_extension(
    jp_fetch: Any, jp_serverapp: Any, tmp_path: Path, binder_env: dict[str, str]
) -> None:
    state = jp_serverapp.web_app.settings["binder_ext"]
    state.site = make_volume(tmp_path, folders=1, files_each=1)
    response = await jp_fetch("binder", "api", "persistence")
    assert response.code == 200 and state.volume_read.scans == 1
    workers = [t for t in threading.enumerate() if t.name.startswith("binder-volume")]
    assert workers

    await jp_serverapp.extension_manager.stop_all_extensions()
    for worker in workers:
        worker.join(5)
    assert not any(worker.is_alive() for worker in workers)
