"""The persistence answers, built from gathered facts: no I/O, no clock.

Every sentence of ``GET binder/api/persistence`` and ``POST .../instance-dir`` is made here,
from :mod:`.facts`; tests build them from hand-made facts.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from datetime import datetime, timezone

from jupyter_binder_ext.common.answers import Warning, warning
from jupyter_binder_ext.common.readable import byte_size, in_days
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.persistence.answers import (
    InstanceDir,
    InstanceDirAnswer,
    InstanceFolder,
    MountFacts,
    PersistenceAnswer,
    ScanFacts,
)
from jupyter_binder_ext.persistence.facts import (
    FolderFacts,
    InstanceScan,
    PersistenceFacts,
    VolumeState,
)


@dataclass(frozen=True)
class InstanceDirMade:
    """What ``POST .../instance-dir`` did."""

    folder: str
    created: bool
    link_name: str
    link_created: bool
    git_excluded: bool


def build_persistence(facts: PersistenceFacts, site: SiteConfig) -> PersistenceAnswer:
    """The answer of ``GET binder/api/persistence``."""
    warnings: list[Warning] = []
    if facts.user_source != "hub" and "{username}" in site.persistent_volume_template:
        warnings.append(
            warning(
                "not_under_hub",
                "info",
                f"Not running under JupyterHub: the volume path uses the system user "
                f"{facts.user!r} in place of a hub user name.",
            )
        )
    answer = _answer(facts, site, warnings)
    if facts.volume is None:
        warnings.append(_missing(facts))
    else:
        warnings.extend(_volume_warnings(answer, facts.volume, site))
    folder = answer["instance_dir"]
    target = f"this instance's folder {folder['path']}" if folder else "the persistent volume"
    warnings.append(
        warning(
            "inactivity",
            "info",
            f"Notebooks are deleted after {in_days(site.inactivity_timeout)} of inactivity, "
            f"with every file outside the persistent volume: keep your work in {target}.",
        )
    )
    return answer


def build_instance_dir(
    facts: PersistenceFacts, made: InstanceDirMade, site: SiteConfig
) -> InstanceDirAnswer:
    """The answer of ``POST .../instance-dir``: the new state, and what was done."""
    parts = [
        f"Created {made.folder}." if made.created else f"{made.folder} already exists.",
        f"Linked it as {made.link_name} in the server's root folder."
        if made.link_created
        else f"The link {made.link_name} already points to it.",
    ]
    return {
        **build_persistence(facts, site),
        "action": {
            "created": made.created,
            "link_created": made.link_created,
            "git_excluded": made.git_excluded,
            "message": " ".join(parts),
        },
    }


# -- the parts ------------------------------------------------------------------------------


def _answer(
    facts: PersistenceFacts, site: SiteConfig, warnings: list[Warning]
) -> PersistenceAnswer:
    state = facts.volume
    mount = state.mount if state else None
    space = state.space if state else None
    usable = space.used + space.free if space else 0  # as df's Use%: the root reserve is neither
    return {
        "path": str(facts.path),
        "user": facts.user,
        "user_source": facts.user_source,
        "exists": facts.exists,
        "is_dir": facts.is_dir,
        "mounted": mount is not None and state is not None and mount.mount_point == state.real_path,
        "fs_type": mount.fs_type if mount else None,
        "mount": _mount(state),
        "read_only": state is not None
        and (bool(mount and mount.read_only) or state.probe.errno == errno.EROFS),
        "writable": state is not None and state.probe.ok,
        "write_error": state.probe.error if state else None,
        "total": space.total if space else None,
        "used": space.used if space else None,
        "free": space.free if space else None,
        "used_fraction": space.used / usable if space and usable else None,
        "instance_dir": _instance_dir(state),
        "instances": _instances(state),
        "scan": _scan(state.scan) if state else _no_scan(facts.bounds.files),
        "link": state.link if state else None,
        "inactivity_timeout": site.inactivity_timeout,
        "warnings": warnings,
    }


def _mount(state: VolumeState | None) -> MountFacts | None:
    if state is None or state.mount is None:
        return None
    mount = state.mount
    return {
        "mount_point": mount.mount_point,
        "fs_type": mount.fs_type,
        "source": mount.source,
        "read_only": mount.read_only,
        "options": mount.options,
    }


def _instance_dir(state: VolumeState | None) -> InstanceDir | None:
    if state is None:
        return None
    choice = state.choice
    return {
        "name": choice.name,
        "path": str(choice.path),
        "exists": choice.exists,
        "skipped_names": list(choice.skipped),
    }


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()


def _marker_text(folder: FolderFacts, key: str) -> str | None:
    """A marker's field as text, credentials hidden: any notebook may have written it."""
    value = (folder.marker or {}).get(key)
    return redact(value) if isinstance(value, str) else None


