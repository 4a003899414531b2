"""Whether a relaunch can start the new commit with the running image, without a rebuild.

On a BinderHub every new commit is a new image (its name ends in the commit, binderhub
``builder.py:404-423``), built before the server starts: minutes. When the new commit differs
from the running image's commit in ``.resources`` only, that image already holds everything
the new server needs: the relaunch can ask the hub itself for the new named server with the
running image (BinderSpawnerMixin.start takes ``image`` from the user_options), and the
hub-side hook applies the new commit's ``.resources`` as for any launch. The repository in the
image is at the image's commit; the few git objects the new commit adds travel along
(:mod:`.objects`), and the extension in the new server moves its repository to the new commit
(:mod:`.catch_up`).

:func:`plan_direct_start` says whether that applies, and if not, why (the relaunch then falls
back to BinderHub's link). A start the hub refuses for want of scopes is the last fallback,
decided in :mod:`.hub_start`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.git_runner import GitFailed, run_git
from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.launch.binderhub import spec_for_repository
from jupyter_binder_ext.launch.facts import LaunchInfo
from jupyter_binder_ext.launch.spec import REF_PROVIDERS
from jupyter_binder_ext.relaunch.build_needed import (
    ENVIRONMENT_CHANGED,
    environment_files,
    environment_reason,
)
from jupyter_binder_ext.relaunch.context import RelaunchContext
from jupyter_binder_ext.relaunch.objects import (
    FULL_SHA,
    MAX_PAYLOAD_BYTES,
    ObjectsFailed,
    objects_between,
    payload_size,
)

# The user_options key carrying the new commit's objects to the new server.
CATCH_UP_OPTION = "binder_ext_catch_up"
# Reasons a relaunch does not start directly (the answer's launch.reason_code).
NOT_A_GIT_PROVIDER = "not_a_git_provider"
NO_IMAGE = "no_image"
IMAGE_COMMIT_UNKNOWN = "image_commit_unknown"
OTHER_FILES_CHANGED = "other_files_changed"
TOO_LARGE = "too_large"
NO_START_SCOPE = "no_start_scope"
START_FAILED = "start_failed"


@dataclass(frozen=True)
class DirectStart:
    """Start the new commit with `image`, whose repository is at `image_commit`."""

    image: str
    image_commit: str
    catch_up: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NoDirectStart:
    """Why the new commit needs BinderHub (and a build)."""

    code: str
    reason: str
    # The environment files (relaunch/build_needed.py) that changed, when those are why.
    environment_files: tuple[str, ...] = ()


def image_commit(image: str, launch: LaunchInfo) -> str:
    """The commit the running image was built from: the tag BinderHub gives its images,
    else the commit this server was launched at."""
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    if FULL_SHA.fullmatch(tag):
        return tag
    return launch.resolved_ref if FULL_SHA.fullmatch(launch.resolved_ref) else ""


def changed_files(root: Path, old: str, new: str) -> list[str]:
    """The paths that differ between two commits (``git diff --name-only``, renames split)."""
    out = run_git(root, "diff", "--name-only", "--no-renames", "-z", old, new, "--").stdout
    return [name for name in out.split("\0") if name]


def _plan_in_repo(
    root: Path, resources_file: Path, image: str, old: str, new: str, branch: str
) -> DirectStart | NoDirectStart:
    """The git part of the plan (blocking: run in a thread)."""
    try:
        changed = changed_files(root, old, new)
    except GitFailed as err:
        return NoDirectStart(
            IMAGE_COMMIT_UNKNOWN,
            f"the running image's commit {short_sha(old)} is not in this repository "
            f"({err.message}), so what changed since cannot be told",
        )
    allowed = resources_file.resolve().relative_to(root.resolve()).as_posix()
    others = [name for name in changed if name != allowed]
    environment = environment_files(others)
    if environment:
        reason = environment_reason(environment, old)
        return NoDirectStart(ENVIRONMENT_CHANGED, reason, tuple(environment))
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        return NoDirectStart(
            OTHER_FILES_CHANGED,
            f"more than {allowed} changed since the running image's commit "
            f"{short_sha(old)} ({shown}), so the image must be built again",
        )
    try:
        objects = objects_between(root, old, new)
    except ObjectsFailed as err:
        return NoDirectStart(IMAGE_COMMIT_UNKNOWN, f"the new commit cannot be carried: {err}")
    if payload_size(objects) > MAX_PAYLOAD_BYTES:
        return NoDirectStart(
            TOO_LARGE,
            f"the new commit's objects exceed {MAX_PAYLOAD_BYTES // 1024} KB, too much for "
            "the hub's user_options",
        )
    payload = {"from": old, "to": new, "branch": branch, "objects": objects}
    return DirectStart(image, old, payload)


async def plan_direct_start(
    context: RelaunchContext,
    launch: LaunchInfo,
    root: Path,
    resources_file: Path,
    sha: str,
    branch: str,
) -> DirectStart | NoDirectStart:
    """Whether `sha` can start with the running image (see the module docstring)."""
    spec = spec_for_repository(launch)
    if spec is None or spec.provider not in REF_PROVIDERS or not spec.prefix:
        return NoDirectStart(
            NOT_A_GIT_PROVIDER,
            "this launch is not of a git repository (gh, gl, git or gist), so the hub cannot "
            "be given BinderHub's options for a commit",
        )
    image, _ = await context.projects_service.current_image()
    if not image:
        return NoDirectStart(
            NO_IMAGE,
            "the running image is not known (no JUPYTER_IMAGE_SPEC here, and the hub does "
            "not list this server's user_options)",
        )
    old = image_commit(image, launch)
    if not old:
        return NoDirectStart(
            IMAGE_COMMIT_UNKNOWN, f"the commit the running image {image} was built from is unknown"
        )
    return await asyncio.to_thread(_plan_in_repo, root, resources_file, image, old, sha, branch)
