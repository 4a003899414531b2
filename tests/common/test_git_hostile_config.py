"""A hostile ``.git/config`` runs nothing through the extension's git runner.

Every key of the repository's own config (and of the files it includes) is read as hostile:
on a BinderHub the repository is the home folder, and whatever built the image may have
written it. Each case sets one kind of command-running key to a program that leaves a marker
file, runs what the extension runs (status, a commit, a push to a real bare remote, the
lead's index-file commit), and checks that the marker is absent and that the normal result
(the push landed, the committed blob is the working file byte for byte) is still there.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.server
import os
import shlex
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.gitrepo import Clone, git, git_env, make_origin, origin
from fixtures.sshd import SSHServer

from jupyter_binder_ext.common.git_commit import Committed, commit_exactly
from jupyter_binder_ext.common.git_identity import commit_identity
from jupyter_binder_ext.common.git_push import PushTarget, push, push_target
from jupyter_binder_ext.common.git_repo import changed_paths, status, upstream_of
from jupyter_binder_ext.common.git_runner import run_git, start_git_async
from jupyter_binder_ext.config import SITE_ENV, SiteConfig
from jupyter_binder_ext.errors import Conflict
from jupyter_binder_ext.ssh import status as ssh

__all__ = ["git_env", "origin"]  # fixtures used by the tests below

CONTENT = b"line one\r\nline two\n\x00binary tail\n"


class Hostile:
    """Programs that leave a marker when run, and the markers to look for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(exist_ok=True)

    def marker(self, name: str) -> Path:
        return self.folder / f"ran-{name}"

    def program(self, name: str, then: str = "exit 1") -> str:
        """An executable that touches its marker, then does `then`; its path, shell-quoted."""
        path = self.folder / f"evil-{name}"
        path.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(self.marker(name)))}\n{then}\n")
        path.chmod(0o755)
        return shlex.quote(str(path))

    def ran(self) -> list[str]:
        return sorted(p.name for p in self.folder.glob("ran-*"))


@pytest.fixture
def hostile(tmp_path: Path) -> Hostile:
    return Hostile(tmp_path / "hostile")


def set_local(clone: Clone, key: str, value: str) -> None:
    clone.git("config", "--local", key, value)


def commit_one(repo: Path, name: str, message: str) -> Committed:
    """The extension's one commit function, for one file."""
    return commit_exactly(repo, [name], message, commit_identity(repo, "", ()), None)


def commit_through_runner(clone: Clone, name: str, data: bytes) -> str:
    """The extension's commit of one file; the committed blob's bytes."""
    (clone.work / name).write_bytes(data)
    result = commit_one(clone.work, name, f"save {name}")
    assert result.created
    return blob(clone.work, f"{result.sha}:{name}")


def blob(repo: Path, spec: str) -> Any:
    return subprocess.run(
        ["git", "-C", str(repo), "cat-file", "blob", spec], capture_output=True, check=True
    ).stdout


# -- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["clean", "smudge", "process"])
@pytest.mark.parametrize("where", ["config", "include"])
def test_a_filter_of_the_repository_never_runs_and_files_are_stored_as_they_are(
    origin: Clone, hostile: Hostile, tmp_path: Path, kind: str, where: str
) -> None:
    lines = [f"\t{kind} = {hostile.program(kind, 'cat')}", "\trequired = true"]
    section = '[filter "evil"]\n' + "\n".join(lines) + "\n"
    if where == "include":
        included = tmp_path / "included-config"
        included.write_text(section)
        set_local(origin, "include.path", str(included))
    else:
        with (origin.work / ".git" / "config").open("a") as config:
            config.write(section)
    (origin.work / ".gitattributes").write_text("*.dat filter=evil\n")

    changed_paths(origin.work)
    committed = commit_through_runner(origin, "data.dat", CONTENT)
    assert committed == CONTENT
    (origin.work / "data.dat").unlink()
    run_git(origin.work, "checkout", "--", "data.dat")  # where a smudge filter runs
    assert (origin.work / "data.dat").read_bytes() == CONTENT
    assert status(origin.work)["changes"] == ["?? .gitattributes"]
    assert hostile.ran() == []


