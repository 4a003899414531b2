"""The SSH key section against real OpenSSH: ssh-keygen, ssh, sshd and git.

Keys are generated at test time (no private key is committed). GitHub is stood in for by a
real sshd on loopback (tests/fixtures/sshd.py) reached through an ssh config host alias for
"github.com"; its forced command prints GitHub's documented greeting. The ssh user is
"root" there (the stand-in's account), where GitHub's is "git".
"""

from __future__ import annotations

import filecmp
import os
import socket
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fixtures.sshd import SSHServer, free_port, make_keypair

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import Conflict
from jupyter_binder_ext.ssh import status as ssh
from jupyter_binder_ext.ssh.git_setup import BLOCK_BEGIN, BLOCK_END
from jupyter_binder_ext.ssh.keys import InvalidKey, parse_public_key
from jupyter_binder_ext.terminal.overview import _ssh_line

PACKAGED_KNOWN_HOSTS = Path(ssh.__file__).parent / "github_known_hosts"
# As published on "GitHub's SSH key fingerprints" (docs.github.com, authentication /
# keeping-your-account-and-data-secure / githubs-ssh-key-fingerprints).
GITHUB_PUBLISHED_FINGERPRINTS = {
    "RSA": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    "ECDSA": "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
    "ED25519": "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
}


def keygen_line(pub: Path) -> str:
    return subprocess.run(
        ["ssh-keygen", "-lf", str(pub)], check=True, capture_output=True, text=True
    ).stdout.strip()


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


class Home:
    """A user's key pair as the site mounts it, an ~/.ssh of the test's own and a clone."""

    def __init__(self, tmp_path: Path, key_type: str = "ed25519") -> None:
        self.mounted = tmp_path / "mounted-ssh"
        self.private, self.public = make_keypair(self.mounted, key_type, "alice@binder")
        self.ssh_dir = tmp_path / "dot-ssh"
        self.repo = tmp_path / "repo"
        subprocess.run(["git", "init", "-q", "-b", "main", str(self.repo)], check=True)
        git(self.repo, "remote", "add", "origin", "https://github.com/o/r")

    def site(self, **overrides: Any) -> SiteConfig:
        values: dict[str, Any] = {
            "ssh_private_key_path": str(self.private),
            "ssh_public_key_path": str(self.public),
            "ssh_dir": str(self.ssh_dir),
            "repo_dir": str(self.repo),
        }
        return SiteConfig(**{**values, **overrides})

    def private_body_lines(self) -> list[str]:
        lines = self.private.read_text().splitlines()
        return [line for line in lines if line and not line.startswith("-----")]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


def standin_site(home: Home, server: SSHServer, **overrides: Any) -> SiteConfig:
    """Settings that send "github.com" to the loopback stand-in and pin its host key."""
    known = home.ssh_dir.parent / "standin_known_hosts"
    known.write_text(server.known_hosts_line("github.com"))
    home.ssh_dir.mkdir(mode=0o700, exist_ok=True)
    config = home.ssh_dir / "config"
    if not config.exists():
        # The user's own part of the config: the host alias standing in for github.com.
        config.write_text("# my own settings\n" + server.ssh_config_alias("github.com"))
    values: dict[str, Any] = {
        "github_ssh_port": server.port,
        "github_ssh_user": server.login_user,
        "ssh_known_hosts_file": str(known),
        "ssh_test_timeout": 10.0,
    }
    return home.site(**{**values, **overrides})


# -- fingerprints ------------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["ed25519", "rsa", "ecdsa"])
def test_fingerprint_line_is_what_ssh_keygen_prints(tmp_path: Path, key_type: str) -> None:
    _private, public = make_keypair(tmp_path, key_type, f"me@{key_type} with spaces")
    key = parse_public_key(public.read_text())
    assert key.fingerprint_line() == keygen_line(public)
    assert key.fingerprint == keygen_line(public).split()[1]


def test_fingerprint_of_a_key_without_comment(tmp_path: Path) -> None:
    _private, public = make_keypair(tmp_path, "ed25519", "")
    key = parse_public_key(public.read_text())
    assert key.comment == ""
    assert key.fingerprint_line() == keygen_line(public)  # "... no comment (ED25519)"


def test_github_pinned_keys_have_the_published_fingerprints(tmp_path: Path) -> None:
    lines = keygen_line(PACKAGED_KNOWN_HOSTS).splitlines()
    printed = {line.rsplit("(", 1)[1].rstrip(")"): line.split()[1] for line in lines}
    assert printed == GITHUB_PUBLISHED_FINGERPRINTS
    for line in PACKAGED_KNOWN_HOSTS.read_text().splitlines():
        if line and not line.startswith("#"):
            host, key_text = line.split(None, 1)
            assert host == "github.com"
            key = parse_public_key(key_text)
            assert GITHUB_PUBLISHED_FINGERPRINTS[key.key_type] == key.fingerprint


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("ssh-ed25519", "no key data"),
        ("ssh-ed25519 not*base64", "base64"),
        ("ssh-foo AAAA", "Unsupported"),
    ],
)
def test_bad_public_keys_are_refused_clearly(text: str, fragment: str) -> None:
    with pytest.raises(InvalidKey) as caught:
        parse_public_key(text)
    assert fragment in caught.value.message


