"""The SSH endpoints through a real Jupyter server, and a scan for the private key.

Every endpoint of the persistence and SSH sections is called; no response body and no log
line of the server may contain any line of the private key's base64 body. GitHub is stood in
for by the loopback sshd of tests/fixtures/sshd.py (see test_ssh.py).
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.sshd import SSHServer, make_keypair
from fixtures.tmpfs import mount_tmpfs, unmount
from tornado.httpclient import HTTPClientError


class Setup:
    def __init__(self, tmp_path: Path, root: Path) -> None:
        self.private, self.public = make_keypair(tmp_path / "mounted", "ed25519", "alice@binder")
        # As mounted secrets often are: readable by all, so the private copy path runs too.
        self.private.chmod(0o644)
        self.ssh_dir = tmp_path / "dot-ssh"
        self.home = tmp_path / "home"
        self.volume = self.home / "alice-nfs-pvc"
        self.known_hosts = tmp_path / "standin_known_hosts"
        self.root = root
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
        subprocess.run(
            ["git", "-C", str(root), "remote", "add", "origin", "https://github.com/o/r"],
            check=True,
        )

    def body_lines(self) -> list[str]:
        lines = self.private.read_text().splitlines()
        return [line for line in lines if line and not line.startswith("-----")]


@pytest.fixture
def setup(tmp_path: Path, jp_root_dir: Path) -> Iterator[Setup]:
    setup = Setup(tmp_path, jp_root_dir)
    try:
        yield setup
    finally:
        unmount(setup.volume)


@pytest.fixture
def jp_server_config(jp_server_config: Any, setup: Setup, sshd_server: SSHServer) -> dict[str, Any]:
    setup.known_hosts.write_text(sshd_server.known_hosts_line("github.com"))
    setup.ssh_dir.mkdir(mode=0o700)
    # The user's own ssh config: the host alias standing in for github.com.
    (setup.ssh_dir / "config").write_text(sshd_server.ssh_config_alias("github.com"))
    return {
        **jp_server_config,
        # Debug level: the scan below covers every log line the server writes.
        "ServerApp": {**jp_server_config.get("ServerApp", {}), "log_level": "DEBUG"},
        "BinderExt": {
            "ssh_private_key_path": str(setup.private),
            "ssh_public_key_path": str(setup.public),
            "ssh_dir": str(setup.ssh_dir),
            "github_ssh_port": sshd_server.port,
            "github_ssh_user": sshd_server.login_user,
            "ssh_known_hosts_file": str(setup.known_hosts),
            "ssh_test_timeout": 10.0,
            "persistent_volume_template": str(setup.home / "{username}-nfs-pvc"),
        },
    }


def keygen_line(pub: Path) -> str:
    return subprocess.run(
        ["ssh-keygen", "-lf", str(pub)], check=True, capture_output=True, text=True
    ).stdout.strip()


async def test_get_ssh_answers_the_documented_shape(jp_fetch: Any, setup: Setup) -> None:
    response = await jp_fetch("binder", "api", "ssh")
    data = json.loads(response.body)
    assert response.code == 200
    assert {
        "public_key",
        "key_type",
        "fingerprint",
        "bits",
        "comment",
        "private_key_usable",
        "private_key_path_used",
        "git_configured",
        "add_key_url",
        "steps",
        "warnings",
    } <= set(data)
    assert data["fingerprint_line"] == keygen_line(setup.public)
    assert data["fingerprint"] == keygen_line(setup.public).split()[1]
    assert data["private_key_usable"] is True
    assert data["private_key_path_used"] == str(setup.ssh_dir / "binder_id")
    assert data["git_configured"] is False
    assert [step["id"] for step in data["steps"]] == [
        "copy_public_key",
        "add_key",
        "configure_git",
        "test",
    ]


async def test_configure_then_test_through_the_server(
    jp_fetch: Any, setup: Setup, sshd_server: SSHServer
) -> None:
    denied = json.loads(await _post(jp_fetch, "ssh", "test"))
    assert denied["outcome"] == "permission_denied"

    sshd_server.add_authorized_key(setup.public.read_text(), github_user="alice-gh")
    configured = json.loads(await _post(jp_fetch, "ssh", "configure-git"))
    assert configured["git_configured"] is True
    assert configured["configure"]["changed"]
    again = json.loads(await _post(jp_fetch, "ssh", "configure-git"))
    assert again["configure"]["changed"] == []

    accepted = json.loads(await _post(jp_fetch, "ssh", "test"))
    assert accepted["ok"] is True and accepted["github_user"] == "alice-gh"


async def test_configure_without_a_key_is_a_409_with_a_reason(jp_fetch: Any, setup: Setup) -> None:
    setup.private.unlink()
    with pytest.raises(HTTPClientError) as caught:
        await _post(jp_fetch, "ssh", "configure-git")
    assert caught.value.code == 409
    error = json.loads(caught.value.response.body)
    assert error["error"] == "conflict" and error["reason"] == "no_usable_key"
    assert str(setup.private) in error["message"]


async def _post(jp_fetch: Any, *path: str) -> bytes:
    response = await jp_fetch("binder", "api", *path, method="POST", body="")
    return bytes(response.body)


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def server_log() -> Iterator[Collect]:
    """Every log record of the process, whichever logger it goes through."""
    handler = Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in loggers:
        logger.addHandler(handler)
    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    logging.getLogger("jupyter_binder_ext").setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logging.getLogger().setLevel(previous)
        for logger in loggers:
            logger.removeHandler(handler)


async def test_no_response_and_no_log_line_holds_the_private_key(
    jp_fetch: Any,
    setup: Setup,
    sshd_server: SSHServer,
    server_log: Collect,
    binder_env: dict[str, str],
) -> None:
    mount_tmpfs(setup.volume)
    secret_lines = setup.body_lines()
    assert len(secret_lines) >= 3
    sshd_server.add_authorized_key(setup.public.read_text())
    bodies: list[str] = []
    calls = [
        ("GET", ("persistence",)),
        ("POST", ("persistence", "instance-dir")),
        ("GET", ("persistence",)),
        ("GET", ("ssh",)),
        ("POST", ("ssh", "test")),
        ("POST", ("ssh", "configure-git")),
        ("POST", ("ssh", "configure-git")),
        ("GET", ("ssh",)),
        ("POST", ("ssh", "test")),
    ]
    for method, path in calls:
        kwargs: dict[str, Any] = {"method": method}
        if method == "POST":
            kwargs["body"] = ""
        response = await jp_fetch("binder", "api", *path, **kwargs)
        assert response.code in (200, 201)
        bodies.append(response.body.decode())
    assert json.loads(bodies[-1])["ok"] is True  # the scan covered a real, successful test
    # The failure paths too: error answers and their log lines.
    setup.private.unlink()
    for path in (("ssh", "configure-git"), ("ssh", "test")):
        try:
            response = await jp_fetch("binder", "api", *path, method="POST", body="")
            bodies.append(response.body.decode())
        except HTTPClientError as err:
            assert err.code == 409
            bodies.append(err.response.body.decode())
    bodies.append((await jp_fetch("binder", "api", "ssh")).body.decode())

    assert any("binder/api/ssh/test" in line for line in server_log.lines)  # access log seen
    assert any("private 0600 copy" in line for line in server_log.lines)  # our own log
    for line in secret_lines:
        for body in bodies:
            assert line not in body
        for logged in server_log.lines:
            assert line not in logged
