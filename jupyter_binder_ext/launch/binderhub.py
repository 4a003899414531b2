"""The ``user_options`` BinderHub's launcher sends the hub, for a launch of a given commit.

When the extension starts a server itself (through the hub, with the running image), the new
server must carry the same ``user_options`` a BinderHub launch of that commit would: the hub
shows them, the spawner turns them into ``BINDER_*`` variables, and the extension in the new
server reads its launch from them. The shapes are BinderHub's (jupyterhub/binderhub at
b9fad99): ``builder.py:739-751`` (the keys), ``builder.py:395-401`` (the requests) and
``repoproviders.py`` (repository and ref URLs per provider).
"""

from __future__ import annotations

from typing import Any

from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.launch.spec import (
    GITHUB_HOST,
    REF_PROVIDERS,
    LaunchSpec,
    component_quote,
    github_owner_repo,
    parse_spec,
    path_quote,
)


def spec_for_repository(launch: LaunchInfo, repo_url: str = "") -> LaunchSpec | None:
    """The launch's own spec; else, for a bare repository URL, the gh or git spec BinderHub
    would launch it with (None when neither names a repository)."""
    spec = launch.spec()
    if spec is not None and spec.provider in REF_PROVIDERS and spec.prefix:
        return spec
    # A DOI or a dataset (zenodo, hydroshare...) has no commits: only a git remote can do.
    url = repo_url if spec is not None else launch.repo_url or repo_url
    if not url:
        return None
    owner_repo = github_owner_repo(url)
    if owner_repo:
        owner, repo = owner_repo
        return parse_spec(f"v2/gh/{owner}/{repo}/", f"https://{GITHUB_HOST}/{owner}/{repo}")
    return parse_spec(f"v2/git/{component_quote(url)}/HEAD")


def _ref_url(spec: LaunchSpec, sha: str) -> str:
    if spec.provider == "gh":  # repoproviders.py:967
        return f"https://{spec.host}/{spec.owner}/{spec.repo}/tree/{sha}"
    if spec.provider == "gl":  # repoproviders.py:850
        namespace = f"{spec.owner}/{spec.repo}" if spec.owner else spec.repo
        return f"https://{spec.host}/{namespace}/tree/{sha}"
    if spec.provider == "gist":  # repoproviders.py:1168
        return f"https://gist.github.com/{spec.owner}/{spec.repo}/{sha}"
    return spec.repo_url  # git, repoproviders.py:711: "not possible to construct ref url"


def user_options_for(
    launch: LaunchInfo, sha: str, branch: str = "", repo_url: str = "", image: str = ""
) -> dict[str, Any]:
    """BinderHub's ``user_options`` for launching `sha`, asked for as `branch` (or the sha).

    ``image`` is the image to run (the current one when only ``.resources`` changed); it is
    left out when empty, as the hub's spawner then picks its own.
    """
    spec = spec_for_repository(launch, repo_url)
    if spec is None:
        # No repository is known (a plain hub, no remote): only what the hub needs to start.
        bare: dict[str, Any] = {"repo_url": ""}
        if image:
            bare["image"] = image
        return bare
    asked = branch or sha
    options: dict[str, Any] = {
        # builder.py:326 repo_url = provider.get_repo_url(): as BinderHub passed it before
        "repo_url": launch.repo_url if launch.spec() == spec and launch.repo_url else spec.repo_url,
        "binder_ref_url": _ref_url(spec, sha),
        "binder_launch_host": launch.launch_host,
        # builder.py:395-401: the request as typed in the link, the persistent one resolved
        "binder_request": f"v2/{spec.provider}/{spec.prefix}/{path_quote(asked)}",
        "binder_persistent_request": f"v2/{spec.provider}/{spec.prefix}/{sha}",
    }
    if image:
        options["image"] = image
    return options