def test_a_private_key_pasted_as_the_public_key_is_refused(tmp_path: Path) -> None:
    private, _public = make_keypair(tmp_path, "ed25519")
    with pytest.raises(InvalidKey) as caught:
        parse_public_key(private.read_text())
    assert "not an OpenSSH public key" in caught.value.message


def test_a_key_whose_data_is_another_type_is_refused(tmp_path: Path) -> None:
    _private, public = make_keypair(tmp_path, "ed25519")
    data = public.read_text().split()[1]
    with pytest.raises(InvalidKey, match="its data is ssh-ed25519"):
        parse_public_key(f"ssh-rsa {data}")


# -- the private key ---------------------------------------------------------------------------


def test_a_private_0600_key_of_our_own_is_used_as_it_is(home: Home) -> None:
    data = ssh.read_ssh(home.site())
    assert data["private_key_usable"] is True
    assert data["private_key_path_used"] == str(home.private)
    assert data["private_key"]["copied"] is False and data["pair_matches"] is True
    assert not (home.ssh_dir / "binder_id").exists()
    assert data["fingerprint_line"] == keygen_line(home.public)
    assert data["public_key"] == " ".join(home.public.read_text().split())
    assert data["key_type"] == "ED25519" and data["bits"] == 256
    assert data["comment"] == "alice@binder"


def test_a_0644_key_gets_a_private_0600_copy(home: Home) -> None:
    home.private.chmod(0o644)
    # ssh itself refuses the mounted file as it is.
    refused = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(home.private)], capture_output=True, text=True
    )
    assert refused.returncode != 0 and "UNPROTECTED PRIVATE KEY FILE" in refused.stderr

    data = ssh.read_ssh(home.site())
    copy = home.ssh_dir / "binder_id"
    assert data["private_key_usable"] is True
    assert data["private_key_path_used"] == str(copy)
    assert data["private_key"]["too_open"] is True and data["private_key"]["mode"] == "0644"
    assert data["private_key"]["copied"] is True
    assert "0644" in data["private_key"]["reason"] and str(copy) in data["private_key"]["reason"]
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.ssh_dir.stat().st_mode) == 0o700
    assert filecmp.cmp(copy, home.private, shallow=False)
    assert data["pair_matches"] is True  # ssh-keygen loads the copy
    assert "private_copy" in {w["kind"] for w in data["warnings"]}
    assert stat.S_IMODE(home.private.stat().st_mode) == 0o644  # the mount is not touched
    # Asking again reuses the copy; a changed mounted key is copied again.
    mtime = copy.stat().st_mtime_ns
    ssh.read_ssh(home.site())
    assert copy.stat().st_mtime_ns == mtime
    new_private, _ = make_keypair(home.mounted / "new", "ed25519")
    home.private.write_bytes(new_private.read_bytes())
    ssh.read_ssh(home.site())
    assert filecmp.cmp(copy, home.private, shallow=False)


def test_a_missing_private_key_is_reported(home: Home) -> None:
    home.private.unlink()
    data = ssh.read_ssh(home.site())
    assert data["private_key_usable"] is False and data["private_key_path_used"] is None
    assert data["private_key"]["exists"] is False
    assert data["fingerprint"] is not None  # the public half is still shown
    assert any(str(home.private) in w["message"] for w in data["warnings"])
    with pytest.raises(Conflict) as caught:
        ssh.configure_git(home.site())
    assert caught.value.details["reason"] == "no_usable_key"


def test_a_missing_public_key_is_derived_from_the_private_one(home: Home) -> None:
    expected = keygen_line(home.public).split()[1]
    home.public.unlink()
    data = ssh.read_ssh(home.site())
    assert data["public_key_source"] == "derived" and data["fingerprint"] == expected


def test_a_public_key_of_another_pair_is_flagged(home: Home, tmp_path: Path) -> None:
    _other_private, other_public = make_keypair(tmp_path / "other", "ed25519")
    data = ssh.read_ssh(home.site(ssh_public_key_path=str(other_public)))
    assert data["pair_matches"] is False
    assert "pair_mismatch" in {w["kind"] for w in data["warnings"]}


def test_a_key_with_a_passphrase_is_not_usable_for_pushes(tmp_path: Path) -> None:
    home = Home(tmp_path)
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-P", "", "-N", "secret-phrase", "-f", str(home.private)],
        check=True,
        capture_output=True,
    )
    data = ssh.read_ssh(home.site())
    assert data["private_key_usable"] is False
    assert "private_key_unreadable" in {w["kind"] for w in data["warnings"]}


