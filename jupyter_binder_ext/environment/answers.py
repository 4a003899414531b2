"""The answers of ``GET binder/api/environment`` and ``POST binder/api/environment/keep``."""

from __future__ import annotations

from typing import Literal, TypedDict

CheckLevel = Literal["error", "warning", "info"]
# Where a package came from: a package index, a URL (archive or VCS), a local folder or
# archive, or an editable install (`pip install -e`).
Source = Literal["index", "url", "local", "editable"]
Manager = Literal["pip", "conda", "other"]


class IgnoredFile(TypedDict):
    path: str  # relative to the repository
    why: str


class Build(TypedDict):
    available: bool  # jupyter-repo2docker could be imported and ran
    repo2docker_version: str | None
    name: str | None  # the build pack repo2docker picks, e.g. "CondaBuildPack"
    config_dir: str  # "binder", ".binder", or "" for the repository's root
    files_used: list[str]
    files_ignored: list[IgnoredFile]
    # Files the picked build pack looked for and would read if they existed (where a kept
    # package can go when there is no environment file yet).
    would_read: list[str]
    python: str | None  # the Python version repo2docker would install, when it says
    dockerfile: str | None  # only with ?dockerfile=1
    message: str


class FileRequest(TypedDict):
    file: str
    line: int
    spec: str  # as written there, e.g. "numpy>=1.26" or "numpy"


class InstalledPackage(TypedDict):
    name: str
    version: str
    manager: Manager
    source: Source
    url: str | None  # for url sources (credentials removed); the folder for local ones
    installed_at: str  # ISO 8601, UTC
    location: str  # the site folder (or conda prefix) it went into
    in_files: FileRequest | None  # where the environment files already ask for it
    keepable: bool
    why_not: str | None  # why it cannot be kept (a local path), when it cannot


class RemovedPackage(TypedDict):
    name: str
    version: str
    manager: Manager


class Check(TypedDict):
    level: CheckLevel
    file: str
    line: int | None
    message: str


class EnvironmentAnswer(TypedDict):
    repo_dir: str
    since: str  # ISO 8601: when this server started (the baseline of "installed")
    build: Build
    installed: list[InstalledPackage]
    removed: list[RemovedPackage]
    checks: list[Check]
    # The file a keep writes to (None: a Dockerfile or a build that reads neither
    # environment.yml nor requirements.txt; the keep then says what to do instead).
    keep_file: str | None
    message: str


class KeepAnswer(TypedDict):
    file: str  # relative to the repository
    created: bool
    added: list[str]  # the lines added, e.g. "numpy==1.26.4"
    updated: list[str]  # requests whose version was changed to the installed one
    unchanged: list[str]  # already asked for at the installed version
    diff: str  # unified diff of the file
    message: str
