"""One volume read shared by every caller: cached for an interval, coalesced, in its own thread.

A persistence read walks the volume (bounded, see :data:`.volume.SCAN_FILE_LIMIT`), probes
it with a write and stats it. However many tabs poll, this server reads the volume at most
once per :data:`SCAN_INTERVAL`: a caller within the interval gets the last answer, and
callers arriving while a read runs wait for that same read. The read runs in a thread of its
own, so a slow network volume occupies one thread, never the pool other routes use.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jupyter_binder_ext.errors import BinderError

# Seconds a volume read stays fresh (the panel polls every few seconds).
SCAN_INTERVAL = 10.0


class SharedVolumeRead:
    """``await shared.read()``: the answer of ``GET binder/api/persistence``, shared."""

    def __init__(self, read: Callable[[], dict[str, Any]], interval: float = SCAN_INTERVAL) -> None:
        self._read = read
        self.interval = interval
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="binder-volume")
        # (monotonic time, answer or the error it raised)
        self._cached: tuple[float, dict[str, Any] | BinderError] | None = None
        self._inflight: tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]] | None = None
        self._generation = 0
        self.scans = 0  # reads actually made (the bench counts them)

    def invalidate(self) -> None:
        """Forget the answer (after this server changed the volume)."""
        self._generation += 1
        self._cached = None
        self._inflight = None

    def _run(self) -> dict[str, Any]:
        self.scans += 1
        return self._read()

    async def read(self) -> dict[str, Any]:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < self.interval:
            return _copy(cached[1])
        loop = asyncio.get_running_loop()
        inflight = self._inflight
        if inflight is None or inflight[0] is not loop or inflight[1].done():
            future = loop.run_in_executor(self._executor, self._run)
            generation = self._generation
            future.add_done_callback(lambda done: self._remember(done, generation))
            self._inflight = inflight = (loop, future)
        # shield: a caller that goes away (closed tab) does not cancel the others' read.
        return _copy(await asyncio.shield(inflight[1]))

    def _remember(self, done: asyncio.Future[Any], generation: int) -> None:
        if done.cancelled() or generation != self._generation:
            return
        error = done.exception()
        if error is None:
            self._cached = (time.monotonic(), done.result())
        elif isinstance(error, BinderError):
            self._cached = (time.monotonic(), error)
        else:
            done.exception()  # retrieved: a crash is raised to its callers, never cached

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _copy(value: dict[str, Any] | BinderError) -> dict[str, Any]:
    if isinstance(value, BinderError):
        raise value
    # The same answer for every caller (each only serialises it): no copy per tab.
    return value