# -- configure-git -----------------------------------------------------------------------------


def test_configure_git_is_idempotent_and_keeps_the_users_config(home: Home) -> None:
    home.ssh_dir.mkdir(mode=0o700)
    config = home.ssh_dir / "config"
    users_own = "Host example.org\n    User me\n"
    config.write_text(users_own)
    config.chmod(0o664)  # group-writable: ssh would reject the file
    site = home.site()

    first = ssh.configure_git(site)
    second = ssh.configure_git(site)

    text = config.read_text()
    assert text.count(BLOCK_BEGIN) == 1 and text.count(BLOCK_END) == 1
    assert users_own in text
    assert "Host github.com\n" in text
    assert f'    IdentityFile "{home.private}"\n' in text
    assert "    IdentitiesOnly yes\n" in text
    assert "    StrictHostKeyChecking yes\n" in text
    assert f'    UserKnownHostsFile "{home.ssh_dir / "binder_known_hosts"}"\n' in text
    # The user's mode is kept, less the group write that ssh rejects.
    assert stat.S_IMODE(config.stat().st_mode) == 0o644
    assert (home.ssh_dir / "binder_known_hosts").read_text() == PACKAGED_KNOWN_HOSTS.read_text()
    assert git(home.repo, "config", "remote.origin.url") == "https://github.com/o/r"
    assert git(home.repo, "config", "remote.origin.pushurl") == "git@github.com:o/r.git"
    assert first["configure"]["changed"] and second["configure"]["changed"] == []
    assert second["git_configured"] is True
    assert second["repo"]["push_ready"] is True
    assert second["git_over_ssh"] == {
        "state": "ready",
        "remote": "origin",
        "message": "set up: pushes to origin go to git@github.com:o/r.git over SSH with this key.",
    }
    assert first["git_over_ssh"]["state"] == "ready"
    assert "Git over SSH: set up: pushes to origin go to git@" in ssh.describe_ssh(second)
    # ssh reads this config through core.sshCommand (it is not the user's ~/.ssh/config).
    assert git(home.repo, "config", "core.sshCommand") == f"ssh -F {config}"
    # ssh itself parses the result and finds our settings for github.com.
    effective = subprocess.run(
        ["ssh", "-F", str(config), "-G", "github.com"], capture_output=True, text=True, check=True
    ).stdout
    assert f"identityfile {home.private}" in effective
    assert "identitiesonly yes" in effective and "stricthostkeychecking true" in effective


def test_configure_git_rewrites_a_stale_block_in_place(home: Home) -> None:
    ssh.configure_git(home.site())
    config = home.ssh_dir / "config"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600  # made by us: private
    config.write_text(config.read_text() + "Host after\n    User me\n")
    ssh.configure_git(home.site(github_ssh_port=2222))
    text = config.read_text()
    assert text.count(BLOCK_BEGIN) == 1 and "    Port 2222\n" in text
    assert text.index(BLOCK_END) < text.index("Host after")


def test_a_half_managed_block_is_refused_not_guessed(home: Home) -> None:
    home.ssh_dir.mkdir(mode=0o700)
    config = home.ssh_dir / "config"
    config.write_text(BLOCK_BEGIN + "\nHost github.com\n")
    with pytest.raises(Conflict) as caught:
        ssh.configure_git(home.site())
    assert caught.value.details["reason"] == "broken_managed_block"
    assert config.read_text() == BLOCK_BEGIN + "\nHost github.com\n"


def test_an_origin_off_github_is_left_alone(home: Home) -> None:
    git(home.repo, "remote", "set-url", "origin", "https://gitlab.com/o/r.git")
    data = ssh.configure_git(home.site())
    assert data["repo"]["is_github"] is False
    assert "not on GitHub" in data["configure"]["message"]
    # One status for the remote, the same in every face: ssh for github.com is set up, but
    # this origin's pushes do not use it, so nothing says "set up" about them.
    assert data["git_over_ssh"] == {
        "state": "not_on_github",
        "remote": "origin",
        "message": "not used: origin (https://gitlab.com/o/r.git) is not on GitHub, so its "
        "pushes do not go over SSH with this key; its push URL is left as it is.",
    }
    text = ssh.describe_ssh(data)
    assert "Git over SSH: not used: origin (https://gitlab.com/o/r.git) is not on" in text
    assert "set up" not in text.split("Git over SSH:")[1].splitlines()[0]
    assert "not used" in _ssh_line(data)
    probe = subprocess.run(
        ["git", "-C", str(home.repo), "config", "remote.origin.pushurl"], capture_output=True
    )
    assert probe.returncode == 1  # unset


