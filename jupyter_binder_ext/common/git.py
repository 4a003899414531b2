"""Running git, and the few git operations a relaunch needs.

One runner for every git the extension starts (relaunch, the ssh set-up, the instance
folder's exclude, the hub's local source), with one set of rules:

* no prompt, ever: no terminal (its own session), ``GIT_TERMINAL_PROMPT=0`` and empty
  ``GIT_ASKPASS`` / ``SSH_ASKPASS``, so a password, passphrase or unknown host key fails at
  once instead of hanging the server;
* the C locale, so git's messages can be recognised;
* one environment policy (:func:`git_env`): the hub's and the Jupyter server's tokens stay
  out of git and of anything git starts;
* none of the repository's hooks and no fsmonitor (:data:`SAFE_CONFIG`): the extension's own
  commits of ``.resources`` are not the user's commits, and a cloned repository's tools must
  not run inside the server (docs/user-guide.md says why); no automatic gc or maintenance;
* nothing the repository's own config names is run (:mod:`.git_safety`): its filters,
  drivers, signing programs, ssh command, credential helpers, receive-pack... are outvoted
  before each git, and git may use only the file, http(s) and ssh transports (no ``ext::``,
  no remote helper, no ``git://`` and so no ``core.gitProxy``); no pager, no editor;
* a remote or branch name that git would read as an option is refused (:class:`Conflict`);
* a time limit; a step that runs out is killed with its whole process group, and the
  ``index.lock`` it was holding is removed, so the next step does not find the repository
  locked: only after a command that takes that lock, and only a lock that step made (held
  open by its process group, or made during the step while no other git ran there), never
  a user's own.

Failures raise :class:`GitFailed` carrying git's own output (credentials in URLs hidden); a
refused push is not an exception but a :class:`PushResult` with ``ok=False``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.git_safety import (
    RECEIVE_PACK,
    ConfigEntry,
    ConfigUnreadable,
    command_options,
    config_overrides,
    read_config,
    read_config_async,
    runs_nothing,
)
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.common.units import SHA_RE, short_sha
from jupyter_binder_ext.errors import CommandFailed, Conflict

GIT_TIMEOUT = 30.0
PUSH_TIMEOUT = 90.0
# `-c` options given to every git the extension runs: no hooks (core.hooksPath pointing at
# an empty place), no fsmonitor daemon or hook, no gc or maintenance started in passing.
SAFE_CONFIG = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
)
# The transports git may use (this variable outvotes every protocol.*.allow key): no ext::
# (which runs any command), no remote helper named by remote.<name>.vcs, no git:// (whose
# core.gitProxy is a command too).
ALLOWED_PROTOCOLS = "file:http:https:ssh"
# The receive-pack a push to a repository on this machine runs: git's own, without that
# repository's hooks (the repository's config may point its remote at any folder).
LOCAL_RECEIVE_PACK = "git -c core.hooksPath=/dev/null -c core.fsmonitor=false receive-pack"
# Variables never passed to git: the hub's and the Jupyter server's own (the hub's API token,
# the server's token, the proxy's auth token). The user's own variables stay: a credential
# helper the user configured may need GH_TOKEN, and no hook of the repository runs.
_HIDDEN_PREFIXES = ("JUPYTERHUB_", "JPY_", "CONFIGPROXY_")
_HIDDEN_NAMES = ("JUPYTER_TOKEN",)
# Variables that would point git at another repository than the one asked for.
_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)


class GitFailed(CommandFailed):
    """A git command failed; ``stderr`` holds git's own words."""


def is_hidden_variable(name: str) -> bool:
    """Whether the environment policy keeps `name` out of git (and of what git runs)."""
    upper = name.upper()
    return upper.startswith(_HIDDEN_PREFIXES) or upper in _HIDDEN_NAMES