def test_a_worktree_config_filter_never_runs(origin: Clone, hostile: Hostile) -> None:
    set_local(origin, "extensions.worktreeConfig", "true")
    origin.git("config", "--worktree", "filter.evil.clean", hostile.program("clean", "cat"))
    (origin.work / ".gitattributes").write_text("*.dat filter=evil\n")
    assert commit_through_runner(origin, "data.dat", CONTENT) == CONTENT
    assert hostile.ran() == []


def test_the_users_own_filter_still_runs(
    origin: Clone, hostile: Hostile, git_env: Path, tmp_path: Path
) -> None:
    # The user's global config is theirs (git-lfs installs its filter there): it applies,
    # even where the repository's config names a program of its own for that driver.
    upper = tmp_path / "upper"
    upper.write_text("#!/bin/sh\ntr a-z A-Z\n")
    upper.chmod(0o755)
    origin.git("config", "--global", "filter.mine.clean", str(upper))
    set_local(origin, "filter.mine.clean", hostile.program("clean", "cat"))
    (origin.work / ".gitattributes").write_text("*.txt filter=mine\n")
    assert commit_through_runner(origin, "a.txt", b"shout\n") == b"SHOUT\n"
    assert hostile.ran() == []


# -- diff and merge drivers --------------------------------------------------------------------


def test_diff_programs_of_the_repository_never_run(origin: Clone, hostile: Hostile) -> None:
    set_local(origin, "diff.external", hostile.program("external"))
    set_local(origin, "diff.evil.command", hostile.program("command"))
    set_local(origin, "diff.evil.textconv", hostile.program("textconv", "cat"))
    (origin.work / ".gitattributes").write_text("*.md diff=evil\n")
    (origin.work / "README.md").write_text("# changed\n")

    names = run_git(origin.work, "diff", "--name-only").stdout.split()
    patch = run_git(origin.work, "diff").stdout
    run_git(origin.work, "log", "-p", "-1")
    run_git(origin.work, "show", "HEAD")
    assert names == ["README.md"]
    assert "+# changed" in patch
    assert hostile.ran() == []


def test_a_merge_driver_of_the_repository_never_runs(origin: Clone, hostile: Hostile) -> None:
    (origin.work / ".gitattributes").write_text("*.txt merge=evil\n")
    origin.commit_file("f.txt", "base\n")
    origin.git("switch", "-q", "-c", "side")
    origin.commit_file("f.txt", "side\n")
    origin.git("switch", "-q", "main")
    origin.commit_file("f.txt", "main\n")
    set_local(origin, "merge.evil.driver", hostile.program("merge"))

    run_git(origin.work, "merge", "--no-edit", "side", check=False)
    assert hostile.ran() == []


# -- signing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        {"commit.gpgSign": "true", "gpg.program": "evil"},
        {"commit.gpgSign": "true", "gpg.format": "ssh", "gpg.ssh.program": "evil"},
        {"commit.gpgSign": "true", "gpg.format": "x509", "gpg.x509.program": "evil"},
        {"tag.gpgSign": "true", "gpg.program": "evil"},
        {"push.gpgSign": "true", "gpg.program": "evil"},
    ],
    ids=["commit", "ssh-format", "x509-format", "tag", "push"],
)
def test_signing_programs_of_the_repository_never_run(
    origin: Clone, hostile: Hostile, settings: dict[str, str]
) -> None:
    for key, value in settings.items():
        set_local(origin, key, hostile.program("gpg") if value == "evil" else value)
    set_local(origin, "user.signingKey", "ABCDEF")

    assert commit_through_runner(origin, "notes.txt", CONTENT) == CONTENT
    run_git(origin.work, "tag", "-a", "-m", "v1", "v1")
    result = push(origin.work, push_target(origin.work))
    assert result.ok, result.output
    assert origin.remote_head() == origin.head()
    assert "gpgsig" not in origin.git("cat-file", "-p", "HEAD")
    assert hostile.ran() == []


