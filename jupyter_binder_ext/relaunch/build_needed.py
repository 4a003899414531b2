"""Whether a relaunch needs BinderHub to build a new image because the environment changed.

The environment files are the ones repo2docker reads to build the image: its configuration
file names (:data:`.environment.build.CONFIG_FILES`) at the repository's root or in
``binder/`` or ``.binder/`` (:data:`.environment.build.CONFIG_DIRS`). A change to one of
them since the running image's commit means the running image lacks what the new commit
asks for, so the relaunch says which of them changed, and why a build is needed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from jupyter_binder_ext.common.units import short_sha
from jupyter_binder_ext.environment.build import CONFIG_DIRS, CONFIG_FILES

# The answer's launch.reason_code when an environment file changed.
ENVIRONMENT_CHANGED = "environment_changed"
# Paths named in a reason; the answer's environment_files lists them all.
SHOWN = 5


def environment_files(paths: Iterable[str]) -> list[str]:
    """The paths (relative, git's ``/``) among `paths` that repo2docker reads to build."""
    folders = ("", *CONFIG_DIRS)
    return [
        path
        for path in paths
        if posixpath.dirname(path) in folders and posixpath.basename(path) in CONFIG_FILES
    ]


def shown(paths: list[str]) -> str:
    """The first few paths, and how many more."""
    more = len(paths) - SHOWN
    return ", ".join(paths[:SHOWN]) + (f" and {more} more" if more > 0 else "")


def environment_reason(files: list[str], image_commit: str) -> str:
    """Why the new commit needs a build: the environment files that changed."""
    return (
        f"the environment files repo2docker reads changed since the running image's commit "
        f"{short_sha(image_commit)} ({shown(files)}), so BinderHub must build a new image "
        "with them"
    )
