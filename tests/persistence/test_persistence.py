"""The persistent volume and this instance's folder on it, against real mounts.

The site's NFS volume is stood in for by a real tmpfs that the test mounts (as root) where
the template says the volume is; "only a folder", "read-only" and "missing" are the same
path as a plain directory, a read-only remount and nothing at all.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.tmpfs import mount_tmpfs, unmount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_binder_ext.common.mountinfo import is_mount_point, mount_of
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import Conflict, NotFound
from jupyter_binder_ext.launch.info import LaunchInfo, read_launch
from jupyter_binder_ext.persistence.instance_dirs import (
    MARKER_NAME,
    NAME_MAX_LENGTH,
    instance_base_name,
    sanitize_name,
)
from jupyter_binder_ext.persistence.volume import (
    create_instance_dir,
    describe_persistence,
    read_persistence,
)

MIB = 1024**2
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
ENV = {
    "JUPYTERHUB_USER": "alice",
    "JUPYTERHUB_SERVER_NAME": "o-r-ab12cd34",
    "JUPYTERHUB_API_URL": "http://127.0.0.1:1/hub/api",
    "BINDER_REPO_URL": "https://github.com/o/r",
    "BINDER_REQUEST": "v2/gh/o/r/main",
}


def launch_for(**env: str) -> LaunchInfo:
    return read_launch({**ENV, **env})


class Layout:
    """A home with the volume at ``<home>/alice-nfs-pvc`` and a repository as server root."""

    def __init__(self, tmp_path: Path) -> None:
        self.home = tmp_path / "home"
        self.home.mkdir()
        self.volume = self.home / "alice-nfs-pvc"
        self.root = tmp_path / "repo"
        self.root.mkdir()
        subprocess.run(["git", "init", "-q", str(self.root)], check=True)
        self.mounts: list[Path] = []

    def site(self, **overrides: Any) -> SiteConfig:
        return SiteConfig(
            persistent_volume_template=str(self.home / "{username}-nfs-pvc"),
            repo_dir=str(self.root),
            **overrides,
        )

    def mount(self, size: str = "16m", read_only: bool = False) -> Path:
        mount_tmpfs(self.volume, size, read_only)
        self.mounts.append(self.volume)
        return self.volume


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[Layout]:
    layout = Layout(tmp_path)
    try:
        yield layout
    finally:
        for path in reversed(layout.mounts):
            unmount(path)


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def kinds(data: dict[str, Any]) -> set[str]:
    return {warning["kind"] for warning in data["warnings"]}


def findmnt(path: Path, column: str) -> str:
    """An independent reading of the mount table (util-linux), to check ours against."""
    return subprocess.run(
        ["findmnt", "-n", "-o", column, "--target", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


# -- the volume's state --------------------------------------------------------------------


def test_mounted_volume_is_reported_with_its_type_and_space(layout: Layout) -> None:
    layout.mount(size="16m")
    data = read_persistence(layout.site(), launch_for())
    assert data["path"] == str(layout.volume)
    assert data["user"] == "alice" and data["user_source"] == "hub"
    assert data["mounted"] is True
    assert data["fs_type"] == "tmpfs" == findmnt(layout.volume, "FSTYPE")
    assert data["mount"]["mount_point"] == str(layout.volume) == findmnt(layout.volume, "TARGET")
    assert data["writable"] is True and data["read_only"] is False
    assert data["total"] == 16 * MIB
    assert 0 <= data["used"] < data["total"] and data["free"] <= data["total"]
    # The probe write leaves nothing behind.
    assert names(layout.volume) == []
    assert "not_a_mount" not in kinds(data)
    assert "inactivity" in kinds(data)


def test_plain_folder_is_not_a_mount(layout: Layout) -> None:
    layout.volume.mkdir()
    data = read_persistence(layout.site(), launch_for())
    assert data["mounted"] is False
    # The type is the one of the file system that holds the folder.
    assert data["fs_type"] == findmnt(layout.volume, "FSTYPE")
    assert data["mount"]["mount_point"] == findmnt(layout.volume, "TARGET")
    assert data["writable"] is True
    warning = next(w for w in data["warnings"] if w["kind"] == "not_a_mount")
    assert str(layout.volume) in warning["message"]


def test_read_only_volume_is_reported_and_refuses_the_instance_folder(layout: Layout) -> None:
    layout.mount()
    subprocess.run(["mount", "-o", "remount,ro", str(layout.volume)], check=True)
    data = read_persistence(layout.site(), launch_for())
    assert data["mounted"] is True
    assert data["mount"]["read_only"] is True
    assert data["read_only"] is True and data["writable"] is False
    assert data["write_error"] == os.strerror(30)  # EROFS, from the real probe
    assert "read_only" in kinds(data)
    with pytest.raises(Conflict) as caught:
        create_instance_dir(layout.site(), launch_for())
    assert caught.value.details["reason"] == "volume_read_only"
    assert not os.path.lexists(layout.root / "persistent")


def test_read_only_mount_from_the_start(layout: Layout) -> None:
    layout.mount(read_only=True)
    data = read_persistence(layout.site(), launch_for())
    assert data["read_only"] is True and data["writable"] is False


def test_missing_volume_is_an_error_with_a_reason(layout: Layout) -> None:
    data = read_persistence(layout.site(), launch_for())
    assert data["exists"] is False and data["mounted"] is False and data["writable"] is False
    assert data["instance_dir"] is None
    missing = next(w for w in data["warnings"] if w["kind"] == "volume_missing")
    assert missing["level"] == "error" and str(layout.volume) in missing["message"]
    with pytest.raises(NotFound) as caught:
        create_instance_dir(layout.site(), launch_for())
    assert caught.value.details["reason"] == "volume_missing"
    assert not layout.volume.exists()
    assert not os.path.lexists(layout.root / "persistent")


def test_nearly_full_volume_warns(layout: Layout) -> None:
    layout.mount(size="1m")
    (layout.volume / "big").write_bytes(b"\0" * (960 * 1024))
    data = read_persistence(layout.site(nearly_full_fraction=0.9), launch_for())
    assert data["used_fraction"] > 0.9
    assert "nearly_full" in kinds(data)
    roomy = read_persistence(layout.site(nearly_full_fraction=0.99), launch_for())
    assert "nearly_full" not in kinds(roomy)


def test_mount_point_with_a_space_is_unescaped_from_mountinfo(tmp_path: Path) -> None:
    # mountinfo writes the space as \040; the answer must name the real folder.
    odd = tmp_path / "my volume"
    mount_tmpfs(odd, size="1m")
    try:
        mount = mount_of(odd)
        assert mount is not None
        assert mount.mount_point == str(odd)
        assert mount.fs_type == "tmpfs"
        assert is_mount_point(odd) and not is_mount_point(tmp_path)
    finally:
        unmount(odd)


def test_without_a_hub_user_the_system_user_is_used_and_said(layout: Layout) -> None:
    import getpass

    launch = read_launch({})
    data = read_persistence(layout.site(), launch)
    assert data["user_source"] == "os"
    assert data["path"] == str(layout.home / f"{getpass.getuser()}-nfs-pvc")
    assert "not_under_hub" in kinds(data)


# -- the instance folder -------------------------------------------------------------------


def test_instance_folder_and_link_are_made_once(layout: Layout) -> None:
    layout.mount()
    site, launch = layout.site(), launch_for()
    first = create_instance_dir(site, launch)
    folder = layout.volume / "o-r-ab12cd34"
    assert first["action"]["created"] is True and first["action"]["link_created"] is True
    assert first["instance_dir"] == {
        "name": "o-r-ab12cd34",
        "path": str(folder),
        "exists": True,
        "skipped_names": [],
    }
    marker = json.loads((folder / MARKER_NAME).read_text())
    assert marker["server_name"] == "o-r-ab12cd34" and marker["user"] == "alice"
    link = layout.root / "persistent"
    assert link.is_symlink() and link.readlink() == folder
    assert first["link"]["points_to_instance"] is True
    (link / "result.txt").write_text("kept")

    second = create_instance_dir(site, launch)
    assert second["action"]["created"] is False and second["action"]["link_created"] is False
    assert second["instance_dir"]["path"] == str(folder)
    assert names(layout.volume) == ["o-r-ab12cd34"]
    assert (folder / "result.txt").read_text() == "kept"
    # The link is kept out of the repository's status (and so out of any commit).
    status = subprocess.run(
        ["git", "-C", str(layout.root), "status", "--porcelain"], capture_output=True, text=True
    ).stdout
    assert "persistent" not in status
    current = [item for item in second["instances"] if item["is_current"]]
    assert [item["name"] for item in current] == ["o-r-ab12cd34"]
    marker_size = (folder / MARKER_NAME).stat().st_size
    assert current[0]["managed"] is True
    assert current[0]["size"] == 4 + marker_size and current[0]["files"] == 2


@pytest.mark.parametrize(
    ("owner", "repo", "server"),
    [
        ("..", "..", "../../etc"),
        ("/etc", "passwd", "/root/.ssh"),
        ("o", "r", "x/../../../tmp/escape"),
        ("", "", "."),
        ("a" * 200, "b" * 200, "c" * 200),
        ("ünï", "cødé", "srv name\nwith\tspace"),
    ],
)
def test_hostile_names_stay_one_safe_folder_inside_the_volume(
    layout: Layout, owner: str, repo: str, server: str
) -> None:
    layout.mount()
    launch = launch_for(
        BINDER_REQUEST=f"v2/gh/{owner}/{repo}/main",
        BINDER_REPO_URL=f"https://github.com/{owner}/{repo}",
        JUPYTERHUB_SERVER_NAME=server,
    )
    launch = LaunchInfo(**{**launch.to_json(), "owner": owner, "repo": repo})
    data = create_instance_dir(layout.site(), launch)
    path = Path(data["instance_dir"]["path"])
    name = data["instance_dir"]["name"]
    assert SAFE_NAME.match(name) and ".." not in name and len(name) <= NAME_MAX_LENGTH
    assert path.parent == layout.volume and path.is_dir()
    assert names(layout.volume) == [name]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.text(max_size=300))
def test_sanitized_names_are_always_one_safe_component(raw: str) -> None:
    name = sanitize_name(raw)
    assert SAFE_NAME.match(name), name
    assert ".." not in name and "/" not in name and len(name) <= NAME_MAX_LENGTH


def test_long_names_that_share_a_prefix_stay_distinct() -> None:
    a = sanitize_name("x" * 100 + "-one")
    b = sanitize_name("x" * 100 + "-two")
    assert a != b and len(a) == len(b) == NAME_MAX_LENGTH


def test_name_derives_from_repository_and_server() -> None:
    assert instance_base_name(launch_for()) == "o-r-ab12cd34"
    assert instance_base_name(launch_for(JUPYTERHUB_SERVER_NAME="")) == "o-r"
    assert instance_base_name(launch_for(JUPYTERHUB_SERVER_NAME="analysis")) == "o-r-analysis"


def test_a_folder_of_another_instance_is_never_adopted(layout: Layout) -> None:
    layout.mount()
    other = layout.volume / "o-r-ab12cd34"
    other.mkdir()
    (other / MARKER_NAME).write_text(
        json.dumps({"user": "alice", "server_name": "someone-else", "repo_url": "x"})
    )
    (other / "theirs.txt").write_text("theirs")
    unmarked = layout.volume / "o-r-ab12cd34-2"
    unmarked.mkdir()  # made by hand: unknown owner, so not ours either
    site, launch = layout.site(), launch_for()
    planned = read_persistence(site, launch)["instance_dir"]
    assert planned["name"] == "o-r-ab12cd34-3" and planned["exists"] is False
    assert planned["skipped_names"] == ["o-r-ab12cd34", "o-r-ab12cd34-2"]
    made = create_instance_dir(site, launch)
    assert made["instance_dir"]["name"] == "o-r-ab12cd34-3"
    assert (layout.root / "persistent").readlink() == layout.volume / "o-r-ab12cd34-3"
    assert names(other) == [MARKER_NAME, "theirs.txt"]
    # Later answers keep finding the same folder, even once the first name frees up.
    subprocess.run(["rm", "-rf", str(other)], check=True)
    again = read_persistence(site, launch)
    assert again["instance_dir"]["name"] == "o-r-ab12cd34-3"
    assert again["instance_dir"]["exists"] is True


def test_a_real_folder_where_the_link_goes_is_left_alone(layout: Layout) -> None:
    layout.mount()
    blocker = layout.root / "persistent"
    blocker.mkdir()
    (blocker / "notes.txt").write_text("mine")
    assert "link_blocked" in kinds(read_persistence(layout.site(), launch_for()))
    with pytest.raises(Conflict) as caught:
        create_instance_dir(layout.site(), launch_for())
    assert caught.value.status == 409
    assert caught.value.details["reason"] == "link_blocked"
    assert "instance_link_name" in caught.value.message
    assert not blocker.is_symlink() and (blocker / "notes.txt").read_text() == "mine"


def test_a_link_elsewhere_is_left_alone_but_an_old_one_into_the_volume_is_renewed(
    layout: Layout,
) -> None:
    layout.mount()
    link = layout.root / "persistent"
    link.symlink_to("/usr/share")
    with pytest.raises(Conflict) as caught:
        create_instance_dir(layout.site(), launch_for())
    assert caught.value.details["reason"] == "link_exists"
    assert link.readlink() == Path("/usr/share")
    link.unlink()
    link.symlink_to(layout.volume / "an-old-instance")  # dangling, into the volume
    data = create_instance_dir(layout.site(), launch_for())
    assert data["action"]["link_created"] is True
    assert link.readlink() == layout.volume / "o-r-ab12cd34"


def test_a_custom_link_name_is_used(layout: Layout) -> None:
    layout.mount()
    data = create_instance_dir(layout.site(instance_link_name="my-data"), launch_for())
    assert data["link"]["browser_path"] == "my-data"
    assert (layout.root / "my-data").is_symlink()


# -- the instance list ---------------------------------------------------------------------


def test_instances_are_listed_with_size_and_last_change(layout: Layout) -> None:
    layout.mount()
    for name, sizes in {"alpha": [100, 200], "beta": [7]}.items():
        folder = layout.volume / name / "sub"
        folder.mkdir(parents=True)
        for index, size in enumerate(sizes):
            (folder / f"f{index}").write_bytes(b"x" * size)
    (layout.volume / ".hidden").mkdir()
    (layout.volume / "loose-file").write_text("not an instance")
    os.utime(layout.volume / "beta" / "sub" / "f0", (1_700_000_000, 1_700_000_000))
    data = read_persistence(layout.site(), launch_for())
    by_name = {item["name"]: item for item in data["instances"]}
    assert set(by_name) == {"alpha", "beta"}
    assert by_name["alpha"]["size"] == 300 and by_name["alpha"]["files"] == 2
    assert by_name["beta"]["size"] == 7 and by_name["alpha"]["size_complete"] is True
    assert by_name["beta"]["managed"] is False and by_name["beta"]["is_current"] is False
    assert by_name["alpha"]["modified"] is not None
    assert data["scan"]["capped"] is False


def test_the_walk_is_bounded_and_says_so(layout: Layout) -> None:
    layout.mount()
    many = layout.volume / "many"
    many.mkdir()
    for index in range(50):
        (many / f"f{index}").write_bytes(b"x")
    data = read_persistence(layout.site(), launch_for(), file_limit=10)
    assert data["scan"] == {"files_visited": 10, "limit": 10, "capped": True}
    item = data["instances"][0]
    assert item["size_complete"] is False and item["size"] < 50
    assert "scan_capped" in kinds(data)


def test_describe_reads_well(layout: Layout) -> None:
    layout.mount()
    data = create_instance_dir(layout.site(), launch_for())
    text = describe_persistence(data)
    assert "a mount of its own (tmpfs), writable" in text
    assert "o-r-ab12cd34" in text and "deleted after 7 days of inactivity" in text
    # When a folder changed: words, then the local date; the ISO form only in the JSON.
    assert data["instances"][0]["modified"] not in text
    assert re.search(r"changed (now|\d+ s ago) \(\w{3} \d+ \w{3} \d{4}, \d\d:\d\d", text), text


# -- through the server --------------------------------------------------------------------


@pytest.fixture
def served_layout(tmp_path: Path, jp_root_dir: Path) -> Iterator[Layout]:
    layout = Layout(tmp_path)
    layout.root = jp_root_dir  # the server's root is the repository
    subprocess.run(["git", "init", "-q", str(jp_root_dir)], check=True)
    try:
        yield layout
    finally:
        for path in reversed(layout.mounts):
            unmount(path)


@pytest.fixture
def jp_server_config(jp_server_config: Any, served_layout: Layout) -> Any:
    return {
        **jp_server_config,
        "BinderExt": {
            "persistent_volume_template": str(served_layout.home / "{username}-nfs-pvc"),
        },
    }


async def test_rest_persistence_and_instance_dir(
    jp_fetch: Any, served_layout: Layout, binder_env: dict[str, str]
) -> None:
    served_layout.mount()
    response = await jp_fetch("binder", "api", "persistence")
    data = json.loads(response.body)
    assert response.code == 200
    assert data["mounted"] is True and data["fs_type"] == "tmpfs"
    assert data["instance_dir"]["exists"] is False

    made = await jp_fetch("binder", "api", "persistence", "instance-dir", method="POST", body="")
    assert made.code == 201
    body = json.loads(made.body)
    assert body["action"]["created"] is True and body["link"]["points_to_instance"] is True
    again = await jp_fetch("binder", "api", "persistence", "instance-dir", method="POST", body="")
    assert again.code == 200 and json.loads(again.body)["action"]["created"] is False

    # The file browser reaches the volume through the link in the root folder.
    (served_layout.volume / "o-r-ab12cd34" / "saved.txt").write_text("on the volume")
    listing = await jp_fetch("api", "contents", body["link"]["browser_path"])
    names = {item["name"] for item in json.loads(listing.body)["content"]}
    assert "saved.txt" in names


async def test_rest_errors_are_json_with_reason(
    jp_fetch: Any, served_layout: Layout, binder_env: dict[str, str]
) -> None:
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as missing:
        await jp_fetch("binder", "api", "persistence", "instance-dir", method="POST", body="")
    assert missing.value.code == 404
    error = json.loads(missing.value.response.body)
    assert error["error"] == "not_found" and error["reason"] == "volume_missing"

    served_layout.mount()
    (served_layout.root / "persistent").write_text("a real file")
    with pytest.raises(HTTPClientError) as blocked:
        await jp_fetch("binder", "api", "persistence", "instance-dir", method="POST", body="")
    assert blocked.value.code == 409
    error = json.loads(blocked.value.response.body)
    assert error["reason"] == "link_blocked" and "left untouched" in error["message"]
    assert (served_layout.root / "persistent").read_text() == "a real file"


def test_markers_show_as_text_and_never_a_token(layout: Layout) -> None:
    """A marker any notebook may have written: its fields are text or null in the answer
    (the panel is typed against that) and a token in its URL stays hidden."""
    layout.mount()
    other = layout.volume / "someone"
    other.mkdir()
    (other / MARKER_NAME).write_text(
        json.dumps(
            {
                "server_name": {"x": [1, 2]},
                "repo_url": "https://tok:SECRET_MARKER@x.org/r",
                "created": 12345,
            }
        )
    )
    listed = read_persistence(layout.site(), launch_for())["instances"]
    entry = next(item for item in listed if item["name"] == "someone")
    assert entry["server_name"] is None and entry["created"] is None
    assert entry["repo_url"] == "https://***@x.org/r"


def test_this_instances_marker_holds_no_token(layout: Layout) -> None:
    layout.mount()
    launch = launch_for(BINDER_REPO_URL="https://oauth2:GLSECRET@gitlab.com/o/r")
    made = create_instance_dir(layout.site(), launch)
    marker = Path(made["instance_dir"]["path"]) / MARKER_NAME
    assert "GLSECRET" not in marker.read_text()
    # And the same folder is found again on the next read (the identity matches).
    again = read_persistence(layout.site(), launch)
    assert again["instance_dir"]["exists"] is True
    assert again["instance_dir"]["name"] == made["instance_dir"]["name"]
