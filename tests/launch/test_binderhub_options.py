"""The hub ``user_options`` for a launch of a new commit equal BinderHub's, for each provider.

Expected values are what BinderHub (jupyterhub/binderhub at b9fad99) would send the hub for
the link ``v2/{provider}/{repository}/feature/y`` resolving to ``NEW``: keys from
``builder.py:739-751``, requests from ``builder.py:395-401``, repository and ref URLs from the
provider's ``get_repo_url`` / ``get_resolved_ref_url`` in ``repoproviders.py``.
"""

from __future__ import annotations

import pytest

from jupyter_binder_ext.launch.binderhub import user_options_for
from jupyter_binder_ext.launch.info import read_launch
from tests.launch.test_binderhub_providers import CASES, HOST, binderhub_env

NEW = "fedcba9876543210fedcba9876543210fedcba98"

EXPECTED = {
    # repoproviders.py:961 and :967
    "gh_repoproviders_958_strips_dot_git": {
        "repo_url": "https://github.com/Owner/Repo",
        "binder_ref_url": f"https://github.com/Owner/Repo/tree/{NEW}",
        "binder_request": "v2/gh/Owner/Repo/feature/y",
        "binder_persistent_request": f"v2/gh/Owner/Repo/{NEW}",
    },
    # GitHub Enterprise keeps its host (repoproviders.py:880, :961, :967)
    "gh_repoproviders_880_enterprise_hostname": {
        "repo_url": "https://github.example.com/o/r",
        "binder_ref_url": f"https://github.example.com/o/r/tree/{NEW}",
        "binder_request": "v2/gh/o/r/feature/y",
        "binder_persistent_request": f"v2/gh/o/r/{NEW}",
    },
    # repoproviders.py:838, :845, :850
    "gl_repoproviders_845_get_repo_url": {
        "repo_url": "https://gitlab.com/group/sub/proj.git",
        "binder_ref_url": f"https://gitlab.com/group/sub/proj/tree/{NEW}",
        "binder_request": "v2/gl/group%2Fsub%2Fproj/feature/y",
        "binder_persistent_request": f"v2/gl/group%2Fsub%2Fproj/{NEW}",
    },
    # repoproviders.py:704, :707, :711
    "git_repoproviders_704_get_resolved_spec": {
        "repo_url": "https://codeberg.org/a/b.git",
        "binder_ref_url": "https://codeberg.org/a/b.git",
        "binder_request": "v2/git/https%3A%2F%2Fcodeberg.org%2Fa%2Fb.git/feature/y",
        "binder_persistent_request": f"v2/git/https%3A%2F%2Fcodeberg.org%2Fa%2Fb.git/{NEW}",
    },
    # repoproviders.py:1163, :1168, :1204
    "gist_repoproviders_1163_get_repo_url": {
        "repo_url": "https://gist.github.com/alice/8f7c2f03.git",
        "binder_ref_url": f"https://gist.github.com/alice/8f7c2f03/{NEW}",
        "binder_request": "v2/gist/alice/8f7c2f03/feature/y",
        "binder_persistent_request": f"v2/gist/alice/8f7c2f03/{NEW}",
    },
}


@pytest.mark.parametrize(("key", "expected"), EXPECTED.items(), ids=EXPECTED.keys())
def test_user_options_for_a_new_commit_equal_binderhubs(key, expected) -> None:
    info = read_launch(binderhub_env(CASES[key]))
    options = user_options_for(info, NEW, "feature/y", image="registry/img:abc")
    assert options == {**expected, "binder_launch_host": HOST, "image": "registry/img:abc"}
    # and the link the extension offers for it is the one BinderHub would be asked for
    assert info.launch_url_for("feature/y") == HOST + expected["binder_request"]


def test_user_options_without_a_launch_follow_the_repository_url() -> None:
    # Not launched by a BinderHub (the demo's plain hub): gh for github.com, git otherwise.
    bare = read_launch({"JUPYTERHUB_API_URL": "http://hub/hub/api"})
    gh = user_options_for(bare, NEW, "main", repo_url="git@github.com:o/r.git")
    assert gh["binder_persistent_request"] == f"v2/gh/o/r/{NEW}"
    assert gh["repo_url"] == "https://github.com/o/r"
    git = user_options_for(bare, NEW, "", repo_url="https://git.example.org/a/b.git")
    assert git["binder_request"] == f"v2/git/https%3A%2F%2Fgit.example.org%2Fa%2Fb.git/{NEW}"
    assert "image" not in git
    # no repository at all: nothing BinderHub-shaped to claim
    assert user_options_for(bare, NEW, "main") == {"repo_url": ""}


@pytest.mark.parametrize(
    "key",
    [
        "zenodo_repoproviders_287_get_resolved_spec",
        "hydroshare_repoproviders_503_resolved_spec_is_repo_url",
    ],
)
def test_providers_without_a_ref_are_launched_as_git_of_a_given_remote(key) -> None:
    # A DOI or a dataset has no commits: a relaunch can only go through the git remote the
    # notebook pushed to, as BinderHub's git provider would launch it (repoproviders.py:704).
    info = read_launch(binderhub_env(CASES[key]))
    options = user_options_for(info, NEW, "main", repo_url="https://git.example.org/a/b.git")
    assert options["binder_persistent_request"] == (
        f"v2/git/https%3A%2F%2Fgit.example.org%2Fa%2Fb.git/{NEW}"
    )
