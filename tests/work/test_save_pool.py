"""Saves run in a small pool of their own, through a real Jupyter server: while every save
thread is busy, ``GET limits``, ``GET work`` and the server's own status still answer (they
use the default pool), and the saves queued meanwhile each answer with their own copy."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from typing import Any

from work_project import Project

from jupyter_binder_ext.work import service as work_service
from jupyter_binder_ext.work.service import WorkService

SAVES = 7  # the load: more saves than the default pool has threads on a small node


async def until(condition: Any) -> None:
    """Wait for `condition()` without a timing assertion; fail rather than hang the suite."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never came true")


async def save(jp_fetch: Any, path: str) -> dict[str, Any]:
    body = json.dumps({"to": "persistent", "paths": [path]})
    response = await jp_fetch("binder", "api", "work", "save", method="POST", body=body)
    answer: dict[str, Any] = json.loads(response.body)
    return answer


async def test_queued_saves_leave_the_default_pool_free_and_each_answers(
    jp_fetch: Any, jp_serverapp: Any, project: Project, binder_env: dict[str, str]
) -> None:
    names = [f"result-{index}.dat" for index in range(SAVES)]
    for index, name in enumerate(names):
        (project.repo / name).write_bytes(bytes([index]) * (4096 + index))
    service: WorkService = jp_serverapp.web_app.settings["binder_ext"].work_service
    # The first save makes the instance folder; the queued ones then all copy into it.
    (project.repo / "first.txt").write_text("first\n")
    assert (await save(jp_fetch, "first.txt"))["created_folder"] is True

    # Every save thread held busy, as long copies would hold them.
    release = threading.Event()
    running = threading.Semaphore(0)

    def long_copy() -> None:
        running.release()
        release.wait()

    held = [service.save_pool.submit(long_copy) for _ in range(work_service.SAVE_WORKERS)]
    try:
        for _ in held:
            await asyncio.to_thread(running.acquire)
        saves = [asyncio.ensure_future(save(jp_fetch, name)) for name in names]
        await until(lambda: service.saves_in_flight == SAVES)

        # The routes every tab polls answer while all the saves wait for a save thread.
        assert (await jp_fetch("binder", "api", "limits")).code == 200
        assert (await jp_fetch("api", "status")).code == 200
        work = json.loads((await jp_fetch("binder", "api", "work")).body)
        assert sorted(entry["path"] for entry in work["changed"]) == ["first.txt", *names]
        assert not any(task.done() for task in saves)
        assert service.saves_in_flight == SAVES
    finally:
        release.set()

    answers = await asyncio.gather(*saves)
    for index, (name, answer) in enumerate(zip(names, answers)):
        assert answer["copied"] == [{"path": name, "size": 4096 + index}]
        assert answer["skipped"] == [] and answer["ok"] is True
        assert (project.instance / "proj" / name).read_bytes() == bytes([index]) * (4096 + index)
    assert service.saves_in_flight == 0
    assert all(not future.exception() for future in held)


async def test_a_save_needs_no_thread_of_the_default_pool(
    jp_serverapp: Any, project: Project, binder_env: dict[str, str]
) -> None:
    state = jp_serverapp.web_app.settings["binder_ext"]
    (project.repo / "big.dat").write_bytes(b"x" * 65536)
    # Every thread of the server's default pool held (its documented size), as seven long
    # saves held it when saves ran there; the save is called on the server's own state (an
    # HTTP request would wait for that pool too, to resolve the server's address).
    loop = asyncio.get_running_loop()
    release = threading.Event()
    running = threading.Semaphore(0)

    def other_work() -> None:
        running.release()
        release.wait()

    default_workers = min(32, (os.cpu_count() or 1) + 4)
    held = [loop.run_in_executor(None, other_work) for _ in range(default_workers)]
    try:
        for _ in held:
            while not running.acquire(blocking=False):
                await asyncio.sleep(0.01)
        saving = asyncio.ensure_future(state.save_work("persistent", ["big.dat"]))
        await until(saving.done)
    finally:
        release.set()
        await asyncio.gather(*held)
    assert saving.result()["copied"] == [{"path": "big.dat", "size": 65536}]


async def test_the_save_threads_stop_with_the_extension(
    jp_fetch: Any, jp_serverapp: Any, project: Project, binder_env: dict[str, str]
) -> None:
    (project.repo / "table.csv").write_text("1,2\n")
    # An earlier test's server may still be letting its save thread go: not this one's.
    earlier = set(threading.enumerate())
    answer = await save(jp_fetch, "table.csv")
    assert answer["copied"] == [{"path": "table.csv", "size": 4}]
    workers = [
        t for t in threading.enumerate() if t.name.startswith("binder-save") and t not in earlier
    ]
    assert len(workers) == 1

    await jp_serverapp.extension_manager.stop_all_extensions()
    for worker in workers:
        worker.join(5)
    assert not any(worker.is_alive() for worker in workers)
