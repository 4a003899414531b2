"""Launch info from exactly what BinderHub passes, for each of its nine providers.

Each case builds the environment the way BinderHub does (jupyterhub/binderhub at b9fad99):
``binderhub/builder.py:395-401`` writes ``binder_request = v2/{provider}/{spec as typed}`` and
``binder_persistent_request = v2/{provider}/{provider.get_resolved_spec()}``,
``builder.py:739-751`` hands them with ``repo_url = provider.get_repo_url()`` and
``binder_ref_url = provider.get_resolved_ref_url()`` to the launcher, and
``binderhub/binderspawner_mixin.py:104-117`` turns them into ``BINDER_*`` variables. What a
provider returns is from ``binderhub/repoproviders.py`` (line cited in each case); the
network answers a provider would need (GitHub's commit, Zenodo's record) are fixed values.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from jupyter_binder_ext.launch.info import read_launch
from jupyter_binder_ext.launch.spec import github_owner_repo, parse_spec

SHA = "0123456789abcdef0123456789abcdef01234567"
HOST = "https://binder.example.org/"


@dataclass(frozen=True)
class Case:
    """What BinderHub passes for one launch, and what the launch section must show."""

    provider: str
    spec: str  # as typed in the launch URL (builder.py:290, raw: percent-escapes kept)
    resolved_spec: str  # provider.get_resolved_spec()
    repo_url: str  # provider.get_repo_url()
    ref_url: str  # provider.get_resolved_ref_url()
    owner: str
    repo: str
    ref: str
    resolved_ref: str
    is_github: bool


def binderhub_env(case: Case, launch_host: str = HOST) -> dict[str, str]:
    """binderspawner_mixin.py:104-117 applied to builder.py:739-751's user_options."""
    user_options = {
        "repo_url": case.repo_url,
        "binder_ref_url": case.ref_url,
        "binder_launch_host": launch_host,
        "binder_request": f"v2/{case.provider}/{case.spec}",
        "binder_persistent_request": f"v2/{case.provider}/{case.resolved_spec}",
        "binder_client_ip": "10.0.0.7",
    }
    env = {"JUPYTERHUB_API_URL": "http://hub:8081/hub/api", "JUPYTERHUB_USER": "alice"}
    env["BINDER_REPO_URL"] = user_options["repo_url"]
    for key in (
        "binder_ref_url",
        "binder_launch_host",
        "binder_persistent_request",
        "binder_request",
        "binder_client_ip",
    ):
        env[key.upper()] = user_options[key]
    return env


