"""The answers of ``GET binder/api/persistence`` and ``POST .../persistence/instance-dir``."""

from __future__ import annotations

from typing import TypedDict

from jupyter_binder_ext.common.answers import Warning


class MountFacts(TypedDict):
    mount_point: str
    fs_type: str
    source: str
    read_only: bool
    options: str


class InstanceDir(TypedDict):
    """This instance's own folder on the volume (it may not exist yet)."""

    name: str
    path: str
    exists: bool
    skipped_names: list[str]


class InstanceFolder(TypedDict):
    """A top-level folder of the volume: another instance's, or the user's own."""

    name: str
    path: str
    size: int
    files: int
    size_complete: bool
    modified: str | None
    is_current: bool
    managed: bool
    server_name: str | None
    repo_url: str | None
    created: str | None


class ScanFacts(TypedDict):
    files_visited: int
    limit: int
    capped: bool


class InstanceLink(TypedDict):
    """The link, in the server's root folder, to this instance's folder."""

    name: str
    path: str
    browser_path: str
    exists: bool
    is_symlink: bool
    target: str | None
    points_to_instance: bool
    points_into_volume: bool
    blocked: bool


class PersistenceAnswer(TypedDict):
    path: str
    user: str
    user_source: str
    exists: bool
    is_dir: bool
    mounted: bool
    fs_type: str | None
    mount: MountFacts | None
    read_only: bool
    writable: bool
    write_error: str | None
    total: int | None
    used: int | None
    free: int | None
    used_fraction: float | None
    instance_dir: InstanceDir | None
    instances: list[InstanceFolder]
    scan: ScanFacts
    link: InstanceLink | None
    inactivity_timeout: float
    warnings: list[Warning]


class InstanceDirAction(TypedDict):
    created: bool
    link_created: bool
    git_excluded: bool
    message: str


class InstanceDirAnswer(PersistenceAnswer):
    """The persistence answer after the folder and its link were made, with what was done."""

    action: InstanceDirAction