def test_a_push_url_the_user_chose_is_kept(home: Home) -> None:
    git(home.repo, "config", "remote.origin.pushurl", "https://mirror.example.org/o/r.git")
    data = ssh.configure_git(home.site())
    assert git(home.repo, "config", "remote.origin.pushurl") == "https://mirror.example.org/o/r.git"
    assert "left as it is" in data["configure"]["repo"]["message"]


# -- the connection test against the loopback stand-in -------------------------------------------


async def test_accepted_key_gets_githubs_greeting(home: Home, sshd_server: SSHServer) -> None:
    sshd_server.add_authorized_key(home.public.read_text(), github_user="alice-gh")
    site = standin_site(home, sshd_server)
    ssh.configure_git(site)
    result = await ssh.test_connection(site)
    assert result["outcome"] == "authenticated", result
    assert result["ok"] is True and result["github_user"] == "alice-gh"
    assert result["exit_code"] == 1  # GitHub gives no shell
    assert "successfully authenticated" in result["output"]
    assert result["identity_file"] == str(home.private)
    assert "Accepted publickey for root" in sshd_server.log()


async def test_a_key_not_yet_added_is_permission_denied(home: Home, sshd_server: SSHServer) -> None:
    site = standin_site(home, sshd_server)
    result = await ssh.test_connection(site)
    assert result["outcome"] == "permission_denied" and result["ok"] is False
    assert "Permission denied (publickey)" in result["output"]
    assert result["next_step_url"] == site.github_add_key_url
    assert site.github_add_key_url in result["next_step"]


async def test_a_closed_port_is_unreachable(home: Home, sshd_server: SSHServer) -> None:
    site = standin_site(home, sshd_server, github_ssh_port=free_port())
    result = await ssh.test_connection(site)
    assert result["outcome"] == "unreachable", result
    assert "Connection refused" in result["output"]
    assert "port" in result["next_step"] and result["next_step_url"]


async def test_a_host_that_never_speaks_times_out(home: Home, sshd_server: SSHServer) -> None:
    # A real listening socket that accepts connections (kernel backlog) and says nothing:
    # ssh gives up after ConnectTimeout during the banner exchange.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        site = standin_site(home, sshd_server, github_ssh_port=port, ssh_test_timeout=1.0)
        result = await ssh.test_connection(site)
    assert result["outcome"] == "timeout", result
    assert "timed out" in result["output"]
    assert "did not answer" in result["next_step"]


async def test_an_impostor_is_refused_by_the_pinned_github_keys(
    home: Home, sshd_server: SSHServer
) -> None:
    # The stand-in is not GitHub: with GitHub's real published keys pinned, ssh refuses it.
    sshd_server.add_authorized_key(home.public.read_text())
    site = standin_site(home, sshd_server, ssh_known_hosts_file="")
    result = await ssh.test_connection(site)
    assert result["outcome"] == "host_key_mismatch", result
    assert "Do not push" in result["next_step"]
    assert "Starting session" not in sshd_server.log()


async def test_a_host_without_pinned_keys_is_unknown(
    home: Home, sshd_server: SSHServer, tmp_path: Path
) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("# nothing pinned\n")
    site = standin_site(home, sshd_server, ssh_known_hosts_file=str(empty))
    result = await ssh.test_connection(site)
    assert result["outcome"] == "host_key_unknown", result


async def test_no_usable_key_skips_ssh(home: Home) -> None:
    home.private.unlink()
    result = await ssh.test_connection(home.site())
    assert result["outcome"] == "no_key" and result["command"] is None


def test_git_push_over_ssh_works_after_configure_git(home: Home, sshd_server: SSHServer) -> None:
    home.private.chmod(0o644)  # as the site mounts it: the private copy is what gets used
    sshd_server.add_authorized_key(home.public.read_text())
    bare = sshd_server.bare_repo("o/r")
    site = standin_site(home, sshd_server)
    data = ssh.configure_git(site)
    assert data["git_configured"] is True
    assert git(home.repo, "config", "remote.origin.pushurl") == sshd_server.url("o/r")
    (home.repo / "analysis.txt").write_text("results\n")
    git(home.repo, "add", "analysis.txt")
    git(home.repo, "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-qm", "x")
    # Plain `git push`, no GIT_SSH_COMMAND: everything comes from what configure_git set.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_SSH")}
    git(home.repo, "push", "origin", "HEAD:main", env=env)
    assert git(bare, "log", "--format=%s", "main") == "x"
    assert git(bare, "show", "main:analysis.txt") == "results"
    assert git(home.repo, "config", "remote.origin.url") == "https://github.com/o/r"


def test_describe_texts(home: Home) -> None:
    data = ssh.read_ssh(home.site())
    text = ssh.describe_ssh(data)
    assert keygen_line(home.public) in text and "not set up" in text
    assert "https://github.com/settings/ssh/new" in text
