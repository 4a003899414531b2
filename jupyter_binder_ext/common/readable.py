"""Figures as the faces word them: spans of time, moments and byte sizes, one wording each.

A moment reads the same in every text face: relative words, then the date in this server's
time zone (``in 7 days (Wed 9 Dec 2026, 03:11 UTC)``); the ISO form is only in the JSON.
A byte size reads the same everywhere too (:func:`byte_size`): binary units, one decimal.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

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


# Binary units, as Kubernetes (``Gi``), JupyterHub's ``G`` and the site's `.resources` count.
ByteUnit = Literal["KiB", "MiB", "GiB", "TiB", "PiB"]
_UNITS: tuple[ByteUnit, ...] = ("KiB", "MiB", "GiB", "TiB", "PiB")


def byte_size(size: float | None, unit: ByteUnit | None = None) -> str:
    """A byte size, the one wording every face uses: binary units with one decimal
    (``1.2 GiB``, ``340.0 KiB``), whole bytes below 1 KiB (``60 bytes``, ``1 byte``), and
    ``unknown`` when not known. `unit` fixes the unit (a column of figures, a limit in GiB).
    """
    if size is None:
        return "unknown"
    if unit is None and abs(size) < 1024:
        whole = int(size)
        return f"{whole} byte" + ("" if whole == 1 else "s")
    chosen = unit or _unit_for(size)
    return f"{size / 1024 ** (_UNITS.index(chosen) + 1):.1f} {chosen}"


def _unit_for(size: float) -> ByteUnit:
    """The first unit in which `size` reads under 1024 once rounded (never ``1024.0 KiB``)."""
    for index, name in enumerate(_UNITS, 1):
        if round(abs(size) / 1024**index, 1) < 1024:
            return name
    return _UNITS[-1]


def gib(size: float | None) -> str:
    """A byte size in GiB with one decimal (``1.2 GiB``); ``unknown`` when not known."""
    return byte_size(size, "GiB")
