"""One volume read shared by every caller: cached for an interval, coalesced, in its own thread.

A persistence read walks the volume (bounded, see :data:`.volume.SCAN_FILE_LIMIT`), probes
it with a write and stats it. However many tabs poll, this server reads the volume at most
once per :data:`SCAN_INTERVAL`: a caller within the interval gets the last answer, and
callers arriving while a read runs wait for that same read (:class:`.CoalescedRead`). The
read runs in a thread of its own, so a slow network volume occupies one thread, never the
pool other routes use; that thread is shut down with the extension (:meth:`close`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from jupyter_binder_ext.common.coalesce import CoalescedRead
from jupyter_binder_ext.errors import BinderError
from jupyter_binder_ext.persistence.answers import PersistenceAnswer

# Seconds a volume read stays fresh (the panel polls every few seconds).
SCAN_INTERVAL = 10.0


class SharedVolumeRead(CoalescedRead[PersistenceAnswer]):
    """``await shared.read()``: the answer of ``GET binder/api/persistence``, shared.

    A :class:`BinderError` (no volume, unreadable) is kept for the interval like an answer;
    a crash reaches the callers of that read only.
    """

    def __init__(
        self, read: Callable[[], PersistenceAnswer], interval: float = SCAN_INTERVAL
    ) -> None:
        super().__init__(
            read,
            ttl=interval,
            executor=ThreadPoolExecutor(max_workers=1, thread_name_prefix="binder-volume"),
            cache_errors=(BinderError,),
        )
        self.interval = interval

    @property
    def scans(self) -> int:
        """Reads actually made (the bench counts them)."""
        return self.fetches