def _instances(state: VolumeState | None) -> list[InstanceFolder]:
    if state is None:
        return []
    current = state.choice.name if state.choice.exists else None
    return [
        {
            "name": folder.name,
            "path": folder.path,
            "size": folder.size,
            "files": folder.files,
            "size_complete": folder.complete,
            "modified": _iso(folder.latest_change),
            "is_current": folder.name == current,
            "managed": folder.marker is not None,
            "server_name": _marker_text(folder, "server_name"),
            "repo_url": _marker_text(folder, "repo_url"),
            "created": _marker_text(folder, "created"),
        }
        for folder in state.scan.folders
    ]


def _scan(scan: InstanceScan) -> ScanFacts:
    capped = not scan.listing_complete or any(not f.complete for f in scan.folders)
    return {"files_visited": scan.visited, "limit": scan.bounds.files, "capped": capped}


def _no_scan(limit: int) -> ScanFacts:
    return {"files_visited": 0, "limit": limit, "capped": False}


# -- the warnings -----------------------------------------------------------------------------


def _missing(facts: PersistenceFacts) -> Warning:
    what = "is not a folder" if facts.exists else "does not exist"
    return warning(
        "volume_missing",
        "error",
        f"The persistent volume {facts.path} {what}: nothing written in this notebook "
        "will outlive it. Ask the site's administrators, or check "
        "c.BinderExt.persistent_volume_template.",
    )


def _volume_warnings(
    answer: PersistenceAnswer, state: VolumeState, site: SiteConfig
) -> list[Warning]:
    """What the user should know about a volume that is there, from the answer's figures."""
    volume = answer["path"]
    found: list[Warning] = []
    if not answer["mounted"]:
        mount = state.mount
        holder = f" (it lies on {mount.mount_point}, {mount.fs_type})" if mount else ""
        found.append(
            warning(
                "not_a_mount",
                "warning",
                f"{volume} is a plain folder, not a volume of its own{holder}: it may "
                "not persist beyond this notebook.",
            )
        )
    if answer["read_only"]:
        found.append(
            warning(
                "read_only",
                "error",
                f"The persistent volume {volume} is read-only: results cannot be saved there.",
            )
        )
    elif not answer["writable"]:
        found.append(
            warning("not_writable", "error", f"Cannot write to {volume}: {answer['write_error']}.")
        )
    found.extend(_fullness_warnings(answer, state, site))
    return found


def _fullness_warnings(
    answer: PersistenceAnswer, state: VolumeState, site: SiteConfig
) -> list[Warning]:
    found: list[Warning] = []
    fraction = answer["used_fraction"]
    if fraction is not None and fraction > site.nearly_full_fraction:
        found.append(
            warning(
                "nearly_full",
                "warning",
                f"The persistent volume is {fraction:.0%} full ({byte_size(answer['free'])} "
                "free): delete what you no longer need before results fail to save.",
                figure="used",
            )
        )
    scan, bounds = answer["scan"], state.scan.bounds
    if scan["capped"]:
        found.append(
            warning(
                "scan_capped",
                "info",
                f"Sizes are partial: the scan stopped after {scan['files_visited']} "
                f"entries (at most {bounds.files} files, {bounds.seconds:g} s and "
                f"{bounds.folders} folders are looked at).",
            )
        )
    link = answer["link"]
    if link is not None and link["blocked"]:
        found.append(
            warning(
                "link_blocked",
                "warning",
                f"{link['path']} is a real file or folder, so no link to the "
                "instance folder can be made there; rename it, or set "
                "c.BinderExt.instance_link_name.",
            )
        )
    return found
