"""git helpers against real repositories: file:// remotes and a real sshd on loopback."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fixtures.gitrepo import Clone, git, git_env, make_origin, origin
from fixtures.sshd import SSHServer, make_keypair

from jupyter_binder_ext.common import git_runner
from jupyter_binder_ext.common.git_commit import Committed, commit_exactly
from jupyter_binder_ext.common.git_identity import commit_identity, identity_is_set
from jupyter_binder_ext.common.git_push import NoPushTarget, push, push_target
from jupyter_binder_ext.common.git_repo import changed_paths, current_branch, repo_root, status
from jupyter_binder_ext.common.git_runner import (
    INDEX_LOCKING_COMMANDS,
    GitFailed,
    kill_group,
    run_git,
    subcommand,
)
from jupyter_binder_ext.errors import Conflict

__all__ = ["git_env", "origin"]  # fixtures used by the tests below


def commit_one(repo: Path, name: str, message: str, user: str = "", hub_url: str = "") -> Committed:
    """The extension's one commit function, for one file, as the relaunch calls it (the
    identity from git, else `user` at `hub_url`'s host)."""
    return commit_exactly(repo, [name], message, commit_identity(repo, user, (hub_url,)), None)


def porcelain(clone: Clone) -> list[str]:
    return [ln for ln in clone.git("status", "--porcelain").splitlines() if ln]


# -- commit one file ---------------------------------------------------------------------------


def test_commit_file_commits_that_file_alone(origin: Clone) -> None:
    work = origin.work
    (work / "README.md").write_text("# staged change\n")
    origin.git("add", "README.md")
    (work / "notebook.ipynb").write_text('{"unstaged": true}\n')
    (work / "scratch.txt").write_text("untracked\n")
    staged_diff = origin.git("diff", "--cached")
    unstaged_diff = origin.git("diff")
    before = porcelain(origin)
    (work / ".resources").write_text("meml=8\n")

    result = commit_one(work, ".resources", "Ask for 8 GB")

    assert result.created
    assert result.branch == "main"
    assert result.sha == origin.head()
    assert result.files == (".resources",)
    assert origin.git("show", "--format=", "--name-only", "HEAD").splitlines() == [".resources"]
    assert origin.git("show", "HEAD:.resources") == "meml=8"
    assert origin.git("log", "-1", "--format=%s") == "Ask for 8 GB"
    # Everything else is exactly as it was: staged stays staged, unstaged stays unstaged.
    assert porcelain(origin) == before
    assert origin.git("diff", "--cached") == staged_diff
    assert origin.git("diff") == unstaged_diff


def test_commit_file_with_nothing_new_makes_no_commit(origin: Clone) -> None:
    (origin.work / ".resources").write_text("gpu=1\n")
    first = commit_one(origin.work, ".resources", "first")
    again = commit_one(origin.work, ".resources", "again")
    assert first.created and not again.created
    assert again.sha == first.sha == origin.head()


def test_commit_file_commits_an_ignored_file_and_a_deletion(origin: Clone) -> None:
    (origin.work / ".gitignore").write_text(".resources\n")
    origin.git("add", ".gitignore")
    origin.git("commit", "-q", "-m", "ignore it")
    (origin.work / ".resources").write_text("gpu=1\n")
    added = commit_one(origin.work, ".resources", "add")
    assert added.created
    assert origin.git("show", "HEAD:.resources") == "gpu=1"
    (origin.work / ".resources").unlink()
    removed = commit_one(origin.work, ".resources", "back to defaults")
    assert removed.created
    assert origin.git("ls-tree", "--name-only", "HEAD").splitlines() == [
        ".gitignore",
        "README.md",
        "notebook.ipynb",
    ]


def test_commit_file_without_a_git_identity_uses_the_fallback(
    tmp_path: Path, git_env: Path
) -> None:
    clone = make_origin(tmp_path)  # no user.name / user.email anywhere
    assert not identity_is_set(clone.work)
    (clone.work / ".resources").write_text("meml=4\n")
    result = commit_one(clone.work, ".resources", "msg", "alice", "https://hub.example/")
    assert result.created
    assert result.author == "alice <alice@hub.example>"
    assert "git config --global user.email" in result.note
    assert clone.git("log", "-1", "--format=%an <%ae> / %cn <%ce>") == (
        "alice <alice@hub.example> / alice <alice@hub.example>"
    )


def test_commit_file_refuses_during_a_merge(origin: Clone) -> None:
    base = origin.head()
    origin.commit_file("README.md", "ours\n")
    origin.git("checkout", "-q", "-b", "other", base)
    origin.commit_file("README.md", "theirs\n")
    origin.git("checkout", "-q", "main")
    subprocess.run(["git", "-C", str(origin.work), "merge", "other"], capture_output=True)
    (origin.work / ".resources").write_text("gpu=1\n")
    with pytest.raises(Conflict, match="middle of a merge"):
        commit_one(origin.work, ".resources", "msg")


