"""Running git: the one runner for every git the extension starts.

Relaunch, saves, the ssh set-up, the instance folder's exclude and the hub's local source
all run git through :func:`run_git`, with one set of rules:

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

Failures raise :class:`GitFailed` carrying git's own output (credentials in URLs hidden).
What a repository looks like is asked in :mod:`.git_repo`; pushing is :mod:`.git_push`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_binder_ext.common.git_safety import (
    ConfigEntry,
    ConfigUnreadable,
    command_options,
    config_overrides,
    read_config,
    read_config_async,
    runs_nothing,
)
from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.errors import CommandFailed

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
        command=shown_command(("config", "--list")),
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
        raise GitFailed("git is not installed in this image.", command=shown_command(args)) from err
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
            command=shown_command(args),
            timed_out=True,
            lock_removed=removed,
        ) from None
    except BaseException:
        kill_group(proc.pid)
        proc.wait()
        raise
    done = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
    if check and done.returncode != 0:
        raise _failed(args, done)
    return done


def _failed(args: Sequence[str], done: subprocess.CompletedProcess[str]) -> GitFailed:
    """git's refusal, in its own last words (credentials hidden)."""
    details: dict[str, Any] = {}
    if "index.lock" in done.stderr and "File exists" in done.stderr:
        details["reason"] = "index_locked"
    return GitFailed(
        f"git {args[0]} failed: {redact(_last_line(done.stderr or done.stdout))}",
        command=shown_command(args),
        returncode=done.returncode,
        stderr=redact(done.stderr.strip()),
        **details,
    )


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


def shown_command(args: Sequence[str]) -> str:
    """The command as logs and errors show it, credentials hidden."""
    return redact("git " + " ".join(args))


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["(no output)"])[-1]


def git_output(repo: Path, *args: str) -> str | None:
    """git's output, stripped; None when git fails (the question has no answer)."""
    done = run_git(repo, *args, check=False)
    return done.stdout.strip() if done.returncode == 0 else None
