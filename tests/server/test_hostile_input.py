"""Hostile and odd files and bodies against a real Jupyter server with the extension.

Each case puts something a repository, a user or a script could leave behind (a link out of
the tree, a dangling link, a FIFO, a huge sparse file, a token in a remote URL) or sends a
body no client should (lone surrogates, NUL characters, deep nesting, many keys), and checks
three things: a clear answer (a 4xx or a correct 200), ``/api/status`` answering while the
request runs, and nothing outside the allowed folders changed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from fixtures.sshd import make_keypair
from tornado.httpclient import HTTPClientError, HTTPResponse

from jupyter_binder_ext.errors import InvalidInput
from jupyter_binder_ext.projects.names import validate_server_name

TOKEN = "ghs_secretTokenThatMustNotLeak0123456789"


class Tree:
    """The server's root (a git repository), a volume, an ssh folder, and a place outside."""

    def __init__(self, tmp_path: Path, root: Path) -> None:
        self.root = root
        self.outside = tmp_path / "outside"
        self.outside.mkdir()
        self.home = tmp_path / "home"
        self.volume = self.home / "alice-nfs-pvc"
        self.volume.mkdir(parents=True)
        self.ssh_dir = tmp_path / "dot-ssh"
        self.ssh_dir.mkdir(mode=0o700)
        self.private, self.public = make_keypair(tmp_path / "mounted", "ed25519", "alice@b")
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
        self.git("config", "user.name", "T")
        self.git("config", "user.email", "t@example.org")
        (root / "README.md").write_text("# r\n")
        self.git("add", "README.md")
        self.git("commit", "-q", "-m", "initial")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.root), *args], check=True, capture_output=True, text=True
        ).stdout.strip()

    def outside_state(self) -> dict[str, bytes]:
        """Every file outside the allowed folders, to compare before and after."""
        return {
            str(path): path.read_bytes()
            for path in sorted(self.outside.rglob("*"))
            if path.is_file() and not path.is_symlink()
        }


@pytest.fixture
def tree(tmp_path: Path, jp_root_dir: Path) -> Tree:
    return Tree(tmp_path, jp_root_dir)


@pytest.fixture
def jp_server_config(jp_server_config: Any, tree: Tree) -> dict[str, Any]:
    return {
        **jp_server_config,
        "BinderExt": {
            "repo_dir": str(tree.root),
            "persistent_volume_template": str(tree.home / "{username}-nfs-pvc"),
            "ssh_private_key_path": str(tree.private),
            "ssh_public_key_path": str(tree.public),
            "ssh_dir": str(tree.ssh_dir),
        },
    }


def body(response: HTTPResponse) -> Any:
    return json.loads(response.body.decode())


async def answer(call: Awaitable[HTTPResponse]) -> HTTPResponse:
    """The response, whether 2xx or an error status."""
    try:
        return await call
    except HTTPClientError as err:
        assert err.response is not None
        return err.response


async def while_responsive(jp_fetch: Any, request: Awaitable[HTTPResponse]) -> HTTPResponse:
    """Run `request` while asking ``/api/status`` every 50 ms; both must finish in time."""
    task = asyncio.ensure_future(answer(request))
    statuses = 0
    try:
        async with asyncio.timeout(20):
            while not task.done():
                status = await asyncio.wait_for(jp_fetch("api", "status"), 5)
                assert status.code == 200
                statuses += 1
                await asyncio.sleep(0.05)
            response = await task
    finally:
        task.cancel()
    assert statuses >= 1
    return response


def put_resources(jp_fetch: Any, raw: str | bytes) -> Awaitable[HTTPResponse]:
    return jp_fetch("binder", "api", "resources", method="PUT", body=raw)


# -- .resources ------------------------------------------------------------------------------