# -- push --------------------------------------------------------------------------------------


def test_push_accepted(origin: Clone) -> None:
    (origin.work / ".resources").write_text("meml=8\n")
    commit = commit_one(origin.work, ".resources", "more RAM")
    target = push_target(origin.work)
    assert (target.remote, target.ref) == ("origin", "refs/heads/main")
    assert target.url == origin.bare.as_uri()
    result = push(origin.work, target)
    assert result.ok, result.output
    assert origin.remote_head() == commit.sha
    assert result.to_json()["branch"] == "main"


def test_push_rejected_when_the_remote_moved_ahead(origin: Clone, tmp_path: Path) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", origin.bare.as_uri(), str(other)], check=True)
    git(other, "commit", "-q", "--allow-empty", "-m", "someone else")
    git(other, "push", "-q", "origin", "main")
    theirs = git(other, "rev-parse", "HEAD")
    (origin.work / ".resources").write_text("meml=8\n")
    ours = commit_one(origin.work, ".resources", "more RAM").sha

    result = push(origin.work, push_target(origin.work))

    assert not result.ok
    assert result.reason == "rejected"
    assert "[rejected]" in result.output  # git's own words are kept
    assert "HEAD -> main (fetch first)" in result.output
    assert "git pull --rebase" in result.hint
    assert origin.head() == ours  # the commit is kept
    assert origin.remote_head() == theirs  # and nothing was forced


def test_no_remote(tmp_path: Path, git_env: Path) -> None:
    repo = tmp_path / "solo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    with pytest.raises(NoPushTarget) as caught:
        push_target(repo)
    assert caught.value.details["reason"] == "no_remote"
    assert "git remote add origin" in caught.value.message


def test_remote_not_found(origin: Clone, tmp_path: Path) -> None:
    origin.git("remote", "set-url", "origin", (tmp_path / "gone.git").as_uri())
    result = push(origin.work, push_target(origin.work))
    assert not result.ok
    assert result.reason == "not_found"
    assert "does not appear to be a git repository" in result.output


def test_unreachable_ssh_remote_is_a_network_failure(origin: Clone) -> None:
    from fixtures.sshd import free_port

    port = free_port()  # nothing listens there
    origin.git("remote", "set-url", "origin", f"ssh://git@127.0.0.1:{port}/o/r.git")
    result = push(origin.work, push_target(origin.work))
    assert not result.ok
    assert result.reason == "network"
    assert "Connection refused" in result.output


def test_credentials_in_a_remote_url_never_show(origin: Clone) -> None:
    origin.git("remote", "set-url", "origin", "https://alice:s3cret-token@127.0.0.1:1/o/r.git")
    target = push_target(origin.work)
    assert "s3cret" not in target.url
    result = push(origin.work, target)
    assert not result.ok
    assert "s3cret" not in result.output + result.command + str(result.to_json())


def test_detached_head_without_a_branch_has_no_target(origin: Clone) -> None:
    origin.git("checkout", "-q", "--detach")
    with pytest.raises(NoPushTarget) as caught:
        push_target(origin.work)
    assert caught.value.details["reason"] == "detached"
    # A launched branch that exists on the remote is where it belongs.
    assert push_target(origin.work, launched_branch="main").ref == "refs/heads/main"


def test_a_launch_of_another_branch_pushes_to_that_branch(tmp_path: Path, git_env: Path) -> None:
    """repo2docker clones the default branch and resets it to the launched commit."""
    clone = make_origin(tmp_path)
    clone.git("config", "user.name", "T")
    clone.git("config", "user.email", "t@example.org")
    clone.git("checkout", "-q", "-b", "dev")
    dev_sha = clone.commit_file("dev.txt", "dev\n")
    clone.git("push", "-q", "origin", "dev")
    main_sha = clone.remote_head("main")
    # The notebook's clone, made the way repo2docker makes it for a launch of `dev`.
    notebook = tmp_path / "notebook"
    subprocess.run(
        ["git", "clone", "-q", "--no-checkout", clone.bare.as_uri(), str(notebook)], check=True
    )
    git(notebook, "reset", "-q", "--hard", dev_sha)
    assert current_branch(notebook) == "main"

    target = push_target(notebook, launched_branch="dev")
    assert target.ref == "refs/heads/dev"
    (notebook / ".resources").write_text("gpu=1\n")
    sha = commit_one(notebook, ".resources", "gpu", "a", "http://b/").sha
    assert push(notebook, target).ok
    assert clone.remote_head("dev") == sha
    assert clone.remote_head("main") == main_sha  # main is not moved onto dev's work
    # A launch of a commit (not a branch) uses the branch's own upstream.
    assert push_target(notebook, launched_branch=dev_sha[:12]).ref == "refs/heads/main"


