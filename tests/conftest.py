"""Shared fixtures: a Jupyter server with the extension enabled (pytest-jupyter)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from fixtures.answer_types import check_answer
from fixtures.launch_env import BINDER_ENV

from jupyter_binder_ext.config import SITE_ENV

pytest_plugins = ("pytest_jupyter.jupyter_server", "fixtures.sshd", "fixtures.gitrepo")


@pytest.fixture
def jp_server_config(jp_server_config):  # type: ignore[no-untyped-def]
    return {"ServerApp": {"jpserver_extensions": {"jupyter_binder_ext": True}}}


@pytest.fixture
def jp_fetch(jp_fetch):  # type: ignore[no-untyped-def]
    """pytest-jupyter's jp_fetch, with every binder/api answer checked against its declared
    type (jupyter_binder_ext/server/answers.py): every state a test builds checks the types."""

    async def fetch(*parts: str, **kwargs: Any) -> Any:
        response = await jp_fetch(*parts, **kwargs)
        if parts[:2] == ("binder", "api") and response.body:
            method = kwargs.get("method", "GET")
            check_answer(method, "/".join(parts[2:]), response.code, response.body)
        return response

    return fetch


@pytest.fixture
def binder_env(monkeypatch):  # type: ignore[no-untyped-def]
    """A BinderHub-shaped environment, as KubeSpawner sets it for a launch of o/r@main."""
    values = dict(BINDER_ENV)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture(autouse=True)
def _forget_published_site():  # type: ignore[no-untyped-def]
    """A server started in this process publishes its site in os.environ; later tests' CLI
    processes and magics must not inherit it."""
    yield
    os.environ.pop(SITE_ENV, None)
