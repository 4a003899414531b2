"""Figures as the faces word them: spans of time, moments and byte sizes, one wording each.

A moment reads the same in every text face: relative words, then the date in this server's
time zone (``in 7 days (Wed 9 Dec 2026, 03:11 UTC)``); the ISO form is only in the JSON.
"""

from __future__ import annotations

from datetime import datetime, timezone

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


def relative(seconds: float) -> str:
    """A moment `seconds` from now: ``in 7 days``, ``2 h ago``, ``now`` (within a second)."""
    if abs(seconds) < 1:
        return "now"
    return f"in {span(seconds)}" if seconds > 0 else f"{span(-seconds)} ago"


def _parse(value: str | datetime) -> datetime | None:
    """An ISO time (the hub's ``Z`` included) as an aware datetime; naive ones are UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def local_date(value: str | datetime | None) -> str:
    """A moment in this server's time zone, as people write it: ``Wed 9 Dec 2026, 03:11
    UTC``; ``unknown`` without one, and a text that is not a time as it is."""
    if value is None or value == "":
        return "unknown"
    parsed = _parse(value)
    if parsed is None:
        return str(value)
    local = parsed.astimezone()
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname() or ''}".rstrip()


def moment(value: str | datetime | None, now: datetime | None = None) -> str:
    """``in 7 days (Wed 9 Dec 2026, 03:11 UTC)``: the words, then the local date."""
    if value is None or value == "":
        return "unknown"
    parsed = _parse(value)
    if parsed is None:
        return str(value)
    seconds = (parsed - (now or datetime.now(timezone.utc))).total_seconds()
    return f"{relative(seconds)} ({local_date(parsed)})"


def in_days(seconds: float) -> str:
    """A span in days, as a site states its timeouts: ``7 days``, ``1 day``, ``0.5 days``."""
    days = seconds / DAY
    return f"{days:g} day" + ("" if days == 1 else "s")


def gib(size: int | None) -> str:
    """A byte size in GiB with one decimal (``1.2 GiB``); ``unknown`` when not known."""
    return "unknown" if size is None else f"{size / GB:.1f} GiB"
