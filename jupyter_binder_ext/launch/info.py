"""What was launched: the repository, the commit and the links, from the spawner's environment.

BinderHub passes the launch through environment variables (``BINDER_*``) and JupyterHub adds
its own (``JUPYTERHUB_*``). Everything here is derived from a plain mapping, so it is cheap
to call on every request and easy to test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, unquote, urlparse

from jupyter_binder_ext.common.units import SHA_RE

# BinderHub's repo providers, as they appear in a launch spec (`v2/<provider>/...`).
PROVIDER_NAMES = {
    "gh": "GitHub",
    "gl": "GitLab",
    "git": "Git repository",
    "gist": "GitHub Gist",
    "zenodo": "Zenodo",
    "figshare": "Figshare",
    "hydroshare": "HydroShare",
    "dataverse": "Dataverse",
    "ckan": "CKAN",
}


@dataclass(frozen=True)
class LaunchSpec:
    """A BinderHub launch spec split into its parts."""

    provider: str
    owner: str
    repo: str
    ref: str
    repo_url: str

    @property
    def is_github(self) -> bool:
        return self.provider == "gh"


def parse_spec(request: str) -> LaunchSpec | None:
    """Parse ``v2/gh/owner/repo/ref`` (and the gl, git, zenodo... forms); None if not a spec."""
    path = request.split("?", 1)[0].strip("/")
    parts = path.split("/")
    if parts and parts[0] == "v2":
        parts = parts[1:]
    if len(parts) < 2:
        return None
    provider, rest = parts[0], parts[1:]
    if provider == "gh" and len(rest) >= 3:
        owner, repo, ref = rest[0], rest[1], "/".join(rest[2:])
        return LaunchSpec(provider, owner, repo, unquote(ref), f"https://github.com/{owner}/{repo}")
    if provider == "gl" and len(rest) >= 2:
        # GitLab escapes the project path (group%2Fsub%2Fproject) into one segment.
        project, ref = unquote(rest[0]), unquote("/".join(rest[1:]))
        owner, _, repo = project.rpartition("/")
        return LaunchSpec(provider, owner, repo, ref, f"https://gitlab.com/{project}")
    if provider == "git" and len(rest) >= 2:
        url, ref = unquote(rest[0]), unquote("/".join(rest[1:]))
        owner, repo = _owner_repo_from_url(url)
        return LaunchSpec(provider, owner, repo, ref, url)
    if provider == "gist" and len(rest) >= 2:
        owner, gist = rest[0], rest[1]
        ref = "/".join(rest[2:]) or "HEAD"
        return LaunchSpec(provider, owner, gist, ref, f"https://gist.github.com/{owner}/{gist}")
    if provider == "zenodo":
        doi = unquote("/".join(rest))
        return LaunchSpec(provider, "", doi, "", f"https://doi.org/{doi}")
    ident = unquote("/".join(rest))
    return LaunchSpec(provider, "", ident, "", "")


def _owner_repo_from_url(url: str) -> tuple[str, str]:
    path = urlparse(url).path if "://" in url else url.split(":", 1)[-1]
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    owner, _, repo = path.rpartition("/")
    return owner, repo


def github_owner_repo(repo_url: str) -> tuple[str, str] | None:
    """(owner, repo) when the URL points at github.com (https or ssh form), else None."""
    url = repo_url.strip()
    if url.startswith("git@github.com:"):
        owner, repo = _owner_repo_from_url(url)
    else:
        parsed = urlparse(url)
        if parsed.hostname not in ("github.com", "www.github.com"):
            return None
        owner, repo = _owner_repo_from_url(url)
    if not owner or not repo or "/" in owner:
        return None
    return owner, repo


def _resolved_ref(env: Mapping[str, str], spec: LaunchSpec | None) -> str:
    persistent = parse_spec(env.get("BINDER_PERSISTENT_REQUEST", ""))
    if persistent and persistent.ref:
        return persistent.ref
    ref_url = env.get("BINDER_REF_URL", "")
    match = re.search(r"/(?:tree|commit|-/tree)/([^/?#]+)", ref_url)
    if match:
        return match.group(1)
    if spec and SHA_RE.match(spec.ref):
        return spec.ref
    return ""


@dataclass(frozen=True)
class LaunchInfo:
    """The answer of ``GET binder/api/launch``."""

    under_hub: bool
    under_binder: bool
    user: str
    server_name: str
    repo_url: str
    provider: str
    provider_name: str
    owner: str
    repo: str
    ref: str
    resolved_ref: str
    ref_url: str
    launch_host: str
    launch_url: str
    is_github: bool
    hub_url: str
    hub_api_url: str
    control_panel_url: str
    image: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def launch_url_for(self, ref: str, labpath: str = "") -> str:
        """A BinderHub link that launches `ref` of this repository (empty if not possible)."""
        if not (self.launch_host and self.provider == "gh" and self.owner and self.repo):
            return ""
        url = f"{self.launch_host}v2/gh/{self.owner}/{self.repo}/{quote(ref, safe='')}"
        if labpath:
            url += "?labpath=" + quote(labpath, safe="/")
        return url


def _hub_url(env: Mapping[str, str]) -> str:
    public = env.get("JUPYTERHUB_PUBLIC_HUB_URL", "")
    if public:
        return public if public.endswith("/") else public + "/"
    base = env.get("JUPYTERHUB_BASE_URL", "")
    if not base and not env.get("JUPYTERHUB_API_URL"):
        return ""
    base = base or "/"
    return (base if base.endswith("/") else base + "/") + "hub/"


def read_launch(
    env: Mapping[str, str] | None = None,
    *,
    launch_host: str = "",
    control_panel_url: str = "",
) -> LaunchInfo:
    """Describe this server's launch from its environment (``os.environ`` by default)."""
    env = os.environ if env is None else env
    request = env.get("BINDER_REQUEST", "") or env.get("BINDER_PERSISTENT_REQUEST", "")
    spec = parse_spec(request) if request else None
    repo_url = env.get("BINDER_REPO_URL", "") or (spec.repo_url if spec else "")
    if spec is None and repo_url:
        owner_repo = github_owner_repo(repo_url)
        if owner_repo:
            spec = LaunchSpec("gh", owner_repo[0], owner_repo[1], "", repo_url)
    under_hub = bool(env.get("JUPYTERHUB_API_URL"))
    under_binder = bool(request or env.get("BINDER_LAUNCH_HOST") or env.get("BINDER_REPO_URL"))
    host = launch_host or env.get("BINDER_LAUNCH_HOST", "")
    if host and not host.endswith("/"):
        host += "/"
    resolved = _resolved_ref(env, spec)
    persistent = env.get("BINDER_PERSISTENT_REQUEST", "").lstrip("/")
    if not persistent and spec and spec.provider == "gh" and resolved:
        persistent = f"v2/gh/{spec.owner}/{spec.repo}/{resolved}"
    launch_url = f"{host}{persistent}" if host and persistent else ""
    is_github = bool(spec and spec.is_github) or bool(github_owner_repo(repo_url))
    hub_url = _hub_url(env)
    if not under_hub:
        message = "Not running under JupyterHub: there is no launch to describe."
    elif not under_binder:
        message = "Running under JupyterHub, but not launched by a BinderHub."
    else:
        message = ""
    ref_url = env.get("BINDER_REF_URL", "")
    if not ref_url and is_github and resolved and spec:
        ref_url = f"https://github.com/{spec.owner}/{spec.repo}/tree/{resolved}"
    return LaunchInfo(
        under_hub=under_hub,
        under_binder=under_binder,
        user=env.get("JUPYTERHUB_USER", ""),
        server_name=env.get("JUPYTERHUB_SERVER_NAME", ""),
        repo_url=repo_url,
        provider=spec.provider if spec else "",
        provider_name=PROVIDER_NAMES.get(spec.provider, spec.provider) if spec else "",
        owner=spec.owner if spec else "",
        repo=spec.repo if spec else "",
        ref=spec.ref if spec else "",
        resolved_ref=resolved,
        ref_url=ref_url,
        launch_host=host,
        launch_url=launch_url,
        is_github=is_github,
        hub_url=hub_url,
        hub_api_url=env.get("JUPYTERHUB_API_URL", ""),
        control_panel_url=control_panel_url or (hub_url + "home" if hub_url else ""),
        image=env.get("JUPYTER_IMAGE_SPEC", ""),
        message=message,
    )


def describe_launch(info: LaunchInfo) -> str:
    """Readable text for the magics and the CLI."""
    if not info.under_hub:
        return info.message
    lines = [f"User:        {info.user}", f"Server:      {info.server_name or '(default)'}"]
    if info.repo_url:
        lines.append(f"Repository:  {info.repo_url} ({info.provider_name or 'unknown provider'})")
    if info.ref:
        lines.append(f"Ref:         {info.ref}")
    if info.resolved_ref:
        lines.append(f"Commit:      {info.resolved_ref}")
    if info.launch_url:
        lines.append(f"Relaunch:    {info.launch_url}")
    if info.control_panel_url:
        lines.append(f"Projects:    {info.control_panel_url}")
    if info.repo_url and not info.is_github:
        lines.append("Note: the site honours .resources only for repositories on github.com.")
    if info.message:
        lines.append(info.message)
    return "\n".join(lines)
