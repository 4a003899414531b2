"""``GET`` / ``PUT binder/api/resources`` through a real Jupyter server on a real git repo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from jupyter_binder_ext.common.units import GB
from jupyter_binder_ext.resources.model import ABSENT_ETAG, KEYS, NOT_GITHUB_WARNING


def body(response: HTTPResponse) -> Any:
    return json.loads(response.body.decode())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    return path


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], repo: Path) -> dict[str, Any]:
    return {**jp_server_config, "BinderExt": {"repo_dir": str(repo)}}


async def put(jp_fetch: Any, payload: Any, etag: str | None = None) -> HTTPResponse:
    headers = {"If-Match": f'"{etag}"'} if etag else {}
    return await jp_fetch(
        "binder", "api", "resources", method="PUT", body=json.dumps(payload), headers=headers
    )


async def put_error(jp_fetch: Any, payload: Any, etag: str | None = None) -> HTTPResponse:
    with pytest.raises(HTTPClientError) as caught:
        await put(jp_fetch, payload, etag)
    assert caught.value.response is not None
    return caught.value.response


async def test_get_without_a_file(jp_fetch: Any, repo: Path, binder_env: dict[str, str]) -> None:
    response = await jp_fetch("binder", "api", "resources")
    data = body(response)
    assert response.headers["ETag"] == f'"{ABSENT_ETAG}"'
    assert set(data) == {
        "path",
        "filename",
        "exists",
        "text",
        "values",
        "effective",
        "defaults",
        "maximums",
        "ceilings",
        "running",
        "problems",
        "has_errors",
        "is_github",
        "warnings",
        "etag",
    }
    assert data["path"] == str(repo / ".resources")
    assert data["exists"] is False
    assert data["text"] == ""
    assert data["values"] == {}
    assert (
        data["effective"]
        == data["defaults"]
        == {
            "gpu": 0,
            "cpur": 1,
            "cpul": 8,
            "memr": 1,
            "meml": 16,
        }
    )
    # Ceilings on by default: the seed site's documented limits and one GPU.
    assert data["maximums"] == data["ceilings"] == {"gpu": 1, "cpul": 8, "meml": 16}
    assert data["problems"] == []
    assert data["is_github"] is True
    assert data["warnings"] == []
    assert data["etag"] == ABSENT_ETAG


async def test_get_with_a_file_and_the_running_values(
    jp_fetch: Any, repo: Path, binder_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEM_LIMIT", str(2 * GB))
    monkeypatch.setenv("MEM_GUARANTEE", str(GB))
    monkeypatch.setenv("CPU_LIMIT", "2.0")
    monkeypatch.delenv("CPU_GUARANTEE", raising=False)
    monkeypatch.delenv("NVIDIA_VISIBLE_DEVICES", raising=False)
    (repo / ".resources").write_text("# more RAM\nmeml=4\nmemr=8\n")
    data = body(await jp_fetch("binder", "api", "resources"))
    assert data["exists"] is True
    assert data["text"] == "# more RAM\nmeml=4\nmemr=8\n"
    assert data["values"] == {"meml": 4, "memr": 8}
    assert data["effective"] == {"gpu": 0, "cpur": 1, "cpul": 8, "memr": 8, "meml": 4}
    assert data["running"] == {"gpu": None, "cpur": None, "cpul": 2, "memr": 1, "meml": 2}
    assert data["has_errors"] is True
    assert data["problems"] == [
        {
            "line": 3,
            "key": "memr",
            "message": "The RAM request memr=8 is above the RAM limit meml=4: raise meml or "
            "lower memr.",
            "severity": "error",
        }
    ]
    assert len(data["etag"]) == 64


async def test_not_on_github_warns(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch, binder_env: dict[str, str]
) -> None:
    monkeypatch.setenv("BINDER_REPO_URL", "https://gitlab.com/o/r")
    monkeypatch.setenv("BINDER_REQUEST", "v2/gl/o%2Fr/main")
    monkeypatch.setenv("BINDER_PERSISTENT_REQUEST", "v2/gl/o%2Fr/0123456789abcdef")
    data = body(await jp_fetch("binder", "api", "resources"))
    assert data["is_github"] is False
    assert data["warnings"] == [
        {"kind": "not_github", "level": "warning", "message": NOT_GITHUB_WARNING}
    ]


async def test_put_values_merges_into_the_existing_text(jp_fetch: Any, repo: Path) -> None:
    path = repo / ".resources"
    path.write_bytes(b"# This file is for resource requests\r\ngpu=1\r\nmeml=4\r\n")
    etag = body(await jp_fetch("binder", "api", "resources"))["etag"]
    response = await put(jp_fetch, {"values": {"meml": 8, "cpul": "2.5", "gpu": None}}, etag)
    data = body(response)
    assert path.read_bytes() == b"# This file is for resource requests\r\nmeml=8\r\ncpul=2.5\r\n"
    assert data["values"] == {"meml": 8, "cpul": 2.5}
    assert data["text"] == path.read_bytes().decode()
    assert data["etag"] != etag
    assert response.headers["ETag"] == f'"{data["etag"]}"'


async def test_put_text_replaces_the_file(jp_fetch: Any, repo: Path) -> None:
    response = await put(jp_fetch, {"text": "# mine\ngpu=1\n"}, ABSENT_ETAG)
    assert (repo / ".resources").read_text() == "# mine\ngpu=1\n"
    assert body(response)["values"] == {"gpu": 1}
    # If-Match is optional: without it the write goes ahead.
    await put(jp_fetch, {"text": "gpu=0\n"})
    assert (repo / ".resources").read_text() == "gpu=0\n"


async def test_invalid_put_is_400_with_problems_and_the_file_unchanged(
    jp_fetch: Any, repo: Path
) -> None:
    path = repo / ".resources"
    original = b"# keep\nmeml=4\n"
    path.write_bytes(original)
    etag = body(await jp_fetch("binder", "api", "resources"))["etag"]

    response = await put_error(jp_fetch, {"values": {"meml": "4GB"}}, etag)
    assert response.code == 400
    data = body(response)
    assert data["error"] == "invalid"
    assert data["problems"] == [
        {
            "line": None,
            "key": "meml",
            "message": "RAM is in whole GB, without units: meml=4",
            "severity": "error",
        }
    ]
    assert ".resources was not changed" in data["message"]
    assert path.read_bytes() == original

    response = await put_error(jp_fetch, {"text": "meml=4\nmemr=8\nfoo=1\n"}, etag)
    assert response.code == 400
    assert [(p["line"], p["key"]) for p in body(response)["problems"]] == [
        (3, "foo"),
        (2, "memr"),
    ]
    assert path.read_bytes() == original

    for payload in ({}, {"values": {}, "text": ""}, {"value": {"meml": 4}}, {"values": [1]}):
        assert (await put_error(jp_fetch, payload, etag)).code == 400
    assert path.read_bytes() == original
    assert sorted(p.name for p in repo.iterdir()) == [".git", ".resources"]


async def test_a_resources_hard_linked_to_a_private_key_is_never_read(
    jp_fetch: Any, repo: Path, tmp_path: Path, binder_env: dict[str, str]
) -> None:
    # The extension's private key copy lives on the same disk as the repository, so the
    # user (or a notebook cell) can hard-link it; git stores no hard links, a clone none.
    key = tmp_path / "home" / ".ssh" / "id_ed25519"
    key.parent.mkdir(parents=True)
    secret = b"-----BEGIN OPENSSH " + b"PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    key.write_bytes(secret)
    key.chmod(0o600)
    path = repo / ".resources"
    os.link(key, path)

    response = await jp_fetch("binder", "api", "resources")
    assert b"PRIVATE" not in response.body and b"b3BlbnNz" not in response.body
    data = body(response)
    assert data["exists"] is True
    assert data["text"] == "" and data["values"] == {} and data["has_errors"] is True
    assert "is a hard link" in data["problems"][0]["message"]
    assert data["etag"] == ABSENT_ETAG

    refused = await put_error(jp_fetch, {"values": {"meml": 8}})
    assert refused.code == 409
    assert b"PRIVATE" not in refused.body and b"b3BlbnNz" not in refused.body
    assert "is a hard link" in body(refused)["message"]

    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("binder", "api", "relaunch", method="POST", body=json.dumps({}))
    assert caught.value.code == 400 and caught.value.response is not None
    assert b"PRIVATE" not in caught.value.response.body
    assert "is a hard link" in body(caught.value.response)["message"]

    # Nothing was written: the key and its second name are as they were.
    assert key.read_bytes() == secret and path.stat().st_ino == key.stat().st_ino
    assert key.stat().st_nlink == 2


async def test_stale_if_match_is_409_and_the_file_unchanged(jp_fetch: Any, repo: Path) -> None:
    path = repo / ".resources"
    path.write_text("meml=4\n")
    stale = body(await jp_fetch("binder", "api", "resources"))["etag"]
    path.write_text("meml=6\n")  # edited elsewhere (the file browser, git pull...)
    response = await put_error(jp_fetch, {"values": {"meml": 8}}, stale)
    assert response.code == 409
    data = body(response)
    assert data["error"] == "conflict"
    assert "changed since you loaded it" in data["message"]
    assert path.read_text() == "meml=6\n"
    assert data["etag"] == body(await jp_fetch("binder", "api", "resources"))["etag"]
    # The file is created meanwhile: the "absent" etag is stale too.
    path.unlink()
    etag = body(await jp_fetch("binder", "api", "resources"))["etag"]
    path.write_text("gpu=1\n")
    assert (await put_error(jp_fetch, {"values": {"gpu": 2}}, etag)).code == 409
    assert path.read_text() == "gpu=1\n"


@pytest.fixture
def read_only(repo: Path) -> Iterator[Path]:
    """The repository folder made read-only for real (a read-only bind mount as root)."""
    if os.geteuid() != 0:
        repo.chmod(0o555)
        yield repo
        repo.chmod(0o755)
        return
    subprocess.run(["mount", "--bind", str(repo), str(repo)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(repo)], check=True)
        yield repo
    finally:
        subprocess.run(["umount", str(repo)], check=True)


async def test_unwritable_folder_gives_a_clear_error_and_keeps_the_file(
    jp_fetch: Any, repo: Path, request: pytest.FixtureRequest
) -> None:
    path = repo / ".resources"
    path.write_text("meml=4\n")
    etag = body(await jp_fetch("binder", "api", "resources"))["etag"]
    request.getfixturevalue("read_only")
    response = await put_error(jp_fetch, {"values": {"meml": 8}}, etag)
    assert response.code == 403
    data = body(response)
    assert data["error"] == "forbidden"
    assert data["message"].startswith(f"Cannot write {path}: ")
    assert "the file was not changed" in data["message"]
    assert path.read_text() == "meml=4\n"
    assert sorted(p.name for p in repo.iterdir()) == [".git", ".resources"]


async def test_effective_has_every_key(jp_fetch: Any, repo: Path) -> None:
    (repo / ".resources").write_text("cpul=2\n")
    data = body(await jp_fetch("binder", "api", "resources"))
    assert list(data["effective"]) == list(KEYS)


# -- the same refusals for every face: the core checks, not the handler -----------------------

BAD_WRITES: list[tuple[dict[str, Any], str]] = [
    ({"text": "meml=4\ud800"}, "lone surrogate"),
    ({"text": "meml=4\0"}, "NUL"),
    ({"values": {"me\udcffml": 4}}, "lone surrogate"),
    ({"values": {"meml": "4\ud800"}}, "lone surrogate"),
    ({"values": [["meml", 4]]}, "values must be an object"),
    ({"text": 4}, "text must be a string"),
]


@pytest.mark.parametrize(("request_fields", "words"), BAD_WRITES)
async def test_the_core_refuses_what_rest_refuses(
    repo: Path, request_fields: dict[str, Any], words: str
) -> None:
    from jupyter_binder_ext.config import SiteConfig
    from jupyter_binder_ext.errors import InvalidInput
    from jupyter_binder_ext.state import ExtensionState

    state = ExtensionState(SiteConfig(repo_dir=str(repo)), env={})
    with pytest.raises(InvalidInput) as caught:
        await state.write_resources(**request_fields)
    assert words in caught.value.message
    assert not os.path.lexists(repo / ".resources")


def test_the_cli_refuses_a_key_that_is_not_utf8_as_rest_does(repo: Path, tmp_path: Path) -> None:
    config = tmp_path / "jupyter-config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"BinderExt": {"repo_dir": str(repo)}})
    )
    cli = Path(sys.executable).with_name("jupyter-binder")
    done = subprocess.run(
        [os.fsencode(cli), b"resources", b"set", b"me\xffml=4"],
        capture_output=True,
        env={**os.environ, "JUPYTER_CONFIG_DIR": str(config)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert b"a key of values holds invalid Unicode (a lone surrogate" in done.stderr
    assert not os.path.lexists(repo / ".resources")
