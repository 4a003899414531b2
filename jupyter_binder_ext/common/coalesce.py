"""One read shared by every caller: cached for an interval, coalesced while it runs.

However many callers (browser tabs polling, the CLI, ``%binder``) ask at once, at most one
fetch is in flight; callers arriving meanwhile wait for that same fetch, and callers within
``ttl`` of its answer get the answer without a fetch.

The cache is filled inside the fetch task, before the task completes. Filling it in a
done-callback instead leaves a window (task done, callback not yet run) in which a new
caller finds neither a cache nor a task to join, and starts a second fetch.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Generic, TypeVar, cast

T = TypeVar("T")

ErrorTypes = tuple[type[BaseException], ...]


class CoalescedRead(Generic[T]):
    """``await shared.read()``: the answer of ``fetch``, shared.

    ``fetch`` is an ``async def`` (run on the loop) or a plain function (run in ``executor``,
    or in the loop's default pool when ``executor`` is None: never on the loop itself).
    ``ttl`` is seconds, or a function giving them (a setting that may change).
    ``cache_errors``: the exception types kept for ``ttl`` like an answer (a struggling
    service gets one request per interval, not one per caller); any other error reaches the
    callers of that fetch only. The read owns ``executor``: :meth:`close` shuts it down.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[T]] | Callable[[], T],
        ttl: float | Callable[[], float],
        executor: Executor | None = None,
        cache_errors: ErrorTypes = (),
    ) -> None:
        self._fetch = fetch
        self._is_async = inspect.iscoroutinefunction(fetch)
        self._ttl = ttl
        self._executor = executor
        self._cache_errors = cache_errors
        # (monotonic time, the answer or the error it raised)
        self._cached: tuple[float, T | BaseException] | None = None
        self._inflight: tuple[asyncio.AbstractEventLoop, asyncio.Task[T]] | None = None
        self._generation = 0
        self._closed = False
        self.fetches = 0  # fetches actually started (tests and the bench count them)

    @property
    def ttl(self) -> float:
        return float(self._ttl() if callable(self._ttl) else self._ttl)

    @property
    def inflight(self) -> asyncio.Task[T] | None:
        """The fetch running for the current loop's callers, if any."""
        inflight = self._inflight
        return inflight[1] if inflight is not None else None

    def invalidate(self) -> None:
        """Forget the answer (after a change); a fetch in flight is not reused or cached."""
        self._generation += 1
        self._cached = None
        self._inflight = None

    def close(self) -> None:
        """Stop: cancel a fetch in flight, forget the answer, shut the executor down."""
        self._closed = True
        inflight = self._inflight
        self.invalidate()
        if inflight is not None and not inflight[0].is_closed():
            inflight[0].call_soon_threadsafe(inflight[1].cancel)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def read(self) -> T:
        if self._closed:
            raise RuntimeError("This shared read was closed (the server is stopping).")
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return _answer(cached[1])
        loop = asyncio.get_running_loop()
        inflight = self._inflight
        if inflight is None or inflight[0] is not loop or inflight[1].done():
            task = loop.create_task(self._fetch_and_store(self._generation))
            self._inflight = inflight = (loop, task)
        # shield: a caller that goes away (closed tab) does not cancel the others' fetch.
        return await asyncio.shield(inflight[1])

    async def _fetch_and_store(self, generation: int) -> T:
        self.fetches += 1
        try:
            value = await self._run_fetch()
        except self._cache_errors as error:
            self._store(generation, error)
            raise
        self._store(generation, value)
        return value

    async def _run_fetch(self) -> T:
        if self._is_async:
            return await cast(Callable[[], Awaitable[T]], self._fetch)()
        loop = asyncio.get_running_loop()
        value = await loop.run_in_executor(self._executor, self._fetch)
        if inspect.isawaitable(value):  # a lambda around a coroutine: say so, not hang
            if inspect.iscoroutine(value):
                value.close()
            raise TypeError("CoalescedRead: pass an async def, not a function returning one.")
        return cast(T, value)

    def _store(self, generation: int, value: T | BaseException) -> None:
        if generation == self._generation:  # not invalidated by a change meanwhile
            self._cached = (time.monotonic(), value)


def _answer(value: T | BaseException) -> T:
    if isinstance(value, BaseException):
        # A copy: re-raising one instance would keep growing its traceback.
        raise copy.copy(value).with_traceback(None)
    # The same answer for every caller (each only serialises it): no copy per caller.
    return value