async def test_a_fifo_named_resources_never_freezes_the_server(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str]
) -> None:
    fifo = tree.root / ".resources"
    os.mkfifo(fifo)
    response = await while_responsive(jp_fetch, jp_fetch("binder", "api", "resources"))
    data = body(response)
    assert data["exists"] is True and data["text"] == ""
    assert "named pipe (FIFO)" in data["problems"][0]["message"]
    refused = await while_responsive(jp_fetch, put_resources(jp_fetch, '{"values": {"meml": 4}}'))
    assert refused.code == 409
    assert fifo.is_fifo()


async def test_a_link_to_the_private_key_is_never_shown_nor_written_through(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str]
) -> None:
    key_lines = [ln for ln in tree.private.read_text().splitlines() if "-----" not in ln]
    secret = tree.outside / "key"
    secret.write_bytes(tree.private.read_bytes())
    link = tree.root / ".resources"
    link.symlink_to(secret)
    before = tree.outside_state()

    response = await while_responsive(jp_fetch, jp_fetch("binder", "api", "resources"))
    text = response.body.decode()
    assert not any(line in text for line in key_lines)
    data = body(response)
    assert data["exists"] is True
    assert "is a symbolic link" in data["problems"][0]["message"]

    for payload in ('{"values": {"meml": 4}}', '{"text": "meml=4\\n"}'):
        refused = await while_responsive(jp_fetch, put_resources(jp_fetch, payload))
        assert refused.code == 409
        assert not any(line in refused.body.decode() for line in key_lines)
    assert tree.outside_state() == before
    assert link.is_symlink()


async def test_a_dangling_link_creates_nothing_outside_the_root(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str]
) -> None:
    target = tree.outside / "created-by-the-server"
    (tree.root / ".resources").symlink_to(target)
    refused = await while_responsive(jp_fetch, put_resources(jp_fetch, '{"values": {"gpu": 0}}'))
    assert refused.code == 409
    assert "symbolic link" in body(refused)["message"]
    assert not os.path.lexists(target)


async def test_a_huge_sparse_resources_is_refused_not_read(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str]
) -> None:
    with (tree.root / ".resources").open("wb") as handle:
        handle.truncate(256 * 1024 * 1024)
    response = await while_responsive(jp_fetch, jp_fetch("binder", "api", "resources"))
    assert len(response.body) < 20_000
    assert "larger than" in body(response)["problems"][0]["message"]


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        ('{"text": "meml=4\\ud800"}', 400, "lone surrogate"),
        ('{"values": {"me\\udcffml": 4}}', 400, "lone surrogate"),
        ('{"values": {"meml": "4\\ud800"}}', 400, "lone surrogate"),
        ('{"text": "meml=4\\u0000"}', 400, "NUL"),
        ('{"values": ' + "[" * 100_000 + "]" * 100_000 + "}", 413, "at most"),
        ('{"values": ' + "[" * 2_000 + "]" * 2_000 + "}", 400, "nests"),
        (
            '{"values": {' + ",".join(f'"k{i}": 1' for i in range(300_000)) + "}}",
            413,
            "at most",
        ),
        (b'{"text": "\xff\xfe"}', 400, "not valid JSON"),
    ],
    ids=[
        "surrogate-text",
        "surrogate-key",
        "surrogate-value",
        "nul",
        "deep-100k",
        "deep-2k",
        "300k-keys",
        "not-utf8",
    ],
)
async def test_hostile_put_bodies_are_clear_4xx_and_write_nothing(
    jp_fetch: Any, tree: Tree, raw: str, status: int, words: str
) -> None:
    response = await while_responsive(jp_fetch, put_resources(jp_fetch, raw))
    assert response.code == status
    assert words in body(response)["message"]
    assert not os.path.lexists(tree.root / ".resources")