def test_status_reports_branch_upstream_and_changes(origin: Clone) -> None:
    (origin.work / "new.txt").write_text("x\n")
    data = status(origin.work)
    assert data["branch"] == "main"
    assert data["upstream"] == "origin/main"
    assert data["head"] == origin.head()
    assert data["changes"] == ["?? new.txt"]
    assert data["in_progress"] is None
    assert repo_root(origin.work / "deeper" / "x.txt") == origin.work.resolve()


# -- over a real OpenSSH server ----------------------------------------------------------------


def test_push_over_ssh_with_key_authentication(ssh_origin: Clone, sshd_server: SSHServer) -> None:
    (ssh_origin.work / ".resources").write_text("meml=8\n")
    sha = commit_one(ssh_origin.work, ".resources", "8 GB").sha
    target = push_target(ssh_origin.work)
    assert target.url == "root@github.com:o/r.git"
    result = push(ssh_origin.work, target)
    assert result.ok, result.output + sshd_server.log()
    assert ssh_origin.remote_head() == sha


def test_push_over_ssh_rejected_when_the_remote_moved_ahead(
    ssh_origin: Clone, tmp_path: Path
) -> None:
    other = make_origin(tmp_path / "elsewhere")
    git(other.work, "fetch", "-q", str(ssh_origin.bare), "main")
    git(other.work, "reset", "-q", "--hard", "FETCH_HEAD")
    git(other.work, "commit", "-q", "--allow-empty", "-m", "moved ahead")
    git(other.work, "push", "-q", str(ssh_origin.bare), "HEAD:main")
    (ssh_origin.work / ".resources").write_text("meml=8\n")
    ours = commit_one(ssh_origin.work, ".resources", "8 GB").sha
    result = push(ssh_origin.work, push_target(ssh_origin.work))
    assert not result.ok
    assert result.reason == "rejected"
    assert "[rejected]" in result.output
    assert ssh_origin.head() == ours


def test_push_over_ssh_with_an_unknown_key_is_a_permission_failure(
    ssh_origin: Clone, sshd_server: SSHServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger, _ = make_keypair(tmp_path / "stranger")
    monkeypatch.setenv("GIT_SSH_COMMAND", sshd_server.git_ssh_command(stranger))
    (ssh_origin.work / ".resources").write_text("meml=8\n")
    ours = commit_one(ssh_origin.work, ".resources", "8 GB").sha
    result = push(ssh_origin.work, push_target(ssh_origin.work))
    assert not result.ok
    assert result.reason == "permission"
    assert "Permission denied (publickey)" in result.output
    assert "public SSH key" in result.hint
    assert ssh_origin.head() == ours


# -- the runner's rules: no hooks, no secrets, nothing left behind -----------------------------

TOKEN = "hub-token-that-must-stay-in-the-server"


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_the_extensions_commit_runs_no_hook_and_no_fsmonitor(
    origin: Clone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKEN)
    seen = tmp_path / "seen"
    hooks = origin.work / ".git" / "hooks"
    custom = tmp_path / "custom-hooks"
    custom.mkdir()
    for folder in (hooks, custom):
        for name in ("pre-commit", "commit-msg", "post-commit", "reference-transaction"):
            _script(folder / name, f'env >> "{seen}"\n')
    fsmonitor = _script(tmp_path / "fsmonitor", f'env >> "{seen}"\n')
    (origin.work / ".resources").write_text("meml=8\n")
    configs: tuple[dict[str, str], ...] = (
        {},
        {"core.hooksPath": str(custom)},
        {"core.fsmonitor": str(fsmonitor)},
    )
    for number, config in enumerate(configs, start=2):
        for key, value in config.items():
            origin.git("config", key, value)
        (origin.work / ".resources").write_text(f"meml={number}\n")
        result = commit_one(origin.work, ".resources", "resources")
        changed_paths(origin.work)
        assert result.created
        assert not seen.exists(), "a hook or the fsmonitor ran"
    # The user's own git still runs them: only the extension's commands skip them.
    origin.commit_file("README.md", "mine\n")
    assert seen.exists()


def test_programs_git_starts_never_see_the_hub_token(
    origin: Clone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKEN)
    monkeypatch.setenv("JPY_API_TOKEN", TOKEN)
    monkeypatch.setenv("JUPYTER_TOKEN", TOKEN)
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://hub.invalid/hub/api")
    # The user's own credential, for a credential helper they configured, passes.
    monkeypatch.setenv("GH_TOKEN", "users-own")
    seen = tmp_path / "ssh-env"
    ssh = _script(tmp_path / "ssh", f'env > "{seen}"\necho "ssh: refused" >&2\nexit 255\n')
    # The user's own ssh command (their global config; the repository's would not run).
    origin.git("config", "--global", "core.sshCommand", str(ssh))
    origin.git("remote", "set-url", "--push", "origin", "ssh://git@example.invalid/o/r.git")
    target = push_target(origin.work)
    result = push(origin.work, target)
    assert not result.ok
    env = seen.read_text()
    assert "GIT_TERMINAL_PROMPT=0" in env  # it ran, with the runner's environment
    assert TOKEN not in env and "JUPYTERHUB_" not in env
    assert "GH_TOKEN=users-own" in env


def _gone(pid: int) -> bool:
    """Whether process `pid` has ended (exited, or a zombie waiting to be reaped)."""
    try:
        return " Z " in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]
    except FileNotFoundError:
        return True


