"""The coalescing read: one fetch for any number of callers, the cache filled in the task."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from jupyter_binder_ext.common.coalesce import CoalescedRead
from jupyter_binder_ext.errors import BinderError, HubUnavailable


class Source:
    """A fetch that counts its calls and can be held open."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()
        self.error: BaseException | None = None

    async def fetch(self) -> dict[str, int]:
        self.calls += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return {"call": self.calls}


async def test_concurrent_callers_share_one_fetch_and_the_cache_serves_the_interval() -> None:
    source = Source()
    source.release.clear()
    shared = CoalescedRead(source.fetch, ttl=60)
    callers = [asyncio.ensure_future(shared.read()) for _ in range(20)]
    await asyncio.sleep(0)
    source.release.set()
    answers = await asyncio.gather(*callers)
    assert source.calls == 1 and shared.fetches == 1
    assert all(answer is answers[0] for answer in answers)
    assert await shared.read() is answers[0]
    shared.invalidate()
    assert await shared.read() == {"call": 2}


async def test_a_caller_arriving_when_the_fetch_is_done_finds_the_answer_cached() -> None:
    # The window a done-callback would leave: the task is done, its first caller has not
    # resumed yet. A caller arriving there must not start a second fetch.
    source = Source()
    shared = CoalescedRead(source.fetch, ttl=60)
    first = asyncio.ensure_future(shared.read())
    while shared.inflight is None or not shared.inflight.done():
        await asyncio.sleep(0)
    assert not first.done()
    assert await shared.read() == await first == {"call": 1}
    assert source.calls == 1


async def test_ttl_is_read_at_each_call() -> None:
    source = Source()
    ttl = [60.0]
    shared = CoalescedRead(source.fetch, ttl=lambda: ttl[0])
    await shared.read()
    await shared.read()
    ttl[0] = 0.0
    await shared.read()
    assert source.calls == 2


async def test_errors_are_cached_only_when_asked() -> None:
    source = Source()
    source.error = HubUnavailable("the hub is down", hub_status=502)
    cached = CoalescedRead(source.fetch, ttl=60, cache_errors=(BinderError,))
    for _ in range(3):
        with pytest.raises(HubUnavailable) as caught:
            await cached.read()
        assert caught.value.details == {"hub_status": 502}
    assert source.calls == 1
    # Each caller gets its own copy: one instance re-raised would grow its traceback.
    with pytest.raises(HubUnavailable) as again:
        await cached.read()
    assert again.value is not caught.value

    source.calls = 0
    uncached = CoalescedRead(source.fetch, ttl=60)
    for _ in range(3):
        with pytest.raises(HubUnavailable):
            await uncached.read()
    assert source.calls == 3

    # A type not named is never cached, even when others are.
    source.calls, source.error = 0, ValueError("a crash")
    crash = CoalescedRead(source.fetch, ttl=60, cache_errors=(BinderError,))
    for _ in range(2):
        with pytest.raises(ValueError):
            await crash.read()
    assert source.calls == 2


async def test_a_fetch_invalidated_meanwhile_is_not_cached() -> None:
    source = Source()
    source.release.clear()
    shared = CoalescedRead(source.fetch, ttl=60)
    stale = asyncio.ensure_future(shared.read())
    await asyncio.sleep(0)
    shared.invalidate()  # a change made while the fetch ran
    source.release.set()
    assert await stale == {"call": 1}
    assert await shared.read() == {"call": 2}


async def test_a_caller_that_goes_away_does_not_cancel_the_others() -> None:
    source = Source()
    source.release.clear()
    shared = CoalescedRead(source.fetch, ttl=60)
    first = asyncio.ensure_future(shared.read())
    second = asyncio.ensure_future(shared.read())
    await asyncio.sleep(0)
    first.cancel()
    source.release.set()
    assert await second == {"call": 1}
    assert source.calls == 1


async def test_a_plain_function_runs_in_the_executor_which_close_shuts_down() -> None:
    threads: list[threading.Thread] = []

    def read() -> str:
        threads.append(threading.current_thread())
        return "read"

    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coalesce-test")
    shared = CoalescedRead(read, ttl=60, executor=executor)
    assert await asyncio.gather(shared.read(), shared.read()) == ["read", "read"]
    assert [thread.name.startswith("coalesce-test") for thread in threads] == [True]
    shared.close()
    threads[0].join(5)
    assert not threads[0].is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        await shared.read()


async def test_a_lambda_returning_a_coroutine_is_refused_clearly() -> None:
    source = Source()
    shared = CoalescedRead(lambda: source.fetch(), ttl=60)
    with pytest.raises(TypeError, match="async def"):
        await shared.read()
