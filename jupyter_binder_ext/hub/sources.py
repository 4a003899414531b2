"""Where a launch's `.resources` file comes from, read on the hub before the server starts.

Two sources share one small contract (``await source.fetch(target) -> FetchResult``):

- :class:`GitHubRawSource` asks GitHub's raw-content host for the file at the launched commit,
  with a bounded time and size, so a slow or hostile answer can never hold up or swamp a spawn;
- :class:`LocalGitSource` reads it with ``git show <commit>:.resources`` from a repository on
  the hub's own disk (the demo hub, or a site that mirrors its repositories).

Neither raises for an expected failure: a missing file, an unreachable host or an oversized
answer come back as a :class:`FetchResult` whose ``status`` says which, with a sentence for
the user. The hook turns every such result into the site defaults plus that sentence.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Union
from urllib.parse import quote, unquote, urlparse

from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.launch.info import read_launch

# What a fetch ended in. Only FOUND carries text.
FOUND = "found"
MISSING = "missing"
UNAVAILABLE = "unavailable"
TOO_LARGE = "too_large"
NOT_GITHUB = "not_github"
NO_REPOSITORY = "no_repository"

GITHUB_RAW_BASE_URL = "https://raw.githubusercontent.com"
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 16 * 1024

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class LaunchTarget:
    """The repository and commit a spawn is for, as BinderHub put them in ``user_options``."""

    repo_url: str
    provider: str
    owner: str
    repo: str
    ref: str
    is_github: bool

    @property
    def label(self) -> str:
        name = f"{self.owner}/{self.repo}" if self.owner else self.repo or self.repo_url
        return f"{name}@{short_sha(self.ref)}" if self.ref else name


@dataclass(frozen=True)
class FetchResult:
    """The file's text when ``status == FOUND``; otherwise why not, in words for the user."""

    status: str
    text: str | None = None
    message: str = ""
    origin: str = ""

    @property
    def found(self) -> bool:
        return self.status == FOUND and self.text is not None


class ResourcesSource(Protocol):
    """Anything that can read a launch's `.resources` file."""

    async def fetch(self, target: LaunchTarget) -> FetchResult: ...


def launch_target(user_options: Mapping[str, Any] | None) -> LaunchTarget | None:
    """The launched repository and commit from BinderHub's ``user_options``; None if absent.

    BinderHub's launcher passes ``repo_url``, ``binder_ref_url``, ``binder_launch_host``,
    ``binder_request`` (as asked, e.g. ``v2/gh/o/r/main``) and ``binder_persistent_request``
    (the resolved commit, ``v2/gh/o/r/<sha>``) (binderhub builder.py:739-751); before late
    2019 ``ref_url``, ``binder_url`` and ``persistent_binder_url`` (builder.py:514-518 at
    1ea35dec^). They are read through the same parser the single-user server uses for its
    ``BINDER_*`` environment, so hub and notebook agree: ``Owner/Repo.git`` is repository
    ``Repo``, and only a repository on github.com itself counts as GitHub.
    """
    options = user_options or {}

    def option(*keys: str) -> str:
        return next((str(options[k]) for k in keys if options.get(k)), "")

    env = {
        "BINDER_REPO_URL": option("repo_url"),
        "BINDER_REF_URL": option("binder_ref_url", "ref_url"),
        "BINDER_LAUNCH_HOST": option("binder_launch_host"),
        "BINDER_REQUEST": option("binder_request"),
        "BINDER_PERSISTENT_REQUEST": option("binder_persistent_request"),
        "BINDER_URL": option("binder_url"),
        "BINDER_PERSISTENT_URL": option("persistent_binder_url"),
        # read_launch only describes launches under a hub; this spawn is one.
        "JUPYTERHUB_API_URL": "hub",
    }
    info = read_launch(env)
    if not (info.repo_url or info.repo):
        return None
    return LaunchTarget(
        repo_url=info.repo_url,
        provider=info.provider,
        owner=info.owner,
        repo=info.repo,
        ref=info.resolved_ref or info.ref,
        is_github=info.is_github,
    )


