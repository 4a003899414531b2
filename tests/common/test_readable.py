"""The shared wording of spans, moments and sizes, the path test and the warning builder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from jupyter_binder_ext.common.answers import warning
from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.common.readable import gib, in_days, local_date, moment, relative, span


def test_spans_take_their_natural_unit() -> None:
    assert [span(s) for s in (-5, 0, 89, 90, 30 * 60, 5 * 3600, 3 * 86400)] == [
        "0 s",
        "0 s",
        "89 s",
        "2 min",
        "30 min",
        "5 h",
        "3 days",
    ]


def test_days_and_sizes() -> None:
    assert [in_days(s) for s in (86400, 7 * 86400, 43200)] == ["1 day", "7 days", "0.5 days"]
    assert [gib(None), gib(0), gib(1288490189)] == ["unknown", "0.0 GiB", "1.2 GiB"]


def test_inside_is_the_folder_or_below_it_never_a_sibling_with_its_prefix() -> None:
    assert is_inside("/vol", "/vol") and is_inside("/vol/a/b", "/vol/")
    assert is_inside(Path("/vol/a"), Path("/vol"))
    assert not is_inside("/vol-other/a", "/vol") and not is_inside("/", "/vol")


def test_a_warning_names_its_figure_only_when_given() -> None:
    assert warning("k", "info", "m") == {"kind": "k", "level": "info", "message": "m"}
    assert warning("k", "error", "m", figure="used")["figure"] == "used"


@pytest.fixture
def utc_here(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local time zone set to UTC (the pods' own), then restored."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_moment_reads_as_words_then_the_local_date(utc_here: None) -> None:
    now = datetime(2026, 12, 2, 3, 11, 2, tzinfo=timezone.utc)
    assert relative(7 * 86400) == "in 7 days"
    assert relative(-2 * 3600) == "2 h ago"
    assert relative(0.4) == "now"
    assert local_date("2026-12-09T03:11:02.683830Z") == "Wed 9 Dec 2026, 03:11 UTC"
    assert moment("2026-12-09T03:11:02.683830Z", now) == ("in 7 days (Wed 9 Dec 2026, 03:11 UTC)")
    assert moment("2026-12-02T01:11:02+00:00", now) == "2 h ago (Wed 2 Dec 2026, 01:11 UTC)"
    # A naive time is the hub's UTC; nothing known or not a date is said so, never raised.
    assert moment("2026-12-02T03:11:02", now) == "now (Wed 2 Dec 2026, 03:11 UTC)"
    assert [moment(None, now), moment("", now)] == ["unknown", "unknown"]
    assert moment("yesterday", now) == "yesterday"


def test_byte_sizes_have_one_wording_in_binary_units() -> None:
    from jupyter_binder_ext.common.readable import byte_size

    assert [byte_size(None), byte_size(0), byte_size(1), byte_size(60)] == [
        "unknown",
        "0 bytes",
        "1 byte",
        "60 bytes",
    ]
    assert [byte_size(1536), byte_size(128 * 1024**2), byte_size(1288490189)] == [
        "1.5 KiB",
        "128.0 MiB",
        "1.2 GiB",
    ]
    # Never "1024.0 KiB": a size that rounds up to the next unit is said in it.
    assert byte_size(1024**2 - 1) == "1.0 MiB"
    assert byte_size(512 * 1024**2, "GiB") == "0.5 GiB"