def test_a_timed_out_step_is_killed_with_its_children_and_leaves_no_lock(
    origin: Clone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A signing program that never returns (a pinentry waiting for a passphrase, say) while
    # git commit holds the index lock; it starts a child of its own.
    child_pid = tmp_path / "child.pid"
    signer = _script(tmp_path / "gpg", f'sleep 300 &\necho $! > "{child_pid}"\nwait\n')
    # The user's own signing set-up (their global config; the repository's would not run).
    origin.git("config", "--global", "commit.gpgSign", "true")
    origin.git("config", "--global", "gpg.program", str(signer))
    monkeypatch.setattr(git_runner, "GIT_TIMEOUT", 2.0)
    (origin.work / ".resources").write_text("meml=8\n")
    before = origin.head()

    with pytest.raises(GitFailed) as caught:
        run_git(origin.work, "commit", "--all", "--allow-empty", "-m", "signed")

    assert caught.value.details["timed_out"] is True
    lock = origin.work / ".git" / "index.lock"
    assert not lock.exists()
    assert caught.value.details["lock_removed"] == str(lock)
    pid = int(child_pid.read_text())
    # SIGKILL went to the whole group; a busy machine may take a moment to run the child's
    # death (a bound on waiting, not a timed assert).
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _gone(pid)
    assert origin.head() == before
    # The next step works: the repository is not left locked.
    origin.git("config", "--global", "commit.gpgSign", "false")
    assert commit_one(origin.work, ".resources", "again").created


def test_a_timed_out_push_leaves_the_users_own_commit_its_lock(origin: Clone) -> None:
    # The extension's push (which never takes the index lock) waits on the network; while it
    # does, the user runs `git commit -a` in a terminal, whose git holds index.lock while the
    # editor is open. The push runs out of time: the user's lock, newer than the push's
    # start, must stay.
    lock = origin.work / ".git" / "index.lock"
    with ThreadPoolExecutor(max_workers=1) as pool:
        push = pool.submit(
            run_git,
            origin.work,
            "-c",
            "core.sshCommand=sleep 60; true",
            "push",
            "ssh://git@127.0.0.1/o/r.git",
            "HEAD",
            timeout=3,
        )
        user_commit = subprocess.Popen(
            ["git", "-C", str(origin.work), "commit", "--all", "--allow-empty"],
            env={**os.environ, "GIT_EDITOR": "sleep 60; true"},
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 10  # a bound on waiting, not a timed assert
            while not lock.exists() and user_commit.poll() is None:
                assert time.monotonic() < deadline, "the user's commit never took its lock"
                time.sleep(0.01)
            assert not push.done()  # the lock was made during the push
            with pytest.raises(GitFailed) as caught:
                push.result()
            assert caught.value.details["timed_out"] is True
            assert caught.value.details["lock_removed"] is None
            assert "removed" not in caught.value.message
            assert lock.exists() and user_commit.poll() is None  # still the user's
        finally:
            kill_group(user_commit.pid)
            user_commit.wait()


def test_the_git_command_is_found_after_its_options() -> None:
    assert subcommand(["-c", "a=b", "commit", "-m", "x"]) == "commit"
    assert subcommand(["--no-pager", "push", "origin"]) == "push"
    assert subcommand(["-c", "core.sshCommand=x", "push"]) not in (INDEX_LOCKING_COMMANDS)
    assert {"add", "commit", "reset", "read-tree", "update-index", "checkout"} <= (
        INDEX_LOCKING_COMMANDS
    )


def test_a_stale_lock_is_reported_and_left_alone(origin: Clone) -> None:
    lock = origin.work / ".git" / "index.lock"
    lock.write_text("")
    old = lock.stat().st_mtime - 3600
    os.utime(lock, (old, old))
    (origin.work / ".resources").write_text("meml=8\n")
    with pytest.raises(GitFailed) as caught:
        commit_one(origin.work, ".resources", "x")
    assert caught.value.details["reason"] == "index_locked"
    assert "index.lock" in caught.value.message
    assert lock.exists()  # another git may own it: never ours to remove