class GitHubRawSource:
    """Reads ``{base_url}/{owner}/{repo}/{commit}/.resources`` (GitHub's raw-content form).

    ``base_url`` is GitHub's raw host unless a site (or a test's stand-in) says otherwise.
    The whole request, connection included, is bounded by ``timeout`` seconds, and at most
    ``max_bytes`` of the body are read: a larger file is refused rather than cut.
    """

    def __init__(
        self,
        base_url: str = GITHUB_RAW_BASE_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        filename: str = ".resources",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.filename = filename

    def url_for(self, target: LaunchTarget) -> str:
        parts = (target.owner, target.repo, target.ref, self.filename)
        return self.base_url + "/" + "/".join(quote(part, safe="") for part in parts)

    async def fetch(self, target: LaunchTarget) -> FetchResult:
        if not target.is_github:
            # GitHub's raw host serves github.com repositories only: not GitLab, not a
            # GitHub Enterprise host, not a gist (whose files live elsewhere).
            return FetchResult(
                NOT_GITHUB,
                message=f"{target.repo_url or target.label} is not a repository on github.com.",
            )
        if not (target.owner and target.repo and target.ref):
            return FetchResult(
                UNAVAILABLE,
                message=f"The launch of {target.label} names no GitHub repository and commit.",
            )
        import aiohttp  # the hub has it through kubernetes_asyncio; nothing else needs it

        url = self.url_for(target)
        try:
            status, body = await self._download(url)
        except asyncio.TimeoutError:
            return FetchResult(
                UNAVAILABLE,
                message=(
                    f"GitHub did not send {self.filename} of {target.label} within "
                    f"{self.timeout:g} s."
                ),
                origin=url,
            )
        except aiohttp.ClientError as error:
            return FetchResult(
                UNAVAILABLE,
                message=f"GitHub could not be reached for {target.label} ({_reason(error)}).",
                origin=url,
            )
        if status == 404:
            return FetchResult(
                MISSING, message=f"{target.label} has no {self.filename} file.", origin=url
            )
        if status != 200:
            return FetchResult(
                UNAVAILABLE,
                message=f"GitHub answered {status} for {self.filename} of {target.label}.",
                origin=url,
            )
        if body is None:
            return self._too_large(target, url)
        return _decoded(body, target, self.filename, url)

    async def _download(self, url: str) -> tuple[int, bytes | None]:
        """(status, body); body is None when it is larger than ``max_bytes``."""
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=self.timeout)
        session = aiohttp.ClientSession(timeout=timeout)
        # GitHub's raw host answers files directly; a redirect is not followed.
        async with session, session.get(url, allow_redirects=False) as response:
            if response.status != 200:
                return response.status, b""
            declared = response.content_length
            if declared is not None and declared > self.max_bytes:
                return response.status, None
            body = await _read_at_most(response.content, self.max_bytes + 1)
            return response.status, (body if len(body) <= self.max_bytes else None)

    def _too_large(self, target: LaunchTarget, url: str) -> FetchResult:
        return FetchResult(
            TOO_LARGE,
            message=(
                f"{self.filename} of {target.label} is larger than {self.max_bytes} bytes, "
                "the most this hub reads."
            ),
            origin=url,
        )