def test_the_lead_commit_with_its_own_index_file_runs_nothing(
    origin: Clone, hostile: Hostile, tmp_path: Path
) -> None:
    # add / write-tree / commit-tree / update-ref with GIT_INDEX_FILE given by the caller.
    set_local(origin, "filter.evil.clean", hostile.program("clean", "cat"))
    set_local(origin, "commit.gpgSign", "true")
    set_local(origin, "gpg.program", hostile.program("gpg"))
    (origin.work / ".gitattributes").write_text("*.dat filter=evil\n")
    (origin.work / "data.dat").write_bytes(CONTENT)
    index = {"GIT_INDEX_FILE": str(tmp_path / "save-index")}
    run_git(origin.work, "read-tree", "HEAD", env=index)
    run_git(origin.work, "add", "--", "data.dat", env=index)
    tree = run_git(origin.work, "write-tree", env=index).stdout.strip()
    sha = run_git(
        origin.work, "commit-tree", "--no-gpg-sign", "-p", "HEAD", "-m", "m", tree
    ).stdout.strip()
    run_git(origin.work, "update-ref", "refs/heads/main", sha)
    assert blob(origin.work, "HEAD:data.dat") == CONTENT
    assert hostile.ran() == []


# -- transports --------------------------------------------------------------------------------


def test_receive_and_upload_pack_of_the_repository_never_run(
    origin: Clone, hostile: Hostile
) -> None:
    set_local(origin, "remote.origin.receivepack", hostile.program("receive"))
    set_local(origin, "remote.origin.uploadpack", hostile.program("upload"))
    commit_through_runner(origin, "notes.txt", CONTENT)

    result = push(origin.work, push_target(origin.work))
    run_git(origin.work, "fetch", "origin")
    run_git(origin.work, "ls-remote", "origin")
    assert result.ok, result.output
    assert origin.remote_head() == origin.head()
    assert blob(origin.bare, "main:notes.txt") == CONTENT
    assert hostile.ran() == []


def test_a_remote_repository_on_this_machine_runs_none_of_its_hooks(
    origin: Clone, hostile: Hostile
) -> None:
    for name in ("pre-receive", "update", "post-receive", "post-update"):
        hook = origin.bare / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(hostile.marker(name)))}\n")
        hook.chmod(0o755)
    commit_through_runner(origin, "notes.txt", CONTENT)
    result = push(origin.work, push_target(origin.work))
    assert result.ok, result.output
    assert origin.remote_head() == origin.head()
    assert hostile.ran() == []


@pytest.mark.parametrize(
    ("settings", "url"),
    [
        ({"protocol.ext.allow": "always"}, "ext::{evil} %S"),
        ({"protocol.allow": "always"}, "ext::{evil} %S"),
        ({"core.gitProxy": "{evil}"}, "git://127.0.0.1:9/o/r.git"),
        ({"remote.origin.vcs": "evil"}, "anything"),
    ],
    ids=["ext", "ext-all-protocols", "git-proxy", "remote-helper"],
)
def test_transports_that_run_programs_are_refused(
    origin: Clone,
    hostile: Hostile,
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, str],
    url: str,
) -> None:
    evil = hostile.program("transport")
    helper = hostile.folder / "git-remote-evil"
    helper.write_text(f"#!/bin/sh\nexec {evil}\n")
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{hostile.folder}:{os.environ['PATH']}")
    for key, value in settings.items():
        set_local(origin, key, value.format(evil=evil))
    set_local(origin, "remote.origin.url", url.format(evil=evil))

    result = push(origin.work, push_target(origin.work))
    run_git(origin.work, "fetch", "origin", check=False)
    assert not result.ok
    assert "not allowed" in result.output
    assert hostile.ran() == []


def test_the_repositorys_ssh_command_never_runs(origin: Clone, hostile: Hostile) -> None:
    set_local(origin, "core.sshCommand", hostile.program("ssh"))
    set_local(origin, "remote.origin.pushurl", "ssh://git@nowhere.invalid/o/r.git")
    result = push(origin.work, push_target(origin.work))
    assert hostile.ran() == []
    assert not result.ok and result.reason == "network", result.output


