"""What was installed (or removed) in this server since it started.

A rebuilt image holds only what the environment files ask for: whatever the user added with
``pip install`` or ``conda install`` while the server ran is lost at the next relaunch.

pip: each distribution's ``*.dist-info`` folder is written when it is installed, so one that
is newer than the server's start was installed since (images keep their build times). The
scan lists the site folders and stats their entries; only the new ones are opened (their
``INSTALLER``, ``direct_url.json`` and the name in ``METADATA``), so its cost hardly grows
with the hundreds of packages an image holds. ``pip install --user`` lands in the home
folder's user site, scanned too. conda: ``conda-meta/history`` lists every transaction with
its time, removals included.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from jupyter_binder_ext.environment.answers import Manager, Source
from jupyter_binder_ext.environment.since import process_start

__all__ = ["Installed", "Removed", "process_start"]

_HISTORY_TIME = re.compile(r"^==> (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) <==")
_HISTORY_PACKAGE = re.compile(r"^([+-])(?:[^:\s]+::)?(\S+)-([^-\s]+)-([^-\s]+)$")
_METADATA_NAME = re.compile(r"^Name:\s*(\S+)", re.MULTILINE)


@dataclass
class Installed:
    name: str  # as the package spells it
    version: str
    manager: Manager
    source: Source
    url: str | None
    installed_at: float  # seconds since the epoch
    location: str

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)


@dataclass(frozen=True)
class Removed:
    name: str
    version: str
    manager: Manager


def site_folders(home: Path | None, extra: Iterable[str] = ()) -> list[Path]:
    """The folders packages are installed into: this Python's site folders, the user site
    under `home` and `extra` (another environment's, e.g. a separate kernel's)."""
    candidates = [Path(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    if home is not None:
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        candidates.append(home / ".local" / "lib" / version / "site-packages")
    candidates.extend(Path(p) for p in extra if p)
    seen: set[str] = set()
    folders: list[Path] = []
    for folder in candidates:
        real = os.path.realpath(folder)
        if real not in seen and Path(real).is_dir():
            seen.add(real)
            folders.append(folder)
    return folders


def conda_prefixes(folders: Iterable[Path]) -> list[Path]:
    """The conda environments the site folders belong to (`<prefix>/lib/pythonX.Y/site-
    packages`): those with a `conda-meta` folder."""
    prefixes: list[Path] = []
    for folder in [Path(sys.prefix) / "lib" / "x" / "x", *folders]:
        prefix = folder.parent.parent.parent
        if (prefix / "conda-meta").is_dir() and prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


def installed_names(folders: Iterable[Path]) -> dict[str, str]:
    """Every pip distribution in the folders: canonical name -> version (cheap: names only)."""
    names: dict[str, str] = {}
    for folder in folders:
        for entry in _dist_infos(folder):
            name, version = _split_dist_info(entry.name)
            names.setdefault(canonicalize_name(name), version)
    return names


def scan_pip(folders: Iterable[Path], since: float) -> list[Installed]:
    """Distributions whose dist-info folder is newer than `since`."""
    found: dict[str, Installed] = {}
    for folder in folders:
        for entry in _dist_infos(folder):
            try:
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            if mtime <= since:
                continue
            package = _read_dist(Path(entry.path), mtime, folder)
            found.setdefault(package.key, package)  # the first on the path wins, as imports
    return list(found.values())


def _dist_infos(folder: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".dist-info") and entry.is_dir(follow_symlinks=False):
                    yield entry
    except OSError:
        return


def _split_dist_info(folder_name: str) -> tuple[str, str]:
    stem = folder_name.removesuffix(".dist-info")
    name, _, version = stem.rpartition("-")
    return (name or stem), version


def _read_small(path: Path, limit: int = 64 * 1024) -> str | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return None


def _read_dist(dist_info: Path, mtime: float, folder: Path) -> Installed:
    name, version = _split_dist_info(dist_info.name)
    metadata = _read_small(dist_info / "METADATA", 8192) or ""
    match = _METADATA_NAME.search(metadata)
    installer = (_read_small(dist_info / "INSTALLER", 256) or "").strip().lower()
    manager: Manager = (
        "pip" if installer in ("pip", "uv", "") else ("conda" if installer == "conda" else "other")
    )
    source, url = _source(_read_small(dist_info / "direct_url.json"))
    return Installed(
        name=match.group(1) if match else name,
        version=version,
        manager=manager,
        source=source,
        url=url,
        installed_at=mtime,
        location=str(folder),
    )


def _source(direct_url: str | None) -> tuple[Source, str | None]:
    """index, or where the package came from (PEP 610's direct_url.json)."""
    if not direct_url:
        return "index", None
    try:
        data = json.loads(direct_url)
        url = str(data["url"])
    except (ValueError, KeyError, TypeError):
        return "index", None
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = unquote(parts.path)
        editable = bool((data.get("dir_info") or {}).get("editable"))
        return ("editable" if editable else "local"), path
    # Credentials in a URL (a token in a private index's address) never reach an answer.
    clean = urlunsplit(parts._replace(netloc=parts.hostname or "")) if parts.username else url
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs"):
        commit = vcs.get("commit_id")
        clean = f"{vcs['vcs']}+{clean}" + (f"@{commit}" if commit else "")
    return "url", clean


def scan_conda(prefix: Path, since: float) -> tuple[list[Installed], list[Removed]]:
    """Packages conda installed or removed in `prefix` after `since`, from its history."""
    text = _read_small(prefix / "conda-meta" / "history", 16 * 1024 * 1024)
    if not text:
        return [], []
    added: dict[str, Installed] = {}
    removed: dict[str, Removed] = {}
    when: float | None = None
    for line in text.splitlines():
        stamp = _HISTORY_TIME.match(line)
        if stamp:
            when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
            continue
        package = _HISTORY_PACKAGE.match(line.strip())
        if package is None or when is None or when <= since:
            continue
        sign, name, version = package.group(1), package.group(2), package.group(3)
        key = canonicalize_name(name)
        if sign == "+":
            removed.pop(key, None)
            added[key] = Installed(name, version, "conda", "index", None, when, str(prefix))
        elif key in added and added[key].version == version:
            del added[key]  # installed and removed again since launch: nothing to keep
        else:
            added.pop(key, None)
            removed[key] = Removed(name, version, "conda")
    return list(added.values()), list(removed.values())
