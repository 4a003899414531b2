"""A BinderHub launch spec (``v2/<provider>/<spec>``) split as BinderHub's provider classes
split it (``binderhub/repoproviders.py``), and the links BinderHub writes for one.

Pure: strings in, strings out. :mod:`.facts` reads the spec from the spawner's environment;
:mod:`.binderhub` writes one back as ``user_options``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
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
# Providers whose spec ends in a git ref: BinderHub can launch any commit of them.
REF_PROVIDERS = ("gh", "gl", "git", "gist")
GITHUB_HOST = "github.com"

# repoproviders.py: GIT_SSH_PATTERN maps `user@host:path` to `ssh://user@host/path`.
_GIT_SSH = re.compile(r"([\w\-]+@[\w\-\.]+):(.+)", re.IGNORECASE)
# repoproviders.py HydroshareProvider.url_regex: the resource id anywhere in the spec.
_HYDROSHARE_ID = re.compile(r".*([0-9a-f]{32}).*")
# Characters a browser leaves as they are in a URL path (WHATWG path percent-encode set
# inverted): BinderHub's link generator puts refs in the path unencoded, `/` included.
_PATH_SAFE = "/!$&'()*+,;=:@~[]^|%"
# encodeURIComponent's unreserved set: how BinderHub's UI escapes a gl or git repository.
_COMPONENT_SAFE = "!*'()"


def path_quote(text: str) -> str:
    """`text` as a browser writes it in a URL path (BinderHub's ``new URL(...)``)."""
    return quote(text, safe=_PATH_SAFE)


def component_quote(text: str) -> str:
    """`text` as JavaScript's ``encodeURIComponent`` writes it."""
    return quote(text, safe=_COMPONENT_SAFE)


@dataclass(frozen=True)
class LaunchSpec:
    """A BinderHub launch spec split into its parts, as BinderHub's provider class splits it.

    ``prefix`` is the spec without its ref as BinderHub writes it into a persistent request
    (``get_resolved_spec``); empty for providers without a ref. ``host`` is the git host
    (from the repository URL BinderHub passed, so GitHub Enterprise and self-hosted GitLab
    keep theirs).
    """

    provider: str
    owner: str
    repo: str
    ref: str
    repo_url: str
    prefix: str = ""
    host: str = ""

    @property
    def is_github(self) -> bool:
        return self.provider == "gh" and self.host == GITHUB_HOST


def _strip_suffix(text: str, suffix: str) -> str:
    return text[: -len(suffix)] if suffix and text.endswith(suffix) else text


def _host_of(repo_url: str, default: str) -> str:
    host = urlparse(repo_url).hostname if "://" in repo_url else None
    return host or default


def _spec_path(request: str) -> tuple[str, str] | None:
    """(provider, spec) of ``v2/<provider>/<spec>``; the spec raw, as BinderHub reads it."""
    path = request.split("?", 1)[0].lstrip("/")
    if path.startswith("v2/"):
        path = path[3:]
    provider, _, spec = path.partition("/")
    # builder.py:306: BinderHub drops trailing slashes from the spec.
    spec = spec.rstrip("/")
    if not provider or not spec:
        return None
    return provider, spec


def parse_spec(request: str, repo_url: str = "") -> LaunchSpec | None:
    """Parse ``v2/<provider>/<spec>`` as BinderHub's provider for it does; None if not a spec.

    `repo_url` (``BINDER_REPO_URL``) supplies the host BinderHub was configured with for
    ``gh`` and ``gl`` (``GitHubRepoProvider.hostname``, ``GitLabRepoProvider.hostname``).
    """
    parsed = _spec_path(request)
    if parsed is None:
        return None
    provider, spec = parsed
    parser = _PARSERS.get(provider)
    if parser is None:
        return LaunchSpec(provider, "", unquote(spec), "", "")
    return parser(spec, repo_url)


def _parse_gh(spec: str, repo_url: str) -> LaunchSpec:
    # repoproviders.py tokenize_spec (:39): split("/", 2), so the ref keeps its "/";
    # GitHubRepoProvider.__init__ (:958) strips ".git" from the repository.
    user, _, rest = spec.partition("/")
    repo, _, ref = rest.partition("/")
    repo = _strip_suffix(repo, ".git")
    host = _host_of(repo_url, GITHUB_HOST)
    # :961 get_repo_url
    url = f"https://{host}/{user}/{repo}"
    return LaunchSpec("gh", user, repo, unquote(ref), url, f"{user}/{repo}", host)


def _parse_gist(spec: str, repo_url: str) -> LaunchSpec:
    # GistRepoProvider.__init__ (:1155): user/gist_id[/ref]; get_repo_url (:1163) adds .git.
    parts = spec.split("/")
    user, gist = parts[0], parts[1] if len(parts) > 1 else ""
    ref = parts[2] if len(parts) > 2 else ""
    url = f"https://gist.github.com/{user}/{gist}.git"
    return LaunchSpec("gist", user, gist, unquote(ref), url, f"{user}/{gist}", "gist.github.com")


def _parse_gl(spec: str, repo_url: str) -> LaunchSpec:
    # GitLabRepoProvider.__init__ (:800): <quoted namespace>/<ref>, both unquoted.
    quoted, _, ref = spec.partition("/")
    namespace = unquote(quoted)
    owner, _, repo = namespace.rpartition("/")
    host = _host_of(repo_url, "gitlab.com")
    # :845 get_repo_url
    url = f"https://{host}/{namespace}.git"
    return LaunchSpec("gl", owner, _strip_suffix(repo, ".git"), unquote(ref), url, quoted, host)


def _parse_git(spec: str, repo_url: str) -> LaunchSpec:
    # GitRepoProvider.__init__ (:650-665): <quoted URL>/<ref>; ssh shorthand made a URL.
    escaped, _, ref = spec.partition("/")
    url = unquote(escaped)
    ssh = _GIT_SSH.match(url)
    if ssh and "://" not in url:
        url = f"ssh://{ssh.group(1)}/{ssh.group(2)}"
    path = _strip_suffix(urlparse(url).path.strip("/"), ".git")
    owner, _, repo = path.rpartition("/")
    return LaunchSpec("git", owner, repo, unquote(ref), url, escaped, urlparse(url).hostname or "")


def _parse_doi(provider: str) -> SpecParser:
    def parse(spec: str, repo_url: str) -> LaunchSpec:
        # Zenodo, Figshare, Dataverse: get_repo_url returns the DOI as given (:293, :372, :442).
        return LaunchSpec(provider, "", spec, "", spec, "", "doi.org")

    return parse


def _parse_hydroshare(spec: str, repo_url: str) -> LaunchSpec:
    # HydroshareProvider._parse_resource_id (:469) and get_repo_url (:509-511).
    match = _HYDROSHARE_ID.match(unquote(spec))
    resource = match.group(1) if match else unquote(spec)
    url = f"https://www.hydroshare.org/resource/{resource}"
    return LaunchSpec("hydroshare", "", resource, "", url, "", "www.hydroshare.org")


def _parse_ckan(spec: str, repo_url: str) -> LaunchSpec:
    # CKANProvider.__init__ (:538): the spec is the quoted dataset URL; the dataset id is
    # the path segment after /dataset/ (get_resolved_ref, :548-551).
    url = unquote(spec)
    parsed = urlparse(url)
    dataset = (
        parsed.path.split("/dataset/", 1)[1].split("/")[0] if "/dataset/" in parsed.path else ""
    )
    return LaunchSpec("ckan", "", dataset or url, "", url, "", parsed.hostname or "")


SpecParser = Callable[[str, str], LaunchSpec]

_PARSERS: dict[str, SpecParser] = {
    "gh": _parse_gh,
    "gist": _parse_gist,
    "gl": _parse_gl,
    "git": _parse_git,
    "zenodo": _parse_doi("zenodo"),
    "figshare": _parse_doi("figshare"),
    "dataverse": _parse_doi("dataverse"),
    "hydroshare": _parse_hydroshare,
    "ckan": _parse_ckan,
}


def github_owner_repo(repo_url: str) -> tuple[str, str] | None:
    """(owner, repo) when the URL is a repository on github.com itself, else None.

    https, ``git@github.com:`` and ``ssh://git@github.com/`` forms; ``.git`` dropped. Any
    other host (GitHub Enterprise included) is not github.com.
    """
    url = repo_url.strip()
    ssh = _GIT_SSH.match(url)
    if ssh and "://" not in url:
        url = f"ssh://{ssh.group(1)}/{ssh.group(2)}"
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http", "ssh", "git") or parsed.hostname != GITHUB_HOST:
        return None
    owner, _, repo = _strip_suffix(parsed.path.strip("/"), ".git").partition("/")
    if not owner or not repo or "/" in repo:
        return None
    return owner, repo


def launch_spec(request: str, persistent: str, repo_url: str) -> LaunchSpec | None:
    """The launch as asked (the persistent request when that is all there is)."""
    spec = parse_spec(request or persistent, repo_url) if (request or persistent) else None
    if spec is None and repo_url:
        owner_repo = github_owner_repo(repo_url)
        if owner_repo:
            owner, repo = owner_repo
            spec = LaunchSpec("gh", owner, repo, "", repo_url, f"{owner}/{repo}", GITHUB_HOST)
    return spec


def _record_id(spec: str, word: str) -> str:
    # ZenodoProvider/FigshareProvider.get_resolved_spec (:287, :366):
    # spec.split(word)[0] + f"{word}." + record_id
    _, found, tail = spec.partition(word)
    return tail[1:] if found and tail.startswith(".") else ""


def resolved_ref(persistent: str, ref_url: str, spec: LaunchSpec | None, repo_url: str) -> str:
    """The commit (or record) BinderHub resolved the launch to; empty when none is known."""
    parsed = _spec_path(persistent) if persistent else None
    if parsed and parsed[0] in REF_PROVIDERS:
        resolved = parse_spec(persistent, repo_url)
        if resolved and resolved.ref:
            return resolved.ref
    if parsed and parsed[0] in ("zenodo", "figshare"):
        return _record_id(parsed[1], parsed[0])
    if spec and spec.provider in ("gh", "gl"):
        # get_resolved_ref_url: {host}/{user}/{repo}/tree/{sha} (:967, :850)
        match = re.search(r"/tree/([^/?#]+)", ref_url)
        if match:
            return match.group(1)
    if spec and spec.provider == "gist":
        # GistRepoProvider.get_resolved_ref_url (:1168): .../{gist_id}/{sha}
        last = ref_url.rstrip("/").rpartition("/")[2]
        if SHA_RE.match(last):
            return last
    if spec and spec.provider in REF_PROVIDERS and SHA_RE.match(spec.ref):
        return spec.ref
    return ""
