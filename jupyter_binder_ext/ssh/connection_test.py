"""``ssh -T`` against the git host, run for real and explained.

GitHub answers a successful ``ssh -T git@github.com`` with a greeting naming the account
(exit code 1, as it gives no shell); anything else is classified (key not added yet, host
unreachable, timeout, host key not the pinned one) and paired with the user's next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import shlex
import time
from importlib import resources
from pathlib import Path

from jupyter_binder_ext.common.git_runner import git_env, kill_group
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.ssh.answers import SshOutcome, SshTestAnswer
from jupyter_binder_ext.ssh.builders import build_ssh_test
from jupyter_binder_ext.ssh.facts import SshRun
from jupyter_binder_ext.ssh.git_setup import OUTPUT_LIMIT, expand, ssh_config_path, usable_key

# GitHub answers `ssh -T` with this on stderr (exit code 1); deploy keys greet "owner/repo".
GREETING_RE = re.compile(r"Hi (?P<user>[^!\r\n]+)! You've successfully authenticated")


# -- the connection test -------------------------------------------------------------------


def classify_ssh_output(exit_code: int | None, output: str) -> tuple[SshOutcome, str | None]:
    """(outcome, GitHub user name) from what ``ssh -T`` printed."""
    greeting = GREETING_RE.search(output)
    if greeting:
        return "authenticated", greeting.group("user")
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in output or re.search(
        r"Host key for \S+ has changed", output
    ):
        return "host_key_mismatch", None
    if re.search(r"No \S+ host key is known for", output) or (
        "Host key verification failed" in output
    ):
        return "host_key_unknown", None
    if "Permission denied" in output:
        return "permission_denied", None
    if re.search(r"Connection timed out|Operation timed out", output):
        return "timeout", None
    if re.search(
        r"Connection refused|Could not resolve hostname|Network is unreachable|No route to host"
        r"|Connection closed by|Connection reset|kex_exchange_identification",
        output,
    ):
        return "unreachable", None
    if exit_code == 0:
        return "authenticated", None
    return "error", None


def _ssh_command(site: SiteConfig, identity: str, known_hosts: str) -> list[str]:
    config = ssh_config_path(site)
    return [
        "ssh",
        "-F",
        str(config) if config.is_file() else os.devnull,
        "-T",
        "-o",
        "BatchMode=yes",
        "-o",
        f"ConnectTimeout={max(1, math.ceil(site.ssh_test_timeout))}",
        "-o",
        "IdentitiesOnly=yes",
        "-i",
        identity,
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"HostKeyAlias={site.github_ssh_host}",
        "-o",
        "UpdateHostKeys=no",
        "-o",
        "ControlPath=none",
        "-p",
        str(site.github_ssh_port),
        "-l",
        site.github_ssh_user,
        site.github_ssh_host,
    ]


# The run in progress per site and event loop: concurrent callers share one ssh.
_running: dict[tuple[SiteConfig, asyncio.AbstractEventLoop], asyncio.Task[SshTestAnswer]] = {}


async def test_connection(site: SiteConfig) -> SshTestAnswer:
    """``POST binder/api/ssh/test``: the real ``ssh -T`` with a timeout, classified.

    Callers that ask while a test runs get that test's answer: however many tabs click,
    one ssh runs at a time per site.
    """
    key = (site, asyncio.get_running_loop())
    task = _running.get(key)
    if task is None or task.done():
        task = asyncio.get_running_loop().create_task(_test_connection(site))
        _running[key] = task
        task.add_done_callback(lambda done: _forget(key, done))
    # shield: a caller that goes away does not stop the test the others wait for; each
    # caller gets its own copy of the answer.
    answer = await asyncio.shield(task)
    return {**answer}


def _forget(
    key: tuple[SiteConfig, asyncio.AbstractEventLoop], done: asyncio.Task[SshTestAnswer]
) -> None:
    if _running.get(key) is done:
        del _running[key]


async def _test_connection(site: SiteConfig) -> SshTestAnswer:
    # Off the event loop: it stats the key and may copy it.
    private = await asyncio.to_thread(usable_key, site)
    identity = private["path_used"]
    if not private["usable"] or identity is None:
        return build_ssh_test(site, private, None)
    # The pinned keys are used even before configure-git: no trust on first use, ever.
    with _pinned_known_hosts_file(site) as known:
        command = _ssh_command(site, identity, str(known))
        run = await _run_ssh(site, command)
    return build_ssh_test(site, private, run)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _pinned_known_hosts_file(site: SiteConfig) -> contextlib.AbstractContextManager[Path]:
    if site.ssh_known_hosts_file:
        return contextlib.nullcontext(expand(site.ssh_known_hosts_file))
    return resources.as_file(
        resources.files("jupyter_binder_ext.ssh").joinpath("github_known_hosts")
    )


async def _run_ssh(site: SiteConfig, command: list[str]) -> SshRun:
    started = time.monotonic()
    shown = shlex.join(command)
    try:
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # no terminal to prompt on; killed as a group
            env=git_env(),  # no hub token or other secret in ssh's environment
        )
    except OSError as err:
        return SshRun(shown, "error", None, None, "", None, f"ssh could not run: {err}")
    exit_code: int | None = None
    try:
        stdout, stderr = await asyncio.wait_for(
            proc.communicate(), timeout=site.ssh_test_timeout + 5
        )
    except asyncio.TimeoutError:
        kill_group(proc.pid)
        await proc.wait()
        outcome: SshOutcome = "timeout"
        user: str | None = None
        output = ""
    else:
        output = (stderr + stdout).decode("utf-8", "replace").replace("\r", "").strip()
        exit_code = proc.returncode
        outcome, user = classify_ssh_output(exit_code, output)
    elapsed = round(time.monotonic() - started, 3)
    return SshRun(shown, outcome, user, exit_code, output[-OUTPUT_LIMIT:], elapsed)