async def _read_at_most(stream: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _decoded(body: bytes, target: LaunchTarget, filename: str, origin: str) -> FetchResult:
    try:
        return FetchResult(FOUND, text=body.decode("utf-8"), origin=origin)
    except UnicodeDecodeError:
        return FetchResult(
            UNAVAILABLE,
            message=f"{filename} of {target.label} is not UTF-8 text.",
            origin=origin,
        )


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class LocalGitSource:
    """Reads ``.resources`` at the launched commit from a git repository on the hub's disk.

    ``repositories`` says where a launch's repository is: one path used for every launch; a
    mapping from ``owner/repo`` (or the full repository URL) to a path; or a function of the
    :class:`LaunchTarget` returning a path (None: no local copy). With none of them, a launch
    of a ``file://`` URL or an absolute path reads from that repository itself.
    """

    def __init__(
        self,
        repositories: PathLike
        | Mapping[str, PathLike]
        | Callable[[LaunchTarget], Any]
        | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        filename: str = ".resources",
        git: str = "git",
    ) -> None:
        self.repositories = repositories
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.filename = filename
        self.git = git

    def path_for(self, target: LaunchTarget) -> Path | None:
        repos = self.repositories
        if isinstance(repos, Mapping):
            for key in (f"{target.owner}/{target.repo}", target.repo_url):
                if key in repos:
                    return Path(repos[key])
            return None
        if callable(repos):
            found = repos(target)
            return Path(found) if found else None
        if repos is not None:
            return Path(repos)
        url = target.repo_url
        if url.startswith("file://"):
            return Path(unquote(urlparse(url).path))
        if url.startswith("/"):
            return Path(url)
        return None

    async def fetch(self, target: LaunchTarget) -> FetchResult:
        path = self.path_for(target)
        if path is None:
            return FetchResult(
                UNAVAILABLE, message=f"This hub has no local copy of {target.label}."
            )
        if not target.ref:
            return FetchResult(
                UNAVAILABLE, message=f"The launch of {target.label} names no commit."
            )
        origin = f"{path}:{target.ref}:{self.filename}"
        try:
            return await asyncio.wait_for(self._read(path, target, origin), self.timeout)
        except asyncio.TimeoutError:
            return FetchResult(
                UNAVAILABLE,
                message=(
                    f"git did not read {self.filename} of {target.label} in {self.timeout:g} s."
                ),
                origin=origin,
            )
        except OSError as error:
            return FetchResult(UNAVAILABLE, message=f"git could not run ({_reason(error)}).")

    async def _read(self, path: Path, target: LaunchTarget, origin: str) -> FetchResult:
        spec = f"{target.ref}:{self.filename}"
        # `git show` words a missing commit and a missing file alike: the commit first.
        code, _, _ = await self._git(
            path, ["rev-parse", "--verify", "--quiet", f"{target.ref}^{{commit}}"]
        )
        if code != 0:
            return FetchResult(
                UNAVAILABLE,
                message=f"{path} has no commit {target.ref} of {target.label}.",
                origin=origin,
            )
        # The size before the bytes: an oversized blob is refused without reading it.
        code, size, errors = await self._git(path, ["cat-file", "-s", spec])
        if code != 0:
            reason = errors.decode("utf-8", "replace").strip()
            if "does not exist in" in reason or "exists on disk, but not in" in reason:
                return FetchResult(
                    MISSING, message=f"{target.label} has no {self.filename} file.", origin=origin
                )
            first_line = reason.splitlines()[0] if reason else f"exit status {code}"
            return FetchResult(
                UNAVAILABLE,
                message=f"git could not read {self.filename} of {target.label}: {first_line}",
                origin=origin,
            )
        if int(size.strip() or b"0") > self.max_bytes:
            return FetchResult(
                TOO_LARGE,
                message=(
                    f"{self.filename} of {target.label} is larger than {self.max_bytes} bytes, "
                    "the most this hub reads."
                ),
                origin=origin,
            )
        code, body, errors = await self._git(path, ["cat-file", "blob", spec])
        if code != 0 or len(body) > self.max_bytes:
            return FetchResult(
                UNAVAILABLE,
                message=f"git could not read {self.filename} of {target.label}.",
                origin=origin,
            )
        return _decoded(body, target, self.filename, origin)

    async def _git(self, path: Path, args: list[str]) -> tuple[int, bytes, bytes]:
        """(exit status, stdout up to max_bytes + 1, stderr); killed (with anything it
        started) when cancelled. Started by the common git runner's rules: no prompt, no
        hooks, none of the hub's secrets in its environment."""
        from jupyter_binder_ext.common.git_runner import kill_group, start_git_async

        process = await start_git_async(path, args, git=self.git)
        try:
            body, errors = await _communicate_bounded(process, self.max_bytes + 1)
        except asyncio.CancelledError:
            kill_group(process.pid)
            await process.wait()
            raise
        return process.returncode or 0, body, errors


async def _communicate_bounded(
    process: asyncio.subprocess.Process, limit: int
) -> tuple[bytes, bytes]:
    """Read stdout up to `limit` bytes (then stop the process) and all of a short stderr."""
    assert process.stdout is not None and process.stderr is not None
    body = await _read_at_most(process.stdout, limit)
    if len(body) >= limit:
        process.kill()
    errors = await process.stderr.read(4096)
    await process.wait()
    return body, errors