def git_env(
    extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of every git the extension runs (see the module's docstring)."""
    source = os.environ if base is None else base
    env = {
        name: value
        for name, value in source.items()
        if not is_hidden_variable(name) and name not in _REPOSITORY_VARIABLES
    }
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",  # https: fail instead of asking for a password
            "GIT_ASKPASS": "",  # empty: git asks no helper program (nor core.askPass)
            "SSH_ASKPASS": "",
            "SSH_ASKPASS_REQUIRE": "never",
            "LC_ALL": "C",
            "LANGUAGE": "C",
            "GIT_LITERAL_PATHSPECS": "1",  # a file name is a name, never a glob
            "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
            # These outvote core.pager, pager.<cmd>, core.editor and sequence.editor.
            "GIT_PAGER": "cat",
            "GIT_EDITOR": ":",  # ":" is git's own "no editor"
            "GIT_SEQUENCE_EDITOR": ":",
        }
    )
    env.update(extra or {})
    return env


def git_command(repo: Path | str, *args: str, git: str = "git") -> list[str]:
    """The argument list: ``git -C repo <safe config> <overrides> args...``.

    The overrides outvote the repository's command-running keys (:mod:`.git_safety`); they
    come from listing its config, one quick git run here.
    """
    return _command(repo, args, _config_of(repo, args, git, git_env()), git)


def _config_of(
    repo: Path | str, args: Sequence[str], git: str, env: Mapping[str, str]
) -> list[ConfigEntry]:
    """The config git will read for `args` ([] for a command that runs nothing anyway)."""
    if _runs_nothing(args):
        return []
    try:
        return read_config(repo, git, env)
    except ConfigUnreadable as err:
        raise _unreadable_config(err) from err


def _runs_nothing(args: Sequence[str]) -> bool:
    at = _subcommand_index(args)
    return at < len(args) and runs_nothing(args[at], args[at + 1 :])


def _unreadable_config(err: ConfigUnreadable) -> GitFailed:
    return GitFailed(
        f"git could not read the repository's config: {err}; nothing was run.",
        command=_show(("config", "--list")),
        timed_out=True,
    )


def _command(
    repo: Path | str, args: Sequence[str], config: Sequence[ConfigEntry], git: str
) -> list[str]:
    overrides = config_overrides(config)
    at = _subcommand_index(args)
    extra = command_options(args[at], config) if at < len(args) else []
    return [
        git,
        "--no-pager",
        "-C",
        str(repo),
        *SAFE_CONFIG,
        *overrides,
        *args[: at + 1],
        *extra,
        *args[at + 1 :],
    ]


def kill_group(pid: int) -> None:
    """Kill a process started with ``start_new_session`` and everything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


# Commands that take the index lock while they run (`status` and `describe --dirty` refresh
# the index opportunistically). Only after one of these can a timed-out step have left
# index.lock behind; after any other (push, fetch, rev-parse...) a lock is someone else's.
INDEX_LOCKING_COMMANDS = frozenset(
    {
        "add",
        "am",
        "apply",
        "checkout",
        "cherry-pick",
        "commit",
        "describe",
        "merge",
        "mv",
        "pull",
        "read-tree",
        "rebase",
        "reset",
        "restore",
        "revert",
        "rm",
        "stash",
        "status",
        "switch",
        "update-index",
    }
)


def subcommand(args: Sequence[str]) -> str:
    """The git command in `args` (``commit`` in ``-c x=y commit -m m``)."""
    index = _subcommand_index(args)
    return args[index] if index < len(args) else ""


def _subcommand_index(args: Sequence[str]) -> int:
    """Where the git command is in `args`; ``len(args)`` when there is none."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-c", "-C"):
            index += 2
        elif arg.startswith("-"):
            index += 1
        else:
            return index
    return len(args)


@dataclass(frozen=True)
class _StepLock:
    path: Path
    identity: tuple[int, int]  # (st_dev, st_ino): the very file seen, not a later one


