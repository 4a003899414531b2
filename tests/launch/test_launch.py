"""Launch info: BinderHub launch specs and the spawner environment, parsed in the core."""

from __future__ import annotations

import json

import pytest

from jupyter_binder_ext.launch.info import read_launch
from jupyter_binder_ext.launch.spec import github_owner_repo, parse_spec

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("request_", "provider", "owner", "repo", "ref", "repo_url"),
    [
        ("v2/gh/o/r/main", "gh", "o", "r", "main", "https://github.com/o/r"),
        ("v2/gh/o/r/feature/x", "gh", "o", "r", "feature/x", "https://github.com/o/r"),
        (
            "v2/gl/group%2Fsub%2Fproj/v1.0",
            "gl",
            "group/sub",
            "proj",
            "v1.0",
            "https://gitlab.com/group/sub/proj.git",
        ),
        (
            "v2/git/https%3A%2F%2Fcodeberg.org%2Fa%2Fb.git/" + SHA,
            "git",
            "a",
            "b",
            SHA,
            "https://codeberg.org/a/b.git",
        ),
        (
            "v2/zenodo/10.5281/zenodo.3242074",
            "zenodo",
            "",
            "10.5281/zenodo.3242074",
            "",
            "10.5281/zenodo.3242074",
        ),
    ],
)
def test_parse_spec(request_, provider, owner, repo, ref, repo_url):
    spec = parse_spec(request_)
    assert spec is not None
    assert (spec.provider, spec.owner, spec.repo, spec.ref, spec.repo_url) == (
        provider,
        owner,
        repo,
        ref,
        repo_url,
    )
    assert spec.is_github is (provider == "gh")  # github.com, as no repo URL says otherwise


def test_parse_spec_rejects_non_specs():
    assert parse_spec("") is None
    assert parse_spec("v2") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/o/r", ("o", "r")),
        ("https://github.com/o/r.git", ("o", "r")),
        ("git@github.com:o/r.git", ("o", "r")),
        ("https://gitlab.com/o/r", None),
        ("https://github.com.evil.example/o/r", None),
        ("https://github.com/o", None),
    ],
)
def test_github_owner_repo(url, expected):
    assert github_owner_repo(url) == expected


def test_read_launch_binderhub_env(binder_env):
    info = read_launch()
    assert info.under_hub and info.under_binder
    assert (info.user, info.server_name) == ("alice", "o-r-ab12cd34")
    assert (info.provider, info.owner, info.repo, info.ref) == ("gh", "o", "r", "main")
    assert info.resolved_ref == SHA
    assert info.is_github
    assert info.launch_url == f"https://binder.example.org/v2/gh/o/r/{SHA}"
    assert info.hub_url == "/hub/"
    assert info.control_panel_url == "/hub/home"
    assert info.launch_url_for("abc", labpath="nb/a b.ipynb") == (
        "https://binder.example.org/v2/gh/o/r/abc?labpath=nb/a%20b.ipynb"
    )


def test_read_launch_resolves_ref_from_ref_url_when_no_persistent_request():
    env = {
        "JUPYTERHUB_API_URL": "http://hub/hub/api",
        "BINDER_REQUEST": "v2/gh/o/r/main",
        "BINDER_REF_URL": f"https://github.com/o/r/tree/{SHA}",
        "BINDER_LAUNCH_HOST": "https://b.example/",
    }
    info = read_launch(env)
    assert info.resolved_ref == SHA
    assert info.launch_url == f"https://b.example/v2/gh/o/r/{SHA}"


def test_read_launch_public_hub_url_and_configured_control_panel():
    env = {
        "JUPYTERHUB_API_URL": "http://hub:8081/hub/api",
        "JUPYTERHUB_PUBLIC_HUB_URL": "https://h.example/hub",
    }
    assert read_launch(env).control_panel_url == "https://h.example/hub/home"
    assert read_launch(env, control_panel_url="https://cp/").control_panel_url == "https://cp/"


def test_read_launch_non_github_repo():
    env = {
        "JUPYTERHUB_API_URL": "http://hub/hub/api",
        "BINDER_REQUEST": "v2/gl/g%2Fp/main",
        "BINDER_LAUNCH_HOST": "https://b.example/",
    }
    info = read_launch(env)
    assert info.provider == "gl"
    assert not info.is_github
    # No commit is known, so there is no link that relaunches the exact commit; a link for
    # a given commit is BinderHub's gl form (repoproviders.py:838).
    assert info.launch_url == ""
    assert info.launch_url_for("abc") == "https://b.example/v2/gl/g%2Fp/abc"


def test_read_launch_without_hub():
    info = read_launch({})
    assert not info.under_hub
    assert info.message.startswith("Not running under JupyterHub")
    assert info.hub_url == "" and info.control_panel_url == ""


def test_read_launch_hub_without_binder():
    info = read_launch({"JUPYTERHUB_API_URL": "http://hub/hub/api", "JUPYTERHUB_USER": "u"})
    assert info.under_hub and not info.under_binder
    assert "not launched by a BinderHub" in info.message


async def test_launch_endpoint(jp_fetch, binder_env):
    response = await jp_fetch("binder", "api", "launch")
    data = json.loads(response.body)
    assert data["repo_url"] == "https://github.com/o/r"
    assert data["resolved_ref"] == SHA
    assert data["is_github"] is True


async def test_launch_endpoint_outside_hub(jp_fetch, monkeypatch):
    for key in ("JUPYTERHUB_API_URL", "BINDER_REQUEST", "BINDER_REPO_URL", "BINDER_LAUNCH_HOST"):
        monkeypatch.delenv(key, raising=False)
    data = json.loads((await jp_fetch("binder", "api", "launch")).body)
    assert data["under_hub"] is False
    assert "Not running under JupyterHub" in data["message"]


def test_a_token_in_the_repository_url_is_never_shown() -> None:
    """BinderHub passes a private repository's URL as given (git provider), credentials
    included; the launch answer and its text hide them, the relaunch keeps the real URL."""
    from jupyter_binder_ext.launch.info import describe_launch, read_launch

    env = {
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_SERVER_NAME": "s",
        "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",
        "BINDER_REPO_URL": "https://oauth2:GLSECRET@gitlab.com/o/r",
        "BINDER_LAUNCH_HOST": "https://binder.example.org/",
        "BINDER_REQUEST": "v2/git/https%3A%2F%2Foauth2%3AGLSECRET%40gitlab.com%2Fo%2Fr/main",
        "BINDER_PERSISTENT_REQUEST": (
            "v2/git/https%3A%2F%2Foauth2%3AGLSECRET%40gitlab.com%2Fo%2Fr/"
            "0123456789abcdef0123456789abcdef01234567"
        ),
    }
    info = read_launch(env)
    assert "GLSECRET" in info.repo_url  # kept for the relaunch's user_options
    shown = info.to_json()
    assert "GLSECRET" not in str(shown)
    assert shown["repo_url"] == "https://***@gitlab.com/o/r"
    assert "GLSECRET" not in describe_launch(info)
