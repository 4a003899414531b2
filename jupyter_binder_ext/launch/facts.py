"""What was launched, as read from the spawner's environment: :class:`LaunchInfo`.

BinderHub passes the launch through environment variables (``BINDER_*``, set by
``BinderSpawnerMixin.get_env`` from the ``user_options`` its launcher sends) and JupyterHub adds
its own (``JUPYTERHUB_*``). :func:`gather_launch` reads them once into the frozen
:class:`LaunchInfo` every domain reads (relaunch, work, projects, persistence); the spec is
split by :mod:`.spec` as BinderHub's provider class splits it. No sentence for the user is
made here: :func:`.builders.build_launch` makes the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from urllib.parse import quote

from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.launch.messages import launch_message
from jupyter_binder_ext.launch.spec import (
    REF_PROVIDERS,
    LaunchSpec,
    github_owner_repo,
    launch_spec,
    path_quote,
    resolved_ref,
)

IMAGE_VARIABLES = ("JUPYTER_IMAGE_SPEC", "JUPYTER_IMAGE")

# Before late 2019 BinderHub passed whole URLs (values.yaml get_env at 1ea35dec^, :108-111):
# BINDER_URL = {proto}://{host}{base_url}v2/{provider}/{spec}, BINDER_PERSISTENT_URL alike.
_LEGACY_URL = re.compile(r"^(?P<host>[a-z][a-z0-9+.-]*://.*?/)(?P<request>v2/[^/]+/.+)$")


@dataclass(frozen=True)
class LaunchInfo:
    """This server's launch: the values BinderHub and JupyterHub passed, as parsed.

    The fields keep what BinderHub passed, credentials included (a relaunch needs the real
    repository URL); :func:`.builders.build_launch` hides them in the answer.
    """

    under_hub: bool
    under_binder: bool
    user: str
    server_name: str
    repo_url: str
    provider: str  # "gh", "gl", "git", ... ("" when no spec is known)
    owner: str
    repo: str
    ref: str  # as asked (a branch, a tag or a commit)
    resolved_ref: str  # the commit BinderHub built
    ref_url: str
    launch_host: str  # with its trailing "/"
    request: str
    persistent_request: str
    is_github: bool  # a repository on github.com itself (not GitHub Enterprise)
    hub_url: str
    hub_api_url: str
    control_panel_url: str
    image: str
    image_source: str  # the variable the image came from

    def spec(self) -> LaunchSpec | None:
        """The launch spec, as BinderHub's provider class splits it."""
        return launch_spec(self.request, self.persistent_request, self.repo_url)

    def launch_url_for(self, ref: str, labpath: str = "") -> str:
        """BinderHub's link that launches `ref` of this repository (empty if none can).

        Only providers whose spec ends in a git ref (gh, gl, git, gist) launch a given commit;
        the repository part is written as in BinderHub's persistent request, the ref as its
        link generator writes it (unencoded, ``/`` kept), and a labpath without its leading
        ``/`` (binderhub-client spec.js: "Ensure no leading /").
        """
        spec = self.spec()
        if not (self.launch_host and spec and spec.provider in REF_PROVIDERS and spec.prefix):
            return ""
        url = f"{self.launch_host}v2/{spec.provider}/{spec.prefix}/{path_quote(ref)}"
        labpath = labpath.lstrip("/")
        if labpath:
            url += "?labpath=" + quote(labpath, safe="/")
        return url

    @property
    def launch_url(self) -> str:
        """The link that launches this very commit again (empty when none can)."""
        # builder.py:399 + launch host: the link BinderHub itself shows for this launch.
        if self.launch_host and self.persistent_request:
            return f"{self.launch_host}{self.persistent_request}"
        return self.launch_url_for(self.resolved_ref) if self.resolved_ref else ""

    @property
    def message(self) -> str:
        """What the answer says about where this server runs (for callers holding the facts)."""
        return launch_message(self.under_hub, self.under_binder)

    def to_json(self) -> dict[str, str | bool]:
        """The fields with every credential hidden (``LaunchInfo(**...)`` rebuilds one)."""
        return {
            key: redact(value) if isinstance(value, str) else value
            for key, value in asdict(self).items()
        }


def split_legacy(url: str) -> tuple[str, str]:
    """(launch host, request) of a pre-2019 ``BINDER_URL``; empty when it is not one."""
    match = _LEGACY_URL.match(url.strip())
    return (match.group("host"), match.group("request")) if match else ("", "")


def hub_url(env: Mapping[str, str]) -> str:
    """The hub's own pages (``.../hub/``); empty outside a hub."""
    public = env.get("JUPYTERHUB_PUBLIC_HUB_URL", "")
    if public:
        return public if public.endswith("/") else public + "/"
    base = env.get("JUPYTERHUB_BASE_URL", "")
    if not base and not env.get("JUPYTERHUB_API_URL"):
        return ""
    base = base or "/"
    return (base if base.endswith("/") else base + "/") + "hub/"


def _with_slash(host: str) -> str:
    return host + "/" if host and not host.endswith("/") else host


def gather_launch(
    env: Mapping[str, str], *, launch_host: str = "", control_panel_url: str = ""
) -> LaunchInfo:
    """This server's launch from its environment; `launch_host` and `control_panel_url` are
    the site's settings (``c.BinderExt.*``), which win over what the environment says."""
    legacy_host, legacy_request = split_legacy(env.get("BINDER_URL", ""))
    persistent_host, legacy_persistent = split_legacy(env.get("BINDER_PERSISTENT_URL", ""))
    request = (env.get("BINDER_REQUEST", "") or legacy_request).lstrip("/")
    persistent = (env.get("BINDER_PERSISTENT_REQUEST", "") or legacy_persistent).lstrip("/")
    given_repo_url = env.get("BINDER_REPO_URL", "")
    spec = launch_spec(request, persistent, given_repo_url)
    repo_url = given_repo_url or (spec.repo_url if spec else "")
    given_host = env.get("BINDER_LAUNCH_HOST", "") or legacy_host or persistent_host
    ref_url = env.get("BINDER_REF_URL", "")
    resolved = resolved_ref(persistent, ref_url, spec, repo_url)
    if spec and spec.provider == "gh" and resolved and not ref_url:
        ref_url = f"https://{spec.host}/{spec.owner}/{spec.repo}/tree/{resolved}"
    image_source = next((name for name in IMAGE_VARIABLES if env.get(name)), "")
    hub = hub_url(env)
    return LaunchInfo(
        under_hub=bool(env.get("JUPYTERHUB_API_URL")),
        under_binder=bool(request or persistent or given_host or given_repo_url),
        user=env.get("JUPYTERHUB_USER", ""),
        server_name=env.get("JUPYTERHUB_SERVER_NAME", ""),
        repo_url=repo_url,
        provider=spec.provider if spec else "",
        owner=spec.owner if spec else "",
        repo=spec.repo if spec else "",
        ref=spec.ref if spec else "",
        resolved_ref=resolved,
        ref_url=ref_url,
        launch_host=_with_slash(launch_host or given_host),  # the site's setting wins
        request=request,
        persistent_request=persistent,
        is_github=bool(spec and spec.provider in REF_PROVIDERS)
        and bool(github_owner_repo(repo_url)),
        hub_url=hub,
        hub_api_url=env.get("JUPYTERHUB_API_URL", ""),
        control_panel_url=control_panel_url or (hub + "home" if hub else ""),
        image=env.get(image_source, "") if image_source else "",
        image_source=image_source,
    )