def _index_lock_path(repo: Path | str) -> Path | None:
    try:
        done = subprocess.run(
            git_command(repo, "rev-parse", "--git-path", "index.lock"),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            timeout=10,
            env=git_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    lock = Path(done.stdout.strip())
    return lock if lock.is_absolute() else Path(repo) / lock


def _processes() -> list[int] | None:
    """Every process id in /proc; None where /proc cannot be read (not Linux)."""
    try:
        return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    except OSError:
        return None


def _group_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        return int(stat.rsplit(")", 1)[1].split()[2])
    except (OSError, ValueError, IndexError):
        return None


def _holds_open(pid: int, identity: tuple[int, int]) -> bool:
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            target = fd.stat()
        except OSError:
            continue
        if (target.st_dev, target.st_ino) == identity:
            return True
    return False


def _runs_git_in(pid: int, places: Sequence[Path]) -> bool:
    """Whether process `pid` is a git working in one of `places` (its cwd, or ``-C``)."""
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() != "git":
            return False
        cwd = Path(f"/proc/{pid}/cwd").readlink()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    named = [Path(os.fsdecode(arg)) for arg in argv if arg.startswith(b"/")]
    return any(path == place or place in path.parents for place in places for path in (cwd, *named))


def _lock_of_step(
    repo: Path | str, args: Sequence[str], group: int, started: float
) -> _StepLock | None:
    """Before killing a timed-out step: the index.lock that step made, if it made one.

    Ours when a process of the step's group holds it open. A lock nobody holds open (git
    closes it while a commit waits on its signer or editor) is ours only when it is newer
    than the step's start and no other git runs in the repository: a user's `git commit`
    in a terminal, waiting on its editor, holds its lock that way too.
    """
    if subcommand(args) not in INDEX_LOCKING_COMMANDS:
        return None
    lock = _index_lock_path(repo)
    if lock is None:
        return None
    try:
        info = lock.lstat()
    except OSError:
        return None
    if info.st_mtime < started - 1:  # older than the step (1 s of clock granularity)
        return None
    found = _StepLock(lock, (info.st_dev, info.st_ino))
    pids = _processes()
    if pids is None:  # no /proc to tell by: the age alone
        return found
    groups = {pid: _group_of(pid) for pid in pids}
    ours = [pid for pid, pgid in groups.items() if pgid == group]
    others = [pid for pid, pgid in groups.items() if pgid != group and pid != os.getpid()]
    if any(_holds_open(pid, found.identity) for pid in ours):
        return found
    if any(_holds_open(pid, found.identity) for pid in others):
        return None
    places = [Path(repo).resolve(), lock.parent.resolve()]
    if lock.parent.name == ".git":
        places.append(lock.parent.parent.resolve())
    if any(_runs_git_in(pid, places) for pid in others):
        return None
    return found


def _remove_step_lock(lock: _StepLock | None) -> str | None:
    """After the kill: remove the step's lock, if it is still that very file."""
    if lock is None:
        return None
    try:
        info = lock.path.lstat()
        if (info.st_dev, info.st_ino) == lock.identity:
            lock.path.unlink()
            return str(lock.path)
    except OSError:
        return None
    return None


def run_git(
    repo: Path | str,
    *args: str,
    check: bool = True,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``git -C repo args...``; raises :class:`GitFailed` (if `check`) with git's stderr.

    `timeout` defaults to :data:`GIT_TIMEOUT` as it is when the call is made; `input` is
    written to git's standard input (otherwise it reads nothing).
    """
    timeout = GIT_TIMEOUT if timeout is None else timeout
    environment = git_env(env)
    command = _command(repo, args, _config_of(repo, args, "git", environment), "git")
    started = time.time()
    try:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
            start_new_session=True,  # no controlling terminal; killed as a group on timeout
            env=environment,
        )
    except FileNotFoundError as err:
        raise GitFailed("git is not installed in this image.", command=_show(args)) from err
    try:
        stdout, stderr = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        # Which lock is the step's is read while its processes still live.
        step_lock = _lock_of_step(repo, args, proc.pid, started)
        kill_group(proc.pid)
        proc.communicate()
        removed = _remove_step_lock(step_lock)
        raise GitFailed(
            f"git {args[0]} did not finish within {timeout:g} seconds; it was stopped"
            + (f" and its lock {removed} removed." if removed else "."),
            command=_show(args),
            timed_out=True,
            lock_removed=removed,
        ) from None
    except BaseException:
        kill_group(proc.pid)
        proc.wait()
        raise
    done = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
    if check and done.returncode != 0:
        details: dict[str, Any] = {}
        if "index.lock" in done.stderr and "File exists" in done.stderr:
            details["reason"] = "index_locked"
        raise GitFailed(
            f"git {args[0]} failed: {redact(_last_line(done.stderr or done.stdout))}",
            command=_show(args),
            returncode=done.returncode,
            stderr=redact(done.stderr.strip()),
            **details,
        )
    return done


async def start_git_async(
    repo: Path | str, args: Sequence[str], *, git: str = "git"
) -> asyncio.subprocess.Process:
    """The same git, started without blocking the event loop (pipes for stdout/stderr).

    The caller reads its output; when the caller gives up (timeout, cancellation) it calls
    :func:`kill_group` with the process's pid, which stops git and anything it started.
    """
    environment = git_env()
    try:
        config = [] if _runs_nothing(args) else await read_config_async(repo, git, environment)
    except ConfigUnreadable as err:
        raise _unreadable_config(err) from err
    return await asyncio.create_subprocess_exec(
        *_command(repo, args, config, git),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        env=environment,
    )


def _show(args: Sequence[str]) -> str:
    return redact("git " + " ".join(args))


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["(no output)"])[-1]


def _out(repo: Path, *args: str) -> str | None:
    done = run_git(repo, *args, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


# -- what the repository looks like ---------------------------------------------------------


def repo_root(path: Path | str) -> Path | None:
    """The top folder of the git work tree holding `path`, or None outside any."""
    folders = repo_folders(path)
    return folders[0] if folders else None


def repo_folders(path: Path | str) -> tuple[Path, Path] | None:
    """(the work tree's top folder, git's own folder) of the repository holding `path`, in
    one git call; None outside any."""
    folder = Path(path)
    while not folder.is_dir():
        if folder.parent == folder:
            return None
        folder = folder.parent
    found = (_out(folder, "rev-parse", "--show-toplevel", "--absolute-git-dir") or "").split("\n")
    return (Path(found[0]), Path(found[1])) if len(found) == 2 and all(found) else None


def current_branch(repo: Path) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    return _out(repo, "symbolic-ref", "--quiet", "--short", "HEAD") or None


def head_sha(repo: Path) -> str | None:
    return _out(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}") or None


def remotes(repo: Path) -> list[str]:
    out = _out(repo, "remote") or ""
    return [line.strip() for line in out.splitlines() if line.strip()]


def remote_url(repo: Path, remote: str) -> str:
    """The URL a push to `remote` goes to (pushurl / insteadOf applied), credentials hidden."""
    url = _out(repo, "remote", "get-url", "--push", remote) or ""
    return redact(url)


def config_value(repo: Path, key: str) -> str | None:
    return _out(repo, "config", "--get", key) or None


def refuse_option_like(name: str, key: str) -> None:
    """A :class:`Conflict` for a remote or branch name git would read as an option; `key`
    says where the name came from (``branch.main.remote``, ``the launched branch``...)."""
    if name.startswith("-"):
        raise Conflict(
            f"{key} is {name!r}, which starts with '-': git would read it as an option. "
            "Nothing was done; rename it (or fix .git/config) first.",
            reason="option_like_name",
            key=key,
        )


def upstream_of(repo: Path, branch: str) -> tuple[str, str] | None:
    """(remote, refs/heads/x) the branch tracks, or None."""
    remote = config_value(repo, f"branch.{branch}.remote")
    merge = config_value(repo, f"branch.{branch}.merge")
    if not remote or not merge or remote == ".":
        return None
    refuse_option_like(remote, f"branch.{branch}.remote")
    refuse_option_like(merge, f"branch.{branch}.merge")
    return remote, merge


def default_branch(repo: Path, remote: str) -> str | None:
    """The remote's default branch as the clone recorded it (``refs/remotes/origin/HEAD``)."""
    ref = _out(repo, "symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD")
    prefix = f"refs/remotes/{remote}/"
    return ref[len(prefix) :] if ref and ref.startswith(prefix) else None


def has_remote_branch(repo: Path, remote: str, branch: str) -> bool:
    return (
        run_git(
            repo, "show-ref", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}", check=False
        ).returncode
        == 0
    )


def commits_to_push(repo: Path, target: PushTarget) -> int | None:
    """How many commits ``git push <remote> HEAD:<ref>`` would send, as of the last fetch
    (None when the remote branch was never fetched)."""
    tracking = f"refs/remotes/{target.remote}/{target.branch}"
    if not has_remote_branch(repo, target.remote, target.branch):
        return None
    counted = _out(repo, "rev-list", "--count", f"{tracking}..HEAD")
    return int(counted) if counted and counted.isdigit() else None


def changed_paths(repo: Path) -> list[str]:
    """``git status --porcelain`` lines (staged, unstaged and untracked), as git prints them."""
    out = run_git(repo, "status", "--porcelain", "--untracked-files=all").stdout
    return [line for line in out.splitlines() if line]


def operation_in_progress(repo: Path) -> str | None:
    """A merge, rebase, cherry-pick or revert left unfinished (git refuses partial commits)."""
    for name, what in (
        ("MERGE_HEAD", "a merge"),
        ("rebase-merge", "a rebase"),
        ("rebase-apply", "a rebase"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ("REVERT_HEAD", "a revert"),
    ):
        path = _out(repo, "rev-parse", "--git-path", name)
        if path and (repo / path).exists():
            return what
    return None


def refuse_during_operation(repo: Path, nothing_done: str) -> None:
    """A :class:`Conflict` while a merge, rebase, cherry-pick... is under way: the user
    finishes it first. `nothing_done` ends the message ("nothing was committed")."""
    in_progress = operation_in_progress(repo)
    if in_progress:
        raise Conflict(
            f"The repository is in the middle of {in_progress}: finish or abort it first "
            f"(git status says how); {nothing_done}.",
            in_progress=in_progress,
        )


def status(repo: Path) -> dict[str, Any]:
    """A summary for messages and tests: branch, HEAD, upstream, changed paths."""
    branch = current_branch(repo)
    upstream = upstream_of(repo, branch) if branch else None
    return {
        "root": str(repo),
        "branch": branch,
        "detached": branch is None,
        "head": head_sha(repo),
        "upstream": f"{upstream[0]}/{upstream[1].removeprefix('refs/heads/')}"
        if upstream
        else None,
        "remotes": remotes(repo),
        "changes": changed_paths(repo),
        "in_progress": operation_in_progress(repo),
    }


# -- commit one file ------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitResult:
    sha: str
    message: str
    branch: str | None
    created: bool
    author: str = ""
    note: str = ""
    files: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["short_sha"] = short_sha(self.sha)
        data["files"] = list(self.files)
        return data


def identity_is_set(repo: Path) -> bool:
    """True when git knows who commits (configured, or from GIT_* variables)."""
    return run_git(repo, "var", "GIT_COMMITTER_IDENT", check=False).returncode == 0


def commit_file(
    repo: Path,
    path: Path,
    message: str,
    fallback_identity: tuple[str, str] | None = None,
) -> CommitResult:
    """Commit `path` alone on the current branch; everything else is left as it was.

    Other staged changes stay staged and uncommitted, unstaged and untracked files stay
    untouched (``git commit --only -- path``). When the file does not differ from HEAD, no
    commit is made and HEAD is returned with ``created=False``. When git has no identity,
    `fallback_identity` (name, email) is used for this one commit, and the note says so.
    """
    relative = _relative(repo, path)
    branch = current_branch(repo)
    refuse_during_operation(repo, "nothing was committed")
    tracked = run_git(repo, "ls-files", "--error-unmatch", "--", relative, check=False)
    exists = path.exists()
    if exists:
        # --force: the site needs the file in the repository even if .gitignore matches it.
        run_git(repo, "add", "--force", "--", relative)
    elif tracked.returncode != 0:
        return CommitResult(head_sha(repo) or "", "", branch, False, files=())
    if (
        head_sha(repo) is not None
        and not run_git(repo, "status", "--porcelain", "--", relative).stdout.strip()
    ):
        return CommitResult(head_sha(repo) or "", "", branch, False, files=(relative,))
    extra: dict[str, str] = {}
    note = ""
    if not identity_is_set(repo) and fallback_identity:
        name, email = fallback_identity
        extra = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
        note = (
            f"git has no user.name / user.email here, so the commit is signed {name} <{email}>."
            ' Set yours with: git config --global user.name "Your Name"; '
            "git config --global user.email you@example.com"
        )
    run_git(repo, "commit", "--only", "--quiet", "-m", message, "--", relative, env=extra)
    sha = head_sha(repo) or ""
    author = _out(repo, "log", "-1", "--format=%an <%ae>", sha) or ""
    return CommitResult(sha, message, branch, True, author=author, note=note, files=(relative,))


def _relative(repo: Path, path: Path) -> str:
    real_repo = Path(os.path.realpath(repo))
    real_path = Path(os.path.realpath(path.parent)) / path.name
    try:
        return real_path.relative_to(real_repo).as_posix()
    except ValueError:
        raise Conflict(
            f"{path} is outside the git repository {repo}; it cannot be committed there.",
            path=str(path),
        ) from None


# -- push -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushTarget:
    """Where a push goes: ``git push <remote> HEAD:<ref>``."""

    remote: str
    ref: str
    url: str
    why: str

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/")


class NoPushTarget(Conflict):
    """There is nowhere sensible to push: no remote, or a detached HEAD with no branch."""


def is_commit_like(ref: str) -> bool:
    return bool(SHA_RE.match(ref))


def push_target(repo: Path, launched_branch: str | None = None) -> PushTarget:
    """Where this repository's commits belong, never guessing a branch to overwrite.

    repo2docker clones the default branch and resets it to the launched commit, so a launch
    of branch ``dev`` leaves ``main`` checked out at ``dev``'s commit. A push must then go to
    ``dev`` (the launched branch), not to ``main``. Otherwise the current branch's upstream,
    or the same branch name on ``origin`` (the only remote), is used.
    """
    names = remotes(repo)
    if not names:
        raise NoPushTarget(
            "This repository has no remote to push to. Add one, for example: git remote add "
            "origin git@github.com:OWNER/REPO.git",
            reason="no_remote",
        )
    branch = current_branch(repo)
    if branch:
        refuse_option_like(branch, "the current branch")
    upstream = upstream_of(repo, branch) if branch else None
    remote = upstream[0] if upstream else "origin" if "origin" in names else names[0]
    refuse_option_like(remote, f"remote.{remote}")
    if launched_branch:
        refuse_option_like(launched_branch, "the launched branch")
    if launched_branch and not is_commit_like(launched_branch):
        launched_here = has_remote_branch(repo, remote, launched_branch)
        left_by_repo2docker = branch is None or (
            branch == default_branch(repo, remote)
            and (upstream is None or upstream[1] != f"refs/heads/{launched_branch}")
        )
        if launched_here and left_by_repo2docker:
            return PushTarget(
                remote,
                f"refs/heads/{launched_branch}",
                remote_url(repo, remote),
                f"the launched branch {launched_branch}",
            )
    if upstream:
        return PushTarget(
            upstream[0],
            upstream[1],
            remote_url(repo, upstream[0]),
            f"the upstream of {branch}",
        )
    if branch:
        return PushTarget(
            remote, f"refs/heads/{branch}", remote_url(repo, remote), f"branch {branch}"
        )
    raise NoPushTarget(
        "HEAD is detached (no branch is checked out), so there is no branch to push to. "
        "Create one first, for example: git switch -c my-resources",
        reason="detached",
    )


@dataclass(frozen=True)
class PushResult:
    ok: bool
    remote: str
    url: str
    ref: str
    output: str
    reason: str = ""
    hint: str = ""
    returncode: int = 0
    command: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        data["branch"] = self.ref.removeprefix("refs/heads/")
        return {**data, **self.extra}


_REASONS = (
    # (reason, patterns in git's output, what to do)
    (
        "rejected",
        ("non-fast-forward", "fetch first", "[rejected]"),
        "The remote branch has commits this repository does not have. Your commit is kept "
        "here. Bring them in with `git pull --rebase`, then relaunch (or `git push`) again; "
        "do not force-push, it would throw those commits away.",
    ),
    (
        "permission",
        (
            "Permission denied",
            "Authentication failed",
            "could not read Username",
            "could not read Password",
            "The requested URL returned error: 403",
            "denied to",
            "Host key verification failed",
        ),
        "The remote refused this notebook's credentials. Add the notebook's public SSH key to "
        "your account (the SSH section shows it), set git up to push over SSH, then relaunch "
        "again. Your commit is kept here.",
    ),
    (
        "remote_rejected",
        ("[remote rejected]", "protected branch", "pre-receive hook declined"),
        "The remote refused the update (a protected branch or a server hook). Push to another "
        "branch, or ask the repository's owner. Your commit is kept here.",
    ),
    (
        "not_found",
        (
            "Repository not found",
            "does not appear to be a git repository",
            "not found",
            "No such file or directory",
        ),
        "The remote repository was not found at that address (or you may not see it). Check "
        "`git remote -v`. Your commit is kept here.",
    ),
    (
        "network",
        (
            "Could not resolve host",
            "Could not resolve hostname",
            "Connection refused",
            "Connection timed out",
            "Network is unreachable",
            "No route to host",
            "Failed to connect",
            "Connection reset",
            "Connection closed",
            "unable to access",
            "Operation timed out",
        ),
        "The remote could not be reached from this notebook. Your commit is kept here; push "
        "it later with `git push`, or relaunch again once the network is back.",
    ),
)


def classify_push_failure(output: str) -> tuple[str, str]:
    """(reason, hint) for a failed push, from git's own output."""
    for reason, patterns, hint in _REASONS:
        if any(pattern.lower() in output.lower() for pattern in patterns):
            return reason, hint
    return "failed", "The push failed; git's message above says why. Your commit is kept here."


def is_local_url(url: str) -> bool:
    """Whether git reaches `url` as a repository on this machine (git's own rule: no ``:``
    before the first ``/``, or ``file://``)."""
    if url.startswith("file://"):
        return True
    if "://" in url:
        return False
    colon, slash = url.find(":"), url.find("/")
    return colon < 0 or 0 <= slash < colon


def push(repo: Path, target: PushTarget, timeout: float | None = None) -> PushResult:
    """``git push <remote> HEAD:<ref>`` (never forced). A refusal is a result, not an error.

    git's own receive-pack is named (the repository's config may name another program), and
    a repository on this machine receives the push without running its hooks.
    """
    refuse_option_like(target.remote, "the remote pushed to")
    refuse_option_like(target.branch, "the branch pushed to")
    receive_pack = LOCAL_RECEIVE_PACK if is_local_url(target.url) else RECEIVE_PACK
    args = (
        "push",
        f"--receive-pack={receive_pack}",
        "--",
        target.remote,
        f"HEAD:{target.ref}",
    )
    timeout = PUSH_TIMEOUT if timeout is None else timeout
    try:
        done = run_git(repo, *args, check=False, timeout=timeout)
    except GitFailed as err:
        return PushResult(
            ok=False,
            remote=target.remote,
            url=target.url,
            ref=target.ref,
            output=err.message,
            reason="timeout" if err.details.get("timed_out") else "failed",
            hint="The remote did not answer in time. Your commit is kept here; push it later "
            "with `git push`.",
            returncode=-1,
            command=_show(args),
        )
    output = redact((done.stderr + done.stdout).strip())
    if done.returncode == 0:
        return PushResult(True, target.remote, target.url, target.ref, output, command=_show(args))
    reason, hint = classify_push_failure(output)
    return PushResult(
        False,
        target.remote,
        target.url,
        target.ref,
        output,
        reason=reason,
        hint=hint,
        returncode=done.returncode,
        command=_show(args),
    )
