"""The persistence answers built from hand-made facts: the sentences, without a volume."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.mountinfo import Mount
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.persistence.answers import InstanceLink, PersistenceAnswer
from jupyter_binder_ext.persistence.builders import (
    InstanceDirMade,
    build_instance_dir,
    build_persistence,
)
from jupyter_binder_ext.persistence.facts import (
    FolderFacts,
    InstanceScan,
    PersistenceFacts,
    ScanBounds,
    Space,
    VolumeState,
    WriteProbe,
)
from jupyter_binder_ext.persistence.instance_dirs import InstanceChoice
from jupyter_binder_ext.persistence.text import describe_persistence

VOLUME = Path("/home/alice-nfs-pvc")
BOUNDS = ScanBounds(files=100, seconds=5.0, folders=3)
GIB = 1024**3


def link() -> InstanceLink:
    return {
        "name": "persistent",
        "path": "/srv/repo/persistent",
        "browser_path": "persistent",
        "exists": False,
        "is_symlink": False,
        "target": None,
        "points_to_instance": False,
        "points_into_volume": False,
        "blocked": False,
    }


HEALTHY = VolumeState(
    real_path=str(VOLUME),
    mount=Mount(str(VOLUME), "nfs4", "server:/export", False, "rw"),
    probe=WriteProbe(True),
    space=Space(total=10 * GIB, used=2 * GIB, free=8 * GIB),
    choice=InstanceChoice("o-r-ab12cd34", VOLUME / "o-r-ab12cd34", True, ()),
    scan=InstanceScan(
        (FolderFacts("o-r-ab12cd34", str(VOLUME / "o-r-ab12cd34"), 1536, 2, 0.0, True, {}),),
        3,
        BOUNDS,
        True,
    ),
    link=link(),
)


def state(**changes: Any) -> VolumeState:
    return replace(HEALTHY, **changes)


def facts(volume: VolumeState | None, *, exists: bool = True) -> PersistenceFacts:
    return PersistenceFacts("alice", "hub", VOLUME, exists, volume is not None, BOUNDS, volume)


def kinds(answer: PersistenceAnswer) -> list[str]:
    return [w["kind"] for w in answer["warnings"]]


def test_a_missing_volume_says_so_and_where_to_look() -> None:
    answer = build_persistence(facts(None, exists=False), SiteConfig())
    assert answer["exists"] is False and answer["writable"] is False
    assert answer["instance_dir"] is None and answer["scan"]["limit"] == 100
    assert kinds(answer) == ["volume_missing", "inactivity"]
    missing = answer["warnings"][0]["message"]
    assert missing.startswith(f"The persistent volume {VOLUME} does not exist: nothing written")
    assert "c.BinderExt.persistent_volume_template" in missing
    assert "keep your work in the persistent volume" in answer["warnings"][1]["message"]


def test_a_file_where_the_volume_goes_is_not_a_folder() -> None:
    answer = build_persistence(facts(None, exists=True), SiteConfig())
    assert f"{VOLUME} is not a folder" in answer["warnings"][0]["message"]


def test_a_healthy_volume_warns_only_about_inactivity() -> None:
    answer = build_persistence(facts(state()), SiteConfig())
    assert answer["mounted"] is True and answer["fs_type"] == "nfs4"
    assert answer["used_fraction"] == 0.2
    assert kinds(answer) == ["inactivity"]
    assert f"this instance's folder {VOLUME / 'o-r-ab12cd34'}" in answer["warnings"][0]["message"]
    assert answer["instances"][0]["is_current"] is True


def test_a_nearly_full_volume_names_what_is_left_in_binary_units() -> None:
    full = state(space=Space(total=10 * GIB, used=int(9.5 * GIB), free=GIB // 2))
    answer = build_persistence(facts(full), SiteConfig(nearly_full_fraction=0.9))
    nearly = next(w for w in answer["warnings"] if w["kind"] == "nearly_full")
    assert nearly["message"].startswith("The persistent volume is 95% full (512.0 MiB free)")
    assert nearly["figure"] == "used"


def test_a_plain_read_only_folder_gets_both_warnings() -> None:
    plain = state(
        real_path="/home/alice-nfs-pvc",
        mount=Mount("/home", "ext4", "/dev/sda1", True, "ro"),
        probe=WriteProbe(False, 30, "Read-only file system"),
    )
    answer = build_persistence(facts(plain), SiteConfig())
    assert answer["mounted"] is False and answer["read_only"] is True
    assert kinds(answer)[:2] == ["not_a_mount", "read_only"]
    assert "(it lies on /home, ext4)" in answer["warnings"][0]["message"]


def test_a_capped_scan_says_its_bounds() -> None:
    capped = state(scan=InstanceScan((), 100, BOUNDS, False))
    answer = build_persistence(facts(capped), SiteConfig())
    assert answer["scan"] == {"files_visited": 100, "limit": 100, "capped": True}
    message = next(w["message"] for w in answer["warnings"] if w["kind"] == "scan_capped")
    assert "stopped after 100 entries (at most 100 files, 5 s and 3 folders" in message


def test_the_instance_dir_answer_says_what_was_done_and_the_text_shows_it() -> None:
    made = InstanceDirMade(str(VOLUME / "o-r-ab12cd34"), True, "persistent", True, True)
    answer = build_instance_dir(facts(state()), made, SiteConfig())
    assert answer["action"]["message"] == (
        f"Created {VOLUME / 'o-r-ab12cd34'}. Linked it as persistent in the server's root folder."
    )
    text = describe_persistence(answer)
    assert "  2.0 GiB used of 10.0 GiB, 8.0 GiB free" in text
    assert " * o-r-ab12cd34  1.5 KiB  changed" in text
    assert text.count("Linked it as persistent") == 1