def test_pushes_over_ssh_use_our_own_ssh_command_not_the_repositorys(
    hostile: Hostile,
    sshd_server: SSHServer,
    ssh_keypair: tuple[Path, Path],
    tmp_path: Path,
    git_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The mounted key, the ssh set-up of the SSH section, and a repository whose config
    # then names another ssh command (and an ssh variant that would break ours).
    private, public = ssh_keypair
    private.chmod(0o644)  # as the site mounts it
    sshd_server.add_authorized_key(public.read_text())
    bare = sshd_server.bare_repo("o/r")
    seed = make_origin(tmp_path / "seed")
    git(seed.work, "push", "-q", str(bare), "main")
    repo = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(bare), str(repo))
    git(repo, "remote", "set-url", "origin", "https://github.com/o/r")
    ssh_dir = tmp_path / "dot-ssh"
    ssh_dir.mkdir(mode=0o700)
    (ssh_dir / "config").write_text(sshd_server.ssh_config_alias("github.com"))
    known = tmp_path / "standin_known_hosts"
    known.write_text(sshd_server.known_hosts_line("github.com"))
    site = SiteConfig(
        ssh_private_key_path=str(private),
        ssh_public_key_path=str(public),
        ssh_dir=str(ssh_dir),
        repo_dir=str(repo),
        github_ssh_port=sshd_server.port,
        github_ssh_user=sshd_server.login_user,
        ssh_known_hosts_file=str(known),
    )
    assert ssh.configure_git(site)["git_configured"] is True
    monkeypatch.setenv(SITE_ENV, site.to_json())  # as the server publishes it
    git(repo, "config", "core.sshCommand", hostile.program("ssh", "exit 255"))
    git(repo, "config", "ssh.variant", "tortoiseplink")
    (repo / "analysis.txt").write_bytes(CONTENT)
    git(repo, "add", "analysis.txt")
    git(repo, "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-qm", "x")

    result = push(repo, push_target(repo))
    assert result.ok, result.output
    assert blob(bare, "main:analysis.txt") == CONTENT
    assert hostile.ran() == []


# -- credentials -------------------------------------------------------------------------------


class _AskForCredentials(http.server.BaseHTTPRequestHandler):
    """A stand-in https remote (plain http on loopback) that wants credentials, and records
    the ones it was given."""

    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization", ""))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="standin"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def asks_for_credentials() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_AskForCredentials,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/o/r.git", seen
    finally:
        server.shutdown()
        server.server_close()


def test_only_the_users_own_credential_helper_runs(
    origin: Clone,
    hostile: Hostile,
    git_env: Path,
    asks_for_credentials: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, seen = asks_for_credentials
    monkeypatch.setenv("GH_TOKEN", "users-own-token")
    own = (
        '!f() { test "$1" = get && echo username=x-access-token && echo "password=$GH_TOKEN"; }; f'
    )
    origin.git("config", "--global", "credential.helper", own)
    set_local(origin, "credential.helper", hostile.program("helper"))
    set_local(origin, f"credential.{url}.helper", hostile.program("url-helper"))
    set_local(origin, "remote.origin.url", url)

    result = push(origin.work, push_target(origin.work))
    assert not result.ok
    token = base64.b64encode(b"x-access-token:users-own-token").decode()
    assert f"Basic {token}" in seen  # the user's helper answered
    assert "users-own-token" not in result.output
    assert hostile.ran() == []


# -- editors, pagers, gc, async ----------------------------------------------------------------


def test_editors_pagers_and_askpass_of_the_repository_never_run(
    origin: Clone, hostile: Hostile
) -> None:
    set_local(origin, "core.editor", hostile.program("editor"))
    set_local(origin, "sequence.editor", hostile.program("sequence-editor"))
    set_local(origin, "core.pager", hostile.program("pager"))
    set_local(origin, "pager.log", hostile.program("log-pager"))
    set_local(origin, "core.askPass", hostile.program("askpass"))
    (origin.work / "notes.txt").write_text("x\n")
    run_git(origin.work, "add", "notes.txt")
    run_git(origin.work, "commit", check=False)  # no -m: git would start the editor
    run_git(origin.work, "log", "-1")
    assert hostile.ran() == []


def loose_objects_in_folder_17(repo: Path, count: int) -> None:
    """Write `count` loose blobs whose names start with 17: git's auto gc estimates the loose
    objects from that one folder."""
    found: list[bytes] = []
    number = 0
    while len(found) < count:
        data = f"loose {number}\n".encode()
        if hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest().startswith("17"):
            found.append(data)
        number += 1
    for data in found:
        subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-w", "--stdin"], input=data, check=True
        )