async def test_many_unknown_keys_give_a_capped_problem_list(jp_fetch: Any, tree: Tree) -> None:
    raw = '{"values": {' + ",".join(f'"k{i}": 1' for i in range(5_000)) + "}}"
    assert len(raw) < 64 * 1024
    response = await while_responsive(jp_fetch, put_resources(jp_fetch, raw))
    assert response.code == 400
    problems = body(response)["problems"]
    assert len(problems) <= 50
    assert "4980 more unknown keys" in problems[-1]["message"]
    assert len(response.body) < 20_000


# -- relaunch: every field checked before the first side effect --------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        '{"values": {"meml": 4}, "message": "ask\\u0000for more"}',
        '{"values": {"meml": 4}, "message": "ask \\ud800"}',
        '{"values": {"meml": 4}, "labpath": "notebooks/\\udfff.ipynb"}',
        '{"values": {"meml": 4}, "labpath": "a\\u0000b"}',
        '{"values": {"meml": 4}, "message": "' + "x" * 20_000 + '"}',
    ],
    ids=["nul-message", "surrogate-message", "surrogate-labpath", "nul-labpath", "long"],
)
async def test_relaunch_refuses_bad_text_before_writing_or_committing(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str], payload: str
) -> None:
    head = tree.git("rev-parse", "HEAD")
    response = await while_responsive(
        jp_fetch, jp_fetch("binder", "api", "relaunch", method="POST", body=payload)
    )
    assert response.code == 400
    assert body(response)["error"] == "invalid"
    assert not (tree.root / ".resources").exists()
    assert tree.git("rev-parse", "HEAD") == head
    assert tree.git("status", "--porcelain") == ""


# -- the volume --------------------------------------------------------------------------------


async def test_hostile_instance_markers_are_not_trusted_and_never_block(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str]
) -> None:
    fifo_folder = tree.volume / "o-r-ab12cd34"
    fifo_folder.mkdir()
    os.mkfifo(fifo_folder / ".binder-instance.json")
    linked = tree.volume / "o-r-ab12cd34-2"
    linked.mkdir()
    forged = tree.outside / "marker.json"
    forged.write_text(json.dumps({"user": "alice", "server_name": "o-r-ab12cd34"}))
    (linked / ".binder-instance.json").symlink_to(forged)
    device = tree.volume / "o-r-ab12cd34-3"
    device.mkdir()
    (device / ".binder-instance.json").symlink_to("/dev/zero")

    response = await while_responsive(jp_fetch, jp_fetch("binder", "api", "persistence"))
    data = body(response)
    assert {item["name"]: item["managed"] for item in data["instances"]} == {
        "o-r-ab12cd34": False,
        "o-r-ab12cd34-2": False,
        "o-r-ab12cd34-3": False,
    }
    # None of them is adopted: this instance gets a fresh name.
    assert data["instance_dir"]["name"] == "o-r-ab12cd34-4"


async def test_git_exclude_is_never_appended_through_a_link(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str]
) -> None:
    outside_exclude = tree.outside / "exclude"
    outside_exclude.write_text("# someone else's file\n")
    exclude = tree.root / ".git" / "info" / "exclude"
    exclude.unlink(missing_ok=True)
    exclude.symlink_to(outside_exclude)
    before = tree.outside_state()
    response = await while_responsive(
        jp_fetch,
        jp_fetch("binder", "api", "persistence", "instance-dir", method="POST", body="{}"),
    )
    assert response.code == 201
    assert body(response)["action"]["git_excluded"] is False
    assert tree.outside_state() == before
    assert exclude.is_symlink()


# -- credentials -------------------------------------------------------------------------------


