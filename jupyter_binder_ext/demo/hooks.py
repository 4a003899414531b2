"""Hub-side pre-spawn hooks of the demo: what BinderHub and the site do before a server starts.

`prepare_binder_launch` completes the launch's user_options the way BinderHub fills them,
clones the repository into the server's folder at the launched commit, provides the user's
volume and key pair, and sets the ``BINDER_*`` environment. It decides no CPU or memory: the
demo's config runs it before the hub's own ``resources_hook`` (see ``PRE_SPAWN_HOOKS`` in
``jupyterhub_config.py``), which sets all of them from the site defaults and the launched
commit's ``.resources``, as on any hub using ``jupyter_binder_ext.hub``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_binder_ext.demo import gitrepos
from jupyter_binder_ext.demo.builds import (
    checkout_image_commit,
    commit_of_image,
    image_name,
    record_launch,
)
from jupyter_binder_ext.demo.settings import DEFAULT_REF, DEFAULT_REPO_URL
from jupyter_binder_ext.demo.userdata import ensure_user_data
from jupyter_binder_ext.launch.spec import github_owner_repo, parse_spec

# The keys BinderHub puts into a launch's user_options (binderhub builder.py:739-751 and
# launcher.py:244-252; the launcher's `token` is for servers without hub authentication).
BINDER_OPTION_KEYS = (
    "repo_url",
    "binder_ref_url",
    "binder_launch_host",
    "binder_request",
    "binder_persistent_request",
    "binder_client_ip",
    "image",
)
# BinderSpawnerMixin.get_env (binderhub binderspawner_mixin.py:104-117): these options become
# upper-case variables, each only when the launch has it; repo_url becomes BINDER_REPO_URL.
BINDER_ENV_KEYS = (
    "binder_ref_url",
    "binder_launch_host",
    "binder_persistent_request",
    "binder_request",
    "binder_client_ip",
)


def binder_env(options: Mapping[str, Any]) -> dict[str, str]:
    """The ``BINDER_*`` variables exactly as BinderSpawnerMixin.get_env sets them, plus the
    image variables KubeSpawner sets (kubespawner spawner.py:2581-2582)."""
    env: dict[str, str] = {}
    if "repo_url" in options:
        env["BINDER_REPO_URL"] = str(options["repo_url"])
    for key in BINDER_ENV_KEYS:
        if key in options:
            env[key.upper()] = str(options[key])
    if options.get("image"):
        env["JUPYTER_IMAGE_SPEC"] = env["JUPYTER_IMAGE"] = str(options["image"])
    return env


@dataclass(frozen=True)
class DemoLaunch:
    """A launch resolved against the local stand-in for GitHub."""

    options: dict[str, Any]
    owner: str
    repo: str
    sha: str
    bare: Path


def _ref_from_ref_url(ref_url: str) -> str:
    marker = "/tree/"
    return ref_url.split(marker, 1)[1].strip("/") if marker in ref_url else ""


def resolve_launch(
    state_dir: Path, launch_host: str, options: Mapping[str, Any] | None
) -> DemoLaunch:
    """Complete BinderHub-shaped user_options; an empty one launches the sample repository.

    The ref is taken from the persistent request (a commit), else the ref URL, else the
    request, else the default branch, and resolved to a commit as BinderHub does before it
    starts a server.
    """
    given = dict(options or {})
    repo_url = str(given.get("repo_url") or DEFAULT_REPO_URL)
    # Unless the launch brings its own (the extension relaunching with the running image),
    # the image is the one BinderHub builds for this commit: a new commit, a new image.
    persistent = parse_spec(str(given.get("binder_persistent_request") or ""))
    request = parse_spec(str(given.get("binder_request") or ""))
    spec = persistent or request
    if spec and spec.owner and spec.repo:
        owner, repo = spec.owner, spec.repo
    else:
        owner, repo = github_owner_repo(repo_url) or ("binder-demo", "sample")
    ref = (
        (persistent.ref if persistent else "")
        or _ref_from_ref_url(str(given.get("binder_ref_url") or ""))
        or (request.ref if request else "")
        or DEFAULT_REF
    )
    bare = gitrepos.ensure_bare_repo(state_dir, owner, repo)
    sha = gitrepos.resolve_ref(bare, ref)
    provider = spec.provider if spec else "gh"
    host = str(given.get("binder_launch_host") or launch_host)
    completed = {
        **given,
        "repo_url": repo_url,
        # repoproviders.py:967, github.com's form
        "binder_ref_url": given.get("binder_ref_url")
        or f"https://github.com/{owner}/{repo}/tree/{sha}",
        "binder_launch_host": host if host.endswith("/") else host + "/",
        "binder_request": given.get("binder_request") or f"v2/{provider}/{owner}/{repo}/{ref}",
        "binder_persistent_request": given.get("binder_persistent_request")
        or f"v2/{provider}/{owner}/{repo}/{sha}",
        "image": given.get("image") or image_name(owner, repo, sha),
    }
    return DemoLaunch(completed, owner, repo, sha, bare)


# What the server and the extension write into the home folder (which is also the clone).
_HOME_CLUTTER = (
    ".ssh/",
    ".ipynb_checkpoints/",
    ".ipython/",
    ".jupyter/",
    ".local/",
    ".npm/",
    ".cache/",
)


def _exclude_from_git(repo: Path, *patterns: str) -> None:
    """Keep the extension's own files (ssh config, the volume link) out of `git status`."""
    exclude = repo / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    present = exclude.read_text().splitlines() if exclude.exists() else []
    missing = [p for p in patterns if p not in present]
    if missing:
        exclude.write_text("\n".join([*present, *missing]) + "\n")


async def prepare_binder_launch(spawner: Any) -> None:
    """Make this spawn look like a BinderHub launch on the seed site (see module doc)."""
    state_dir = Path(spawner.state_dir)
    launch = await asyncio.to_thread(
        resolve_launch, state_dir, spawner.launch_host, spawner.user_options
    )
    # The hub's API then shows the same user_options a BinderHub launch has.
    spawner.user_options = launch.options
    spawner.orm_spawner.user_options = launch.options
    home = Path(spawner.home_dir)
    # The files are the image's: another commit's when the launch brings an older image.
    files_commit = commit_of_image(str(launch.options["image"])) or launch.sha
    if files_commit == launch.sha:
        await asyncio.to_thread(gitrepos.checkout, launch.bare, home, launch.sha)
    else:
        await asyncio.to_thread(checkout_image_commit, launch.bare, home, files_commit)
    await asyncio.to_thread(_exclude_from_git, home, *_HOME_CLUTTER)
    data = await asyncio.to_thread(ensure_user_data, state_dir, spawner.user.name)

    options = launch.options
    image = str(options["image"])
    built = await asyncio.to_thread(
        record_launch, state_dir, image, str(options["repo_url"]), launch.sha, files_commit
    )
    spawner.log.info(
        "%s: %s %s", spawner._log_name, "BinderHub would build" if built else "reuses", image
    )
    spawner.binder_env = binder_env(options)
    spawner.binder_args = [
        f"--BinderExt.persistent_volume_template={data.volume_template}",
        f"--BinderExt.ssh_private_key_path={data.private_key}",
        f"--BinderExt.ssh_public_key_path={data.public_key}",
        f"--BinderExt.ssh_dir={home / '.ssh'}",
        *spawner.extension_args,
    ]
