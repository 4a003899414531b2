"""``binder/api/work`` and ``work/save`` through a real Jupyter server (pytest-jupyter); every
answer is checked against its declared type by the conftest's ``jp_fetch``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError
from work_project import Project


async def refused(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(*parts, **kwargs)
    assert caught.value.response is not None
    return caught.value.code, json.loads(caught.value.response.body)


async def test_get_then_save_to_the_volume(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    (project.repo / "results.csv").write_text("1,2\n")
    (project.home / "notes.txt").write_text("outside\n")
    data = json.loads((await jp_fetch("binder", "api", "work")).body)
    assert [(e["path"], e["status"]) for e in data["changed"]] == [("results.csv", "untracked")]
    assert [e["path"] for e in data["outside"]["files"]] == ["notes.txt"]
    assert data["at_risk"] is True
    assert data["reminder"]["days"] == 2

    response = await jp_fetch(
        "binder", "api", "work", "save", method="POST", body=json.dumps({"to": "persistent"})
    )
    saved = json.loads(response.body)
    assert saved["to"] == "persistent"
    assert [c["path"] for c in saved["copied"]] == ["results.csv", "notes.txt"]
    assert (project.instance / "proj" / "results.csv").read_text() == "1,2\n"
    assert (project.instance / "notes.txt").read_text() == "outside\n"

    after = json.loads((await jp_fetch("binder", "api", "work")).body)
    assert after["volume"]["saved"] == 2 and after["at_risk"] is False


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("not json", "not valid JSON"),
        ("{}", "to is required"),
        ('{"to": "persistent", "force": true}', "Unknown field(s) force"),
        ('{"to": "persistent", "paths": ["../../x"]}', "not a relative path"),
    ],
)
async def test_bad_save_requests_are_400(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], body: str, words: str
) -> None:
    code, error = await refused(jp_fetch, "binder", "api", "work", "save", method="POST", body=body)
    assert code == 400
    assert words in error["message"]
    assert not project.instance.exists()


async def test_a_bad_reminder_window_is_400(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    code, error = await refused(jp_fetch, "binder", "api", "work", params={"remind_days": "soon"})
    assert code == 400 and "remind_days must be a number of days" in error["message"]


async def test_another_project_with_the_hub_down_is_a_clear_error(
    jp_fetch: Any, project: Project, binder_env: dict[str, str]
) -> None:
    code, error = await refused(jp_fetch, "binder", "api", "work", "projects", "o-other-11112222")
    assert code == 502
    assert error["error"] == "hub_unavailable"
    assert "not-a-real-token" not in json.dumps(error)


async def test_a_github_save_outside_a_repository_is_409(
    jp_fetch: Any, project: Project, binder_env: dict[str, str], tmp_path: Path
) -> None:
    import shutil

    shutil.rmtree(project.repo / ".git")
    code, error = await refused(
        jp_fetch, "binder", "api", "work", "save", method="POST", body='{"to": "github"}'
    )
    assert code == 409 and "not in a git repository" in error["message"]
