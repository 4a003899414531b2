"""``GET work`` inside a real JupyterHub (the demo hub): the deletion date is the hub's, and
another project's summary is refused plainly where the hub does not grant
``access:servers!user`` (the demo grants read, manage and delete, not access)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_binder_ext.demo.runner import DemoHub

pytest_plugins = ("fixtures.realhub",)

USER = "wendy"
HERE, OTHER = "w-here", "w-other"


@pytest.fixture
def two_projects(real_hub: DemoHub) -> Iterator[str]:
    for name, repo in ((HERE, "r"), (OTHER, "sib")):
        real_hub.start_server(USER, name, real_hub.binder_options("o", repo))
    try:
        yield real_hub.user_token(USER)
    finally:
        real_hub.remove_servers(USER)


def test_deletion_date_and_a_plain_refusal_for_another_project(
    real_hub: DemoHub, two_projects: str
) -> None:
    status, work = real_hub.server_api(two_projects, USER, HERE, "binder/api/work")
    assert status == 200, work
    status, projects = real_hub.server_api(two_projects, USER, HERE, "binder/api/projects")
    assert status == 200, projects
    here: dict[str, Any] = next(s for s in projects["servers"] if s["name"] == HERE)
    assert work["deletion"]["known"] is True
    assert work["deletion"]["expires_at"] == here["expires_at"]
    assert work["deletion"]["message"].startswith("If left idle, this project is deleted in 7 days")

    status, refused = real_hub.server_api(
        two_projects, USER, HERE, f"binder/api/work/projects/{OTHER}"
    )
    assert status == 403, refused
    assert refused["error"] == "missing_scopes"
    assert refused["scopes"] == ["access:servers!user"]
    assert "does not let this notebook reach your other projects" in refused["message"]
