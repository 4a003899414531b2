"""A file saved through Jupyter's contents API shows in ``GET work`` at once: the server's
contents events empty the work cache, though reads within a few seconds share one scan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from work_project import Project


@pytest.fixture
def jp_root_dir(project: Project) -> Path:
    return project.repo  # the server's root is the repository, as on a BinderHub


async def changed(jp_fetch: Any) -> list[str]:
    data = json.loads((await jp_fetch("binder", "api", "work")).body)
    return [entry["path"] for entry in data["changed"]]


async def test_a_saved_file_shows_in_the_next_read(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    assert await changed(jp_fetch) == []  # the scan is cached from here on
    body = {"type": "file", "format": "text", "content": "1,2\n"}
    await jp_fetch("api", "contents", "results.csv", method="PUT", body=json.dumps(body))
    assert await changed(jp_fetch) == ["results.csv"]
    await jp_fetch("api", "contents", "results.csv", method="DELETE")
    assert await changed(jp_fetch) == []


async def test_a_file_changed_behind_jupyters_back_waits_for_the_cache(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    # The cache is real: a file written by a terminal, not through Jupyter, shows once the
    # cached scan is older than its interval (what the panel's poll sees).
    assert await changed(jp_fetch) == []
    (project.repo / "from-a-terminal.csv").write_text("1\n")
    assert await changed(jp_fetch) == []
