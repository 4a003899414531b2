"""The shared wording of spans and sizes, the path test and the warning builder."""

from __future__ import annotations

from pathlib import Path

from jupyter_binder_ext.common.answers import warning
from jupyter_binder_ext.common.paths import is_inside
from jupyter_binder_ext.common.readable import gib, in_days, span


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