async def test_a_token_in_the_remote_url_never_leaves_the_server(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    tree.git("remote", "add", "origin", f"https://x-access-token:{TOKEN}@github.com/o/r.git")
    got = await jp_fetch("binder", "api", "ssh")
    assert TOKEN not in got.body.decode()
    assert body(got)["repo"]["origin_url"] == "https://***@github.com/o/r.git"
    configured = await jp_fetch("binder", "api", "ssh", "configure-git", method="POST", body="")
    assert TOKEN not in configured.body.decode()
    # The fetch URL keeps its token (it is the user's); only what is shown is redacted.
    assert TOKEN in tree.git("config", "remote.origin.url")
    assert TOKEN not in caplog.text


async def test_an_ssh_config_link_is_refused_and_left_alone(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str]
) -> None:
    dotfiles = tree.outside / "ssh_config"
    dotfiles.write_text("Host *\n    ServerAliveInterval 30\n")
    (tree.ssh_dir / "config").symlink_to(dotfiles)
    before = tree.outside_state()
    response = await answer(
        jp_fetch("binder", "api", "ssh", "configure-git", method="POST", body="")
    )
    assert response.code == 409
    assert "symbolic link" in body(response)["message"]
    assert tree.outside_state() == before


def test_a_server_name_is_matched_whole() -> None:
    for name in ("abc\n", "abc\nxyz", "abc\r"):
        with pytest.raises(InvalidInput):
            validate_server_name(name)
    assert validate_server_name("abc") == "abc"


# -- work/save (what idle deletion would lose) -------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"to": "github", "message": "keep\u0000it"}, "message holds a NUL character"),
        ({"to": "github", "message": "keep \ud800 it"}, "message holds invalid Unicode"),
        ({"to": "github", "message": "m" * 10_001}, "at most 10000 are accepted"),
        (
            {"to": "github", "paths": ["notes\ud800.txt"], "message": "m"},
            "paths[0] holds invalid Unicode",
        ),
        ({"to": "persistent", "paths": ["notes\ud800.txt"]}, "paths[0] holds invalid Unicode"),
        ({"to": "persistent", "paths": ["a\u0000b"]}, "paths[0] holds a NUL character"),
    ],
)
async def test_work_save_refuses_hostile_text_before_staging_anything(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str], fields: dict[str, Any], words: str
) -> None:
    (tree.root / "notes.txt").write_text("unsaved\n")
    head = tree.git("rev-parse", "HEAD")
    raw = json.dumps(fields)  # ASCII: a lone surrogate travels as its \ud800 escape
    response = await while_responsive(
        jp_fetch, jp_fetch("binder", "api", "work", "save", method="POST", body=raw)
    )
    assert response.code == 400
    assert words in body(response)["message"]
    assert tree.git("diff", "--cached", "--name-only") == ""
    assert tree.git("rev-parse", "HEAD") == head
    assert list(tree.volume.iterdir()) == []


async def test_work_save_never_copies_through_a_link_out_of_the_root(
    jp_fetch: Any, tree: Tree, binder_env: dict[str, str]
) -> None:
    (tree.outside / "secret.txt").write_text("not the project's\n")
    (tree.root / "elsewhere").symlink_to(tree.outside)
    before = tree.outside_state()
    for paths in (["elsewhere"], ["elsewhere/secret.txt"]):
        raw = json.dumps({"to": "persistent", "paths": paths})
        response = await answer(jp_fetch("binder", "api", "work", "save", method="POST", body=raw))
        assert response.code == 400
        assert "link out of the project's folder" in body(response)["message"]
    assert list(tree.volume.iterdir()) == []
    assert tree.outside_state() == before


@pytest.mark.parametrize(
    "route", [("ssh", "configure-git"), ("ssh", "test"), ("persistence", "instance-dir")]
)
@pytest.mark.parametrize("body", ["garbage", '{"force": true}', "[1, 2]"])
async def test_actions_without_parameters_refuse_a_body_and_do_nothing(
    jp_fetch: Any, tmp_path: Path, route: tuple[str, str], body: str
) -> None:
    before = sorted(p.name for p in tmp_path.rglob("*"))
    response = await jp_fetch("binder", "api", *route, method="POST", body=body, raise_error=False)
    assert response.code == 400
    assert json.loads(response.body)["error"] == "invalid"
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