def test_no_automatic_gc_or_maintenance(origin: Clone) -> None:
    loose_objects_in_folder_17(origin.work, 3)
    set_local(origin, "gc.auto", "1")
    set_local(origin, "gc.autoPackLimit", "1")
    set_local(origin, "gc.autoDetach", "false")
    set_local(origin, "maintenance.auto", "true")
    packs = origin.work / ".git" / "objects" / "pack"
    before = sorted(packs.glob("*.pack"))
    for number in range(3):
        commit_through_runner(origin, f"n{number}.txt", CONTENT + bytes([number]))
    assert sorted(packs.glob("*.pack")) == before


async def test_the_async_runner_applies_the_same_rules(origin: Clone, hostile: Hostile) -> None:
    set_local(origin, "filter.evil.clean", hostile.program("clean", "cat"))
    (origin.work / ".gitattributes").write_text("*.md filter=evil\n")
    readme = origin.work / "README.md"
    os.utime(readme, (1, 1))  # same size, new time: status must read (and clean) the file
    process = await start_git_async(origin.work, ["status", "--porcelain"])
    out, _errors = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert out == b"?? .gitattributes\n"
    assert hostile.ran() == []


# -- names git would read as options -----------------------------------------------------------


def test_an_upstream_remote_that_looks_like_an_option_is_refused(
    origin: Clone, hostile: Hostile
) -> None:
    set_local(origin, "branch.main.remote", f"--receive-pack={hostile.program('receive')}")
    commit_through_runner(origin, "notes.txt", CONTENT)
    with pytest.raises(Conflict, match=r"branch\.main\.remote") as caught:
        push_target(origin.work)
    assert caught.value.details["key"] == "branch.main.remote"
    with pytest.raises(Conflict, match=r"branch\.main\.remote"):
        upstream_of(origin.work, "main")
    assert hostile.ran() == []
    assert origin.remote_head() != origin.head()  # nothing was pushed


def test_a_remote_or_branch_that_looks_like_an_option_is_refused(origin: Clone) -> None:
    with pytest.raises(Conflict, match="the launched branch"):
        push_target(origin.work, launched_branch="-x")
    set_local(origin, "branch.main.merge", "--upload-pack=x")
    with pytest.raises(Conflict, match=r"branch\.main\.merge"):
        push_target(origin.work)
    before = origin.remote_head()
    for remote, ref in (("--receive-pack=x", "refs/heads/main"), ("origin", "refs/heads/-x")):
        target = PushTarget(remote, ref, str(origin.bare), "test")
        with pytest.raises(Conflict, match="starts with '-'"):
            push(origin.work, target)
    assert origin.remote_head() == before


def test_a_sole_remote_that_looks_like_an_option_is_refused(tmp_path: Path, git_env: Path) -> None:
    clone = make_origin(tmp_path / "sole")
    config = clone.work / ".git" / "config"
    text = config.read_text().replace('[remote "origin"]', '[remote "--upload-pack=evil"]')
    config.write_text(text.replace('[branch "main"]', '[branch "unused"]'))
    with pytest.raises(Conflict, match="starts with '-'") as caught:
        push_target(clone.work)
    assert caught.value.details["key"] == "remote.--upload-pack=evil"
