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
from typing import Any

from jupyter_binder_ext.common.git import git_env, kill_group
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.ssh.git_setup import OUTPUT_LIMIT, expand, ssh_config_path, usable_key

FINGERPRINTS_URL = (
    "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/"
    "githubs-ssh-key-fingerprints"
)
SSH_OVER_HTTPS_URL = (
    "https://docs.github.com/en/authentication/troubleshooting-ssh/using-ssh-over-the-https-port"
)
# GitHub answers `ssh -T` with this on stderr (exit code 1); deploy keys greet "owner/repo".
GREETING_RE = re.compile(r"Hi (?P<user>[^!\r\n]+)! You've successfully authenticated")


# -- the connection test -------------------------------------------------------------------


def _next_steps(site: SiteConfig) -> dict[str, tuple[str, str | None]]:
    host, port = site.github_ssh_host, site.github_ssh_port
    return {
        "authenticated": ("You can push over SSH from this notebook.", None),
        "permission_denied": (
            f"The key is not on your GitHub account yet: add the public key at "
            f"{site.github_add_key_url}, then test again.",
            site.github_add_key_url,
        ),
        "host_key_mismatch": (
            f"Do not push: {host} showed a host key other than GitHub's published ones, which "
            "can mean the connection is intercepted. Compare with GitHub's published "
            "fingerprints; if GitHub changed its keys, update jupyter_binder_ext.",
            FINGERPRINTS_URL,
        ),
        "host_key_unknown": (
            f"No pinned host key matches {host}: check c.BinderExt.ssh_known_hosts_file "
            "(it must list the host's keys under that name).",
            FINGERPRINTS_URL,
        ),
        "unreachable": (
            f"This notebook cannot reach {host} on port {port}. The site may block outgoing "
            "SSH; GitHub also accepts SSH on ssh.github.com port 443, or push over HTTPS "
            "with a token.",
            SSH_OVER_HTTPS_URL,
        ),
        "timeout": (
            f"{host} did not answer within {site.ssh_test_timeout:g} s. Try again; if it "
            "persists, outgoing SSH is probably blocked (GitHub also accepts SSH on "
            "ssh.github.com port 443).",
            SSH_OVER_HTTPS_URL,
        ),
        "no_key": (
            "Fix the private key first (see the SSH key section); there is nothing to test with.",
            None,
        ),
        "error": ("Read ssh's message below; run the test again after fixing it.", None),
    }


def classify_ssh_output(exit_code: int | None, output: str) -> tuple[str, str | None]:
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
_running: dict[tuple[SiteConfig, asyncio.AbstractEventLoop], asyncio.Task[dict[str, Any]]] = {}


async def test_connection(site: SiteConfig) -> dict[str, Any]:
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
    # shield: a caller that goes away does not stop the test the others wait for.
    return dict(await asyncio.shield(task))


def _forget(
    key: tuple[SiteConfig, asyncio.AbstractEventLoop], done: asyncio.Task[dict[str, Any]]
) -> None:
    if _running.get(key) is done:
        del _running[key]


async def _test_connection(site: SiteConfig) -> dict[str, Any]:
    steps = _next_steps(site)
    result: dict[str, Any] = {
        "ok": False,
        "outcome": "no_key",
        "message": "",
        "next_step": "",
        "next_step_url": None,
        "github_user": None,
        "exit_code": None,
        "output": "",
        "command": None,
        "host": site.github_ssh_host,
        "port": site.github_ssh_port,
        "user": site.github_ssh_user,
        "identity_file": None,
        "elapsed_s": None,
    }
    # Off the event loop: it stats the key and may copy it.
    private = await asyncio.to_thread(usable_key, site)
    if not private.usable or private.path_used is None:
        result["message"] = private.reason
        result["next_step"], result["next_step_url"] = steps["no_key"]
        return result
    result["identity_file"] = private.path_used
    # The pinned keys are used even before configure-git: no trust on first use, ever.
    with _pinned_known_hosts_file(site) as known:
        command = _ssh_command(site, private.path_used, str(known))
        result["command"] = shlex.join(command)
        outcome, user = await _run_ssh(site, command, result)
    result["outcome"] = outcome
    result["github_user"] = user
    result["ok"] = outcome == "authenticated"
    result["next_step"], result["next_step_url"] = steps[outcome]
    result["message"] = result["message"] or _outcome_message(site, outcome, user)
    return result


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _pinned_known_hosts_file(site: SiteConfig) -> contextlib.AbstractContextManager[Path]:
    if site.ssh_known_hosts_file:
        return contextlib.nullcontext(expand(site.ssh_known_hosts_file))
    return resources.as_file(
        resources.files("jupyter_binder_ext.ssh").joinpath("github_known_hosts")
    )


async def _run_ssh(
    site: SiteConfig, command: list[str], result: dict[str, Any]
) -> tuple[str, str | None]:
    started = time.monotonic()
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
        result["message"] = f"ssh could not run: {err}"
        return "error", None
    try:
        stdout, stderr = await asyncio.wait_for(
            proc.communicate(), timeout=site.ssh_test_timeout + 5
        )
    except asyncio.TimeoutError:
        kill_group(proc.pid)
        await proc.wait()
        outcome, user, output = "timeout", None, ""
    else:
        output = (stderr + stdout).decode("utf-8", "replace").replace("\r", "").strip()
        result["exit_code"] = proc.returncode
        outcome, user = classify_ssh_output(proc.returncode, output)
    result["elapsed_s"] = round(time.monotonic() - started, 3)
    result["output"] = output[-OUTPUT_LIMIT:]
    return outcome, user


def _outcome_message(site: SiteConfig, outcome: str, user: str | None) -> str:
    host = site.github_ssh_host
    return {
        "authenticated": (
            f"Authenticated to {host} as {user}." if user else f"Authenticated to {host}."
        ),
        "permission_denied": f"{host} refused the key (Permission denied (publickey)).",
        "host_key_mismatch": f"{host}'s host key does not match the pinned keys.",
        "host_key_unknown": f"{host}'s host key is not among the pinned keys.",
        "unreachable": f"Could not connect to {host}.",
        "timeout": f"The connection to {host} timed out.",
        "error": "ssh failed.",
    }[outcome]
