"""The user's persistent volume: where it is and what state it is in.

The site mounts one volume per user into every notebook, so two instances writing the same
path overwrite each other. ``read_persistence`` reports the volume's real state (mount,
type, writability, space, the instance folders on it): :mod:`.facts` reads it,
:mod:`.builders` words it. ``create_instance_dir`` makes this instance's folder and its link
on request; :mod:`.instance_dirs` names that folder and owns the link.
"""

from __future__ import annotations

from jupyter_binder_ext.common.mountinfo import mount_of
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, NotFound
from jupyter_binder_ext.launch.info import LaunchInfo
from jupyter_binder_ext.persistence.answers import InstanceDirAnswer, PersistenceAnswer
from jupyter_binder_ext.persistence.builders import (
    InstanceDirMade,
    build_instance_dir,
    build_persistence,
)
from jupyter_binder_ext.persistence.facts import (
    ScanBounds,
    gather_persistence,
    volume_path,
    volume_user,
)
from jupyter_binder_ext.persistence.instance_dirs import (
    exclude_from_git,
    make_instance_dir,
    make_link,
)
from jupyter_binder_ext.persistence.text import describe_persistence as describe_persistence

__all__ = [
    "SCAN_FILE_LIMIT",
    "create_instance_dir",
    "describe_persistence",
    "read_persistence",
    "volume_path",
    "volume_user",
]

# Entries visited while sizing the instance folders, over all of them: a volume holding
# millions of files must not stall the request.
SCAN_FILE_LIMIT = 20_000
# Seconds the walk may take (a slow network volume), and instance folders listed at most.
SCAN_TIME_LIMIT = 5.0
MAX_LISTED_INSTANCES = 200


def _bounds(file_limit: int) -> ScanBounds:
    # Read at each call: a test or an operator may change them on the module.
    return ScanBounds(file_limit, SCAN_TIME_LIMIT, MAX_LISTED_INSTANCES)


def read_persistence(
    site: SiteConfig, launch: LaunchInfo, *, file_limit: int = SCAN_FILE_LIMIT
) -> PersistenceAnswer:
    """The answer of ``GET binder/api/persistence``."""
    return build_persistence(gather_persistence(site, launch, _bounds(file_limit)), site)


def create_instance_dir(site: SiteConfig, launch: LaunchInfo) -> InstanceDirAnswer:
    """``POST binder/api/persistence/instance-dir``: the folder (idempotent) and the link."""
    made = _make_instance_dir(site, launch)
    return build_instance_dir(
        gather_persistence(site, launch, _bounds(SCAN_FILE_LIMIT)), made, site
    )


def _make_instance_dir(site: SiteConfig, launch: LaunchInfo) -> InstanceDirMade:
    user, _source = volume_user(launch)
    volume = volume_path(site, user)
    if not volume.exists():
        raise NotFound(
            f"The persistent volume {volume} does not exist, so no instance folder can be "
            "made on it. Ask the site's administrators, or check "
            "c.BinderExt.persistent_volume_template.",
            reason="volume_missing",
            path=str(volume),
        )
    if not volume.is_dir():
        raise Conflict(f"{volume} is not a folder.", reason="volume_not_a_folder", path=str(volume))
    mount = mount_of(volume, site.proc_root)
    if mount is not None and mount.read_only:
        raise Conflict(
            f"The persistent volume {volume} is mounted read-only: no folder can be made on it.",
            reason="volume_read_only",
            path=str(volume),
        )
    choice, created = make_instance_dir(volume, launch, user)
    try:
        link, link_created = make_link(site, choice.path, volume)
    except BinderError as err:
        # The folder stays (it is marked as this instance's); say so, then what failed.
        done = f"Created {choice.path}, but" if created else f"{choice.path} exists, but"
        err.message = f"{done} no link to it was made: {err.message}"
        err.details["done"] = {"folder_created": created, "folder": str(choice.path)}
        raise
    git_excluded = exclude_from_git(site.repo_path(), link["name"])
    return InstanceDirMade(str(choice.path), created, link["name"], link_created, git_excluded)
