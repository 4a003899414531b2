"""``GET environment`` and ``POST environment/keep``: the scan shared by every tab.

The scan (repo2docker's verdict, the packages installed since the server started, the
checks) runs off the event loop, one at a time for every caller, cached for
:data:`ENVIRONMENT_CACHE_TTL` seconds. repo2docker's verdict is kept for as long as the
files it depends on are unchanged (build.fingerprint), so a poll costs a few ``stat`` calls
and one listing of each site folder.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.coalesce import CoalescedRead
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.environment.answers import (
    Build,
    EnvironmentAnswer,
    InstalledPackage,
    KeepAnswer,
    RemovedPackage,
)
from jupyter_binder_ext.environment.build import detect_build, fingerprint
from jupyter_binder_ext.environment.checks import check, run_checks
from jupyter_binder_ext.environment.envfiles import Request, requests_in
from jupyter_binder_ext.environment.installed import (
    Installed,
    Removed,
    conda_prefixes,
    installed_names,
    scan_conda,
    scan_pip,
    site_folders,
)
from jupyter_binder_ext.environment.since import since as server_since_env

ENVIRONMENT_CACHE_TTL = 5.0


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


class EnvironmentService:
    """Takes only what it reads: the site's settings and the server's environment."""

    def __init__(
        self, site: SiteConfig, env: Mapping[str, str], since: float | None = None
    ) -> None:
        self.site, self.env = site, env
        # The baseline of "installed since launch": this server's start (an image's files
        # keep the times of its build, earlier than that).
        self.since = since or server_since_env(env, site.proc_root)
        self._lock = threading.Lock()
        self._build: tuple[tuple[Any, ...], Build] | None = None
        # pip has no record of removals: the names seen by the first scan stand in.
        self._first_names: dict[str, str] | None = None
        self._scan: CoalescedRead[EnvironmentAnswer] = CoalescedRead(
            self.scan_now, ENVIRONMENT_CACHE_TTL
        )

    @property
    def repo(self) -> Path:
        return self.site.repo_path()

    @property
    def home(self) -> Path:
        return Path(self.env.get("HOME") or Path.home())

    @property
    def scans_run(self) -> int:
        return self._scan.fetches

    def invalidate(self) -> None:
        self._scan.invalidate()

    def close(self) -> None:
        self._scan.close()

    # -- the scan (blocking; in a worker thread) ----------------------------------------------
    def build(self) -> Build:
        """repo2docker's verdict, detected again only when its files changed."""
        stamp = fingerprint(self.repo)
        with self._lock:
            cached = self._build
        if cached is not None and cached[0] == stamp:
            return cached[1]
        build = detect_build(self.repo)
        with self._lock:
            self._build = (stamp, build)
        return build

    def folders(self) -> list[Path]:
        extra = [p for p in self.site.environment_paths.split(":") if p]
        return site_folders(self.home, extra)

    def installed(self) -> tuple[list[Installed], list[Removed]]:
        folders = self.folders()
        added = scan_pip(folders, self.since)
        removed: list[Removed] = []
        for prefix in conda_prefixes(folders):
            conda_added, conda_removed = scan_conda(prefix, self.since)
            conda_keys = {package.key for package in conda_added}
            # conda's python packages carry a dist-info too: its history says it once.
            added = [p for p in added if p.key not in conda_keys] + conda_added
            removed.extend(conda_removed)
        removed.extend(self._pip_removed(folders))
        return sorted(added, key=lambda p: p.key), removed

    def _pip_removed(self, folders: list[Path]) -> list[Removed]:
        names = installed_names(folders)
        with self._lock:
            if self._first_names is None:
                self._first_names = names
            first = self._first_names
        return [
            Removed(name, version, "pip") for name, version in first.items() if name not in names
        ]

    def scan_now(self) -> EnvironmentAnswer:
        build = self.build()
        added, removed = self.installed()
        requests = requests_in(self.repo, build["files_used"])
        installed = [_package(package, requests) for package in added]
        checks = run_checks(self.repo, build)
        if not build["available"] and build["repo2docker_version"]:
            checks.insert(0, check("error", build["config_dir"] or ".", None, build["message"]))
        return {
            "repo_dir": str(self.repo),
            "since": iso(self.since),
            "build": build,
            "installed": installed,
            "removed": [_removed(package) for package in removed],
            "checks": checks,
            "keep_file": _keep_file(build),
            "message": _summary(build, installed),
        }

    # -- the faces' entry points --------------------------------------------------------------
    async def read(self, dockerfile: bool = False) -> EnvironmentAnswer:
        answer = await self._scan.read()
        if not dockerfile:
            return answer
        loop = asyncio.get_running_loop()
        with_dockerfile = await loop.run_in_executor(None, detect_build, self.repo, True)
        build: Build = {**answer["build"], "dockerfile": with_dockerfile["dockerfile"]}
        if with_dockerfile["message"]:
            build["message"] = with_dockerfile["message"]
        return {**answer, "build": build}

    async def keep(self, packages: object, file: object = None, **unknown: object) -> KeepAnswer:
        """``POST environment/keep``'s fields, checked before anything is read or written."""
        from jupyter_binder_ext.environment.keep import check_request

        names, choice = check_request(packages, file, **unknown)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.keep_now, names, choice)
        finally:
            self.invalidate()

    def keep_now(self, names: list[str], file: str) -> KeepAnswer:
        from jupyter_binder_ext.environment.keep import choose, keep

        added, _ = self.installed()
        chosen = choose(names, added)
        return keep(self.repo, self.build(), chosen, file)


def _package(package: Installed, requests: dict[str, Request]) -> InstalledPackage:
    request = requests.get(package.key)
    local = package.source in ("local", "editable")
    return {
        "name": package.name,
        "version": package.version,
        "manager": package.manager,
        "source": package.source,
        "url": package.url,
        "installed_at": iso(package.installed_at),
        "location": package.location,
        "in_files": (
            {"file": request.file, "line": request.line, "spec": request.spec} if request else None
        ),
        "keepable": not local,
        "why_not": (
            f"installed from a local folder ({package.url}), which the build cannot reach"
            if local
            else None
        ),
    }


def _keep_file(build: Build) -> str | None:
    from jupyter_binder_ext.environment.keep import target_file
    from jupyter_binder_ext.errors import Conflict

    try:
        return target_file(build, "auto")
    except Conflict:
        return None


def _removed(package: Removed) -> RemovedPackage:
    return {"name": package.name, "version": package.version, "manager": package.manager}


def _summary(build: Build, installed: list[InstalledPackage]) -> str:
    if not build["available"]:
        head = build["message"]
    else:
        files = ", ".join(build["files_used"]) or "no environment file (repo2docker's defaults)"
        head = f"The next build uses {build['name']} with {files}."
    missing = [p["name"] for p in installed if p["in_files"] is None]
    if not missing:
        return head
    return (
        f"{head} {len(missing)} package(s) installed since launch are not in the environment "
        f"files and will be gone after a relaunch: {', '.join(missing[:10])}"
        + ("…" if len(missing) > 10 else ".")
    )
