"""The one bounded walk: real folders, links and a budget shared by two walks."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_binder_ext.common.walk import Walk, WalkBudget


def tree(root: Path) -> None:
    (root / "a" / "deep").mkdir(parents=True)
    (root / "a" / "deep" / "f").write_text("x")
    (root / "b").write_text("y")
    # A link to a folder, and one to the root itself: a walk that followed either would
    # list files twice or never end.
    (root / "link-to-a").symlink_to(root / "a")
    (root / "loop").symlink_to(root)


def walk_all(walk: Walk) -> list[str]:
    seen = []
    for entry in walk:
        walk.enter(entry)
        seen.append(entry.path)
    return seen


def test_every_entry_once_and_links_are_never_entered(tmp_path: Path) -> None:
    tree(tmp_path)
    walk = Walk(tmp_path, WalkBudget(1000), sort=True)
    seen = [os.path.relpath(path, tmp_path) for path in walk_all(walk)]
    assert sorted(seen) == ["a", "a/deep", "a/deep/f", "b", "link-to-a", "loop"]
    assert walk.complete is True and walk.unreadable == []


def test_the_budget_stops_the_walk_and_is_shared(tmp_path: Path) -> None:
    tree(tmp_path)
    budget = WalkBudget(5)
    first = Walk(tmp_path / "a", budget)
    assert len(walk_all(first)) == 2 and first.complete is True
    second = Walk(tmp_path, budget)
    assert len(walk_all(second)) == 3 and second.complete is False
    assert budget.visited == 5 and budget.spent is True


def test_a_spent_clock_stops_the_walk(tmp_path: Path) -> None:
    for index in range(600):
        (tmp_path / f"f{index}").write_text("")
    walk = Walk(tmp_path, WalkBudget.lasting(10_000, 0.0))
    # The clock is read every 256 entries: the walk stops there, well before the end.
    assert len(walk_all(walk)) == 256 and walk.complete is False


def test_an_unreadable_folder_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "closed").mkdir()
    (tmp_path / "closed" / "inside").write_text("")
    walk = Walk(tmp_path / "missing", WalkBudget(10))
    assert walk_all(walk) == [] and walk.unreadable == []  # removed meanwhile: nothing there
    not_a_folder = Walk(tmp_path / "closed" / "inside", WalkBudget(10))
    assert walk_all(not_a_folder) == []
    assert [path for path, _err in not_a_folder.unreadable] == [str(tmp_path / "closed" / "inside")]
