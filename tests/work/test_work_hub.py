"""``GET work`` inside a real JupyterHub (the demo hub): the deletion date is the hub's, and
another project's summary is refused plainly where the hub does not grant
``access:servers!user`` (the demo grants read, manage and delete, not access)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_binder_ext.common.readable import local_date
from jupyter_binder_ext.demo.runner import DemoHub
from jupyter_binder_ext.work.text import describe_work

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
    # One readable form: words in the message, the ISO date only in the JSON field.
    assert here["expires_at"] not in work["deletion"]["message"]
    assert here["expires_at"] not in work["message"]
    text = describe_work(work)
    assert here["expires_at"] not in text
    assert f"Deletion date: {local_date(here['expires_at'])}" in text

    status, refused = real_hub.server_api(
        two_projects, USER, HERE, f"binder/api/work/projects/{OTHER}"
    )
    assert status == 403, refused
    assert refused["error"] == "missing_scopes"
    assert refused["scopes"] == ["access:servers!user"]
    assert "does not let this notebook reach your other projects" in refused["message"]


async def test_where_the_hub_grants_access_another_projects_summary_is_read(
    real_hub: DemoHub, two_projects: str
) -> None:
    """The same request from a process whose token the hub grants ``access:servers!user``
    (a token of the user with that scope: what a server token gets once an admin adds it to
    ``c.Spawner.server_token_scopes``)."""
    from jupyter_binder_ext.config import SiteConfig
    from jupyter_binder_ext.state import ExtensionState

    token = real_hub.user_token(USER, scopes=["read:servers!user", "access:servers!user"])
    env = {
        "JUPYTERHUB_USER": USER,
        "JUPYTERHUB_SERVER_NAME": HERE,
        "JUPYTERHUB_API_URL": real_hub.hub_api_url,
        "JUPYTERHUB_API_TOKEN": token,
        "JUPYTERHUB_BASE_URL": "/",
        "JUPYTERHUB_PUBLIC_HUB_URL": real_hub.url + "hub/",
    }
    state = ExtensionState(SiteConfig(hub_request_timeout=10.0), env=env)
    answer = await state.sibling_work(OTHER)
    assert answer["name"] == OTHER
    assert answer["message"].startswith(f"Read from {OTHER} through the hub's proxy")
    # The summary is the other server's own: its repository and its deletion date.
    status, theirs = real_hub.server_api(two_projects, USER, OTHER, "binder/api/work")
    assert status == 200
    status, ours = real_hub.server_api(two_projects, USER, HERE, "binder/api/work")
    assert status == 200
    assert answer["work"]["repository"] == theirs["repository"] != ours["repository"]
    assert answer["work"]["deletion"]["known"] is True
    assert token not in str(answer)