CASES = {
    # repoproviders.py:957-961 tokenize_spec + get_repo_url; :967 ref URL; :1109 resolved spec
    "gh_repoproviders_961_get_repo_url": Case(
        "gh",
        "binder-examples/requirements/main",
        f"binder-examples/requirements/{SHA}",
        "https://github.com/binder-examples/requirements",
        f"https://github.com/binder-examples/requirements/tree/{SHA}",
        "binder-examples",
        "requirements",
        "main",
        SHA,
        True,
    ),
    # repoproviders.py:958 strip_suffix(self.repo, ".git"): `Repo.git` is repository `Repo`
    "gh_repoproviders_958_strips_dot_git": Case(
        "gh",
        "Owner/Repo.git/main",
        f"Owner/Repo/{SHA}",
        "https://github.com/Owner/Repo",
        f"https://github.com/Owner/Repo/tree/{SHA}",
        "Owner",
        "Repo",
        "main",
        SHA,
        True,
    ),
    # repoproviders.py:39 split("/", 2): "allow ref to contain /"
    "gh_repoproviders_39_ref_keeps_slash": Case(
        "gh",
        "o/r/feature/x",
        f"o/r/{SHA}",
        "https://github.com/o/r",
        f"https://github.com/o/r/tree/{SHA}",
        "o",
        "r",
        "feature/x",
        SHA,
        True,
    ),
    # repoproviders.py:880 GitHubRepoProvider.hostname (GitHub Enterprise): not github.com
    "gh_repoproviders_880_enterprise_hostname": Case(
        "gh",
        "o/r/main",
        f"o/r/{SHA}",
        "https://github.example.com/o/r",
        f"https://github.example.com/o/r/tree/{SHA}",
        "o",
        "r",
        "main",
        SHA,
        False,
    ),
    # repoproviders.py:1155-1168: user/gist_id[/ref]; repo URL with .git; ref URL .../{sha}
    "gist_repoproviders_1163_get_repo_url": Case(
        "gist",
        "alice/8f7c2f03",
        f"alice/8f7c2f03/{SHA}",
        "https://gist.github.com/alice/8f7c2f03.git",
        f"https://gist.github.com/alice/8f7c2f03/{SHA}",
        "alice",
        "8f7c2f03",
        "",
        SHA,
        False,
    ),
    # repoproviders.py:800-802 unquoted namespace and ref; :838 resolved spec keeps the
    # quoted namespace; :845 repo URL with .git; :850 ref URL .../tree/{sha}
    "gl_repoproviders_845_get_repo_url": Case(
        "gl",
        "group%2Fsub%2Fproj/feature%2Fx",
        f"group%2Fsub%2Fproj/{SHA}",
        "https://gitlab.com/group/sub/proj.git",
        f"https://gitlab.com/group/sub/proj/tree/{SHA}",
        "group/sub",
        "proj",
        "feature/x",
        SHA,
        False,
    ),
    # repoproviders.py:650-665 quoted URL / ref; :704 resolved spec; :711 ref URL = repo URL
    "git_repoproviders_704_get_resolved_spec": Case(
        "git",
        "https%3A%2F%2Fcodeberg.org%2Fa%2Fb.git/main",
        f"https%3A%2F%2Fcodeberg.org%2Fa%2Fb.git/{SHA}",
        "https://codeberg.org/a/b.git",
        "https://codeberg.org/a/b.git",
        "a",
        "b",
        "main",
        SHA,
        False,
    ),
    # repoproviders.py:654-657 GIT_SSH_PATTERN: git@host:path becomes ssh://git@host/path
    "git_repoproviders_657_ssh_shorthand": Case(
        "git",
        "git%40github.com%3Ao%2Fr.git/v1.0",
        f"git%40github.com%3Ao%2Fr.git/{SHA}",
        "ssh://git@github.com/o/r.git",
        "ssh://git@github.com/o/r.git",
        "o",
        "r",
        "v1.0",
        SHA,
        True,
    ),
    # repoproviders.py:287 resolved spec = DOI prefix + "zenodo." + record; :293 repo URL is
    # the DOI as given; :297 ref URL https://doi.org/{resolved spec}
    "zenodo_repoproviders_287_get_resolved_spec": Case(
        "zenodo",
        "10.5281/zenodo.3242073",
        "10.5281/zenodo.3242074",
        "10.5281/zenodo.3242073",
        "https://doi.org/10.5281/zenodo.3242074",
        "",
        "10.5281/zenodo.3242073",
        "",
        "3242074",
        False,
    ),
    # repoproviders.py:355 record id {article}.v{version}; :366 resolved spec; :376 ref URL
    "figshare_repoproviders_366_get_resolved_spec": Case(
        "figshare",
        "10.6084/m9.figshare.9782777",
        "10.6084/m9.figshare.9782777.v3",
        "10.6084/m9.figshare.9782777",
        "https://doi.org/10.6084/m9.figshare.9782777.v3",
        "",
        "10.6084/m9.figshare.9782777",
        "",
        "9782777.v3",
        False,
    ),
    # repoproviders.py:422-426 resolved spec {authority}/{identifier}, ref URL persistentUrl;
    # the record id (dataset version) is not passed on
    "dataverse_repoproviders_422_resolved_spec": Case(
        "dataverse",
        "10.7910/DVN/TJCLKP",
        "10.7910/DVN/TJCLKP",
        "10.7910/DVN/TJCLKP",
        "https://doi.org/10.7910/DVN/TJCLKP",
        "",
        "10.7910/DVN/TJCLKP",
        "",
        "",
        False,
    ),
    # repoproviders.py:501-511: resolved spec and ref URL are the repo URL itself
    "hydroshare_repoproviders_503_resolved_spec_is_repo_url": Case(
        "hydroshare",
        "8f7c2f0341ef4180b0dbe97f59130756",
        "https://www.hydroshare.org/resource/8f7c2f0341ef4180b0dbe97f59130756",
        "https://www.hydroshare.org/resource/8f7c2f0341ef4180b0dbe97f59130756",
        "https://www.hydroshare.org/resource/8f7c2f0341ef4180b0dbe97f59130756",
        "",
        "8f7c2f0341ef4180b0dbe97f59130756",
        "",
        "",
        False,
    ),
    # repoproviders.py:538 unquoted dataset URL; :593 resolved spec and :600 ref URL are it
    "ckan_repoproviders_593_resolved_spec_is_dataset_url": Case(
        "ckan",
        "https%3A%2F%2Fdemo.ckan.org%2Fdataset%2Fsample-dataset-1",
        "https://demo.ckan.org/dataset/sample-dataset-1",
        "https://demo.ckan.org/dataset/sample-dataset-1",
        "https://demo.ckan.org/dataset/sample-dataset-1",
        "",
        "sample-dataset-1",
        "",
        "",
        False,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_launch_info_as_binderhub_passes_it(case: Case) -> None:
    info = read_launch(binderhub_env(case))
    assert info.under_hub and info.under_binder
    assert info.provider == case.provider
    assert (info.owner, info.repo) == (case.owner, case.repo)
    assert info.repo_url == case.repo_url
    assert (info.ref, info.resolved_ref) == (case.ref, case.resolved_ref)
    assert info.ref_url == case.ref_url
    assert info.is_github is case.is_github
    # The "Launch again" link: the one BinderHub shows (launch host + persistent request).
    assert info.launch_url == f"{HOST}v2/{case.provider}/{case.resolved_spec}"
    assert info.request == f"v2/{case.provider}/{case.spec}"


REF_CASES = {k: c for k, c in CASES.items() if c.provider in ("gh", "gl", "git", "gist")}


@pytest.mark.parametrize("case", REF_CASES.values(), ids=REF_CASES.keys())
def test_relaunch_link_at_the_commit_equals_binderhubs_persistent_link(case: Case) -> None:
    info = read_launch(binderhub_env(case))
    assert info.launch_url_for(case.resolved_ref) == info.launch_url


TYPED_REF_LINKS = {
    # builder.py:395 keeps the path as typed; BinderHub's link generator
    # (js/.../LinkGenerator.jsx:130-131) escapes only a gl or git repository, never the ref.
    "gh_repoproviders_39_ref_keeps_slash": f"{HOST}v2/gh/o/r/feature/x",
    "gh_repoproviders_958_strips_dot_git": f"{HOST}v2/gh/Owner/Repo/main",
    "gl_repoproviders_845_get_repo_url": f"{HOST}v2/gl/group%2Fsub%2Fproj/feature/x",
    "git_repoproviders_704_get_resolved_spec": (
        f"{HOST}v2/git/https%3A%2F%2Fcodeberg.org%2Fa%2Fb.git/main"
    ),
    "gist_repoproviders_1163_get_repo_url": f"{HOST}v2/gist/alice/8f7c2f03/HEAD",
}


@pytest.mark.parametrize(("key", "expected"), TYPED_REF_LINKS.items(), ids=TYPED_REF_LINKS.keys())
def test_relaunch_link_for_a_branch_as_binderhubs_link_generator_writes_it(key, expected) -> None:
    case = CASES[key]
    info = read_launch(binderhub_env(case))
    assert info.launch_url_for(case.ref or "HEAD") == expected


def test_gh_labpath_loses_its_leading_slash() -> None:
    # binderhub-client/lib/spec.js:9 "Ensure no leading / here"
    info = read_launch(binderhub_env(CASES["gh_repoproviders_961_get_repo_url"]))
    assert info.launch_url_for("abc", labpath="/nb/a b.ipynb") == (
        f"{HOST}v2/gh/binder-examples/requirements/abc?labpath=nb/a%20b.ipynb"
    )


def test_providers_without_a_ref_have_no_relaunch_link() -> None:
    for key in (
        "zenodo_repoproviders_287_get_resolved_spec",
        "ckan_repoproviders_593_resolved_spec_is_dataset_url",
    ):
        assert read_launch(binderhub_env(CASES[key])).launch_url_for(SHA) == ""


def test_pre_2019_binder_url_and_binder_persistent_url() -> None:
    # values.yaml get_env before binderhub 1ea35dec (Nov 2019), lines 104-111, with
    # builder.py:261-274 of then: whole URLs, host and base_url included.
    env = {
        "JUPYTERHUB_API_URL": "http://hub:8081/hub/api",
        "BINDER_REPO_URL": "https://github.com/o/r",
        "BINDER_REF_URL": f"https://github.com/o/r/tree/{SHA}",
        "BINDER_URL": "https://hub.example.org/services/binder/v2/gh/o/r/main",
        "BINDER_PERSISTENT_URL": f"https://hub.example.org/services/binder/v2/gh/o/r/{SHA}",
    }
    info = read_launch(env)
    assert info.launch_host == "https://hub.example.org/services/binder/"
    assert (info.owner, info.repo, info.ref, info.resolved_ref) == ("o", "r", "main", SHA)
    assert info.launch_url == f"https://hub.example.org/services/binder/v2/gh/o/r/{SHA}"
    assert info.launch_url_for("dev") == "https://hub.example.org/services/binder/v2/gh/o/r/dev"


def test_image_from_jupyter_image_when_jupyter_image_spec_is_absent() -> None:
    # kubespawner/spawner.py:2581-2582 sets both; other spawners may set only one.
    env = binderhub_env(CASES["gh_repoproviders_961_get_repo_url"])
    assert (read_launch(env).image, read_launch(env).image_source) == ("", "")
    info = read_launch({**env, "JUPYTER_IMAGE": "registry/r:abc"})
    assert (info.image, info.image_source) == ("registry/r:abc", "JUPYTER_IMAGE")
    info = read_launch({**env, "JUPYTER_IMAGE": "x", "JUPYTER_IMAGE_SPEC": "registry/r:abc"})
    assert (info.image, info.image_source) == ("registry/r:abc", "JUPYTER_IMAGE_SPEC")


@pytest.mark.parametrize(
    ("request_", "repo_url", "owner", "repo", "ref"),
    [
        ("v2/gh/o/r.git/HEAD", "", "o", "r", "HEAD"),
        ("v2/gl/g%2Fp.git/main", "https://gitlab.example.org/g/p.git.git", "g", "p", "main"),
        ("v2/gist/u/g", "", "u", "g", ""),
    ],
)
def test_parse_spec_without_a_persistent_request(request_, repo_url, owner, repo, ref) -> None:
    spec = parse_spec(request_, repo_url)
    assert spec is not None
    assert (spec.owner, spec.repo, spec.ref) == (owner, repo, ref)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/o/r", ("o", "r")),
        ("https://github.com/o/r.git", ("o", "r")),
        ("git@github.com:o/r.git", ("o", "r")),
        ("ssh://git@github.com/o/r.git", ("o", "r")),
        ("https://github.example.com/o/r", None),
        ("https://gist.github.com/o/r.git", None),
        ("https://www.github.com/o/r", None),
        ("https://github.com.evil.example/o/r", None),
        ("https://github.com/o", None),
    ],
)
def test_github_owner_repo_only_on_github_com(url, expected) -> None:
    assert github_owner_repo(url) == expected


def test_a_site_launch_host_alone_is_no_binderhub_launch() -> None:
    env = {"JUPYTERHUB_API_URL": "http://hub:8081/hub/api"}
    info = read_launch(env, launch_host="https://binder.example.org")
    assert not info.under_binder and info.launch_host == "https://binder.example.org/"
    # ...but it is where BinderHub's links point when the launch names no host
    case = CASES["gh_repoproviders_961_get_repo_url"]
    env = {k: v for k, v in binderhub_env(case).items() if k != "BINDER_LAUNCH_HOST"}
    info = read_launch(env, launch_host="https://b2.example.org/")
    assert info.under_binder
    assert info.launch_url == f"https://b2.example.org/v2/gh/{case.resolved_spec}"
