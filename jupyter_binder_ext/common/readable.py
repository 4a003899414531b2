"""Figures as the faces word them: spans of time and byte sizes, one wording each."""

from __future__ import annotations

from jupyter_binder_ext.common.units import GB

DAY = 86400.0


def span(seconds: float) -> str:
    """A span in its natural unit: ``45 s``, ``12 min``, ``5 h``, ``3 days`` (never negative)."""
    seconds = max(seconds, 0.0)
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / DAY)} days"


def in_days(seconds: float) -> str:
    """A span in days, as a site states its timeouts: ``7 days``, ``1 day``, ``0.5 days``."""
    days = seconds / DAY
    return f"{days:g} day" + ("" if days == 1 else "s")


def gib(size: int | None) -> str:
    """A byte size in GiB with one decimal (``1.2 GiB``); ``unknown`` when not known."""
    return "unknown" if size is None else f"{size / GB:.1f} GiB"
