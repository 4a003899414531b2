"""The ssh answers, built from gathered facts: no I/O, no clock.

Every sentence of ``GET binder/api/ssh``, ``POST .../ssh/configure-git`` and
``POST .../ssh/test`` is made here, from :mod:`.facts`; tests build them from hand-made facts.
"""

from __future__ import annotations

from jupyter_binder_ext.common.answers import Warning, warning
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.ssh.answers import (
    ConfigureGitAnswer,
    GitOverSsh,
    PrivateKeyFacts,
    RepoConfigured,
    RepoPushFacts,
    SshAnswer,
    SshOutcome,
    SshSetupFacts,
    SshStep,
    SshTestAnswer,
)
from jupyter_binder_ext.ssh.facts import PublicKeyRead, SshFacts, SshRun

FINGERPRINTS_URL = (
    "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/"
    "githubs-ssh-key-fingerprints"
)
SSH_OVER_HTTPS_URL = (
    "https://docs.github.com/en/authentication/troubleshooting-ssh/using-ssh-over-the-https-port"
)


# -- GET ssh -------------------------------------------------------------------------------


def build_ssh(facts: SshFacts, site: SiteConfig) -> SshAnswer:
    """The answer of ``GET binder/api/ssh``. Never any byte of the private key."""
    from_file = facts.public.key
    public = from_file or facts.derived
    pair_matches = facts.derived.blob == from_file.blob if facts.derived and from_file else None
    private = facts.private
    usable = private["usable"] and facts.derive_error is None
    setup, repo = facts.setup, facts.repo
    git_configured = (
        usable
        and setup["ssh_config_current"]
        and setup["known_hosts_pinned"]
        and (repo["push_ready"] or not repo["is_github"])
    )
    return {
        "public_key": public.openssh if public else None,
        "public_key_path": str(facts.public.path),
        "public_key_source": ("file" if from_file else "derived") if public else None,
        "key_type": public.key_type if public else None,
        "algorithm": public.algorithm if public else None,
        "bits": public.bits if public else None,
        "fingerprint": public.fingerprint if public else None,
        "fingerprint_line": public.fingerprint_line() if public else None,
        "comment": public.comment if public else None,
        "private_key": private,
        "private_key_usable": usable,
        "private_key_path_used": private["path_used"] if usable else None,
        "pair_matches": pair_matches,
        "git_configured": git_configured,
        "git_over_ssh": git_over_ssh(usable, setup, repo),
        "ssh_setup": setup,
        "repo": repo,
        "host": {
            "name": site.github_ssh_host,
            "user": site.github_ssh_user,
            "port": site.github_ssh_port,
        },
        "add_key_url": site.github_add_key_url,
        "fingerprints_url": FINGERPRINTS_URL,
        "steps": _steps(site, git_configured),
        "warnings": _key_warnings(facts, pair_matches),
    }


def public_key_problem(read: PublicKeyRead) -> str | None:
    """Why the public key file gave no key, in a sentence (None when it gave one)."""
    if read.problem is None:
        return None
    return {
        "missing": f"There is no public key at {read.path}.",
        "unsafe": read.detail,
        "unreadable": f"Cannot read {read.path}: {read.detail}.",
        "invalid": f"{read.path}: {read.detail}",
    }[read.problem]


def _key_warnings(facts: SshFacts, pair_matches: bool | None) -> list[Warning]:
    warnings: list[Warning] = []
    problem = public_key_problem(facts.public)
    if problem and facts.derived is not None:
        message = f"{problem} It was computed from the private key instead."
        warnings.append(warning("public_key_derived", "info", message))
    elif problem:
        warnings.append(warning("public_key", "error", problem))
    private = facts.private
    if not private["usable"]:
        warnings.append(warning("private_key", "error", private["reason"]))
    elif private["copied"]:
        warnings.append(warning("private_copy", "info", private["reason"]))
    if facts.derive_error:
        warnings.append(
            warning(
                "private_key_unreadable",
                "error",
                f"ssh-keygen cannot load the private key {private['path_used']} "
                f"({facts.derive_error}); if it has a passphrase, pushes from the notebook "
                "need a key without one.",
            )
        )
    if pair_matches is False:
        warnings.append(
            warning(
                "pair_mismatch",
                "error",
                f"The public key {facts.public.path} does not belong to the private key: "
                "GitHub would refuse the private key even after you add this public one.",
            )
        )
    return warnings


def git_over_ssh(usable: bool, setup: SshSetupFacts, repo: RepoPushFacts) -> GitOverSsh:
    """The one status of origin's pushes over SSH: ssh set up for GitHub says nothing about
    a remote that is not on GitHub, so such a remote is never "set up"."""
    origin = repo["origin_url"]
    if not repo["is_git"] or not origin:
        reason = repo["message"] or "there is no git repository with an origin remote."
        return {"state": "no_remote", "remote": "", "message": f"not used: {reason}"}
    if not repo["is_github"]:
        return {
            "state": "not_on_github",
            "remote": "origin",
            "message": f"not used: origin ({origin}) is not on GitHub, so its pushes do not "
            "go over SSH with this key; its push URL is left as it is.",
        }
    target = repo["push_url"] or origin
    ssh_ready = setup["ssh_config_current"] and setup["known_hosts_pinned"]
    if usable and ssh_ready and repo["push_ready"]:
        message = f"set up: pushes to origin go to {target} over SSH with this key."
        return {"state": "ready", "remote": "origin", "message": message}
    if not usable:
        why = "no private key ssh can use"
    elif not ssh_ready:
        why = "the ssh settings for GitHub are missing or out of date"
    else:
        why = f"pushes to origin go to {target}, not over SSH"
    return {"state": "not_set_up", "remote": "origin", "message": f"not set up: {why}."}


def _steps(site: SiteConfig, git_configured: bool) -> list[SshStep]:
    def step(id: str, title: str, detail: str, url: str | None = None) -> SshStep:
        return {"id": id, "title": title, "detail": detail, "url": url, "done": None}

    return [
        step(
            "copy_public_key",
            "Copy the public key",
            "The same key pair is mounted in all your notebooks: add it once.",
        ),
        step(
            "add_key",
            "Add it to your GitHub account",
            "Paste it as a new SSH key (key type: Authentication Key); any title.",
            site.github_add_key_url,
        ),
        {
            **step(
                "configure_git",
                "Set up ssh and git",
                f"An ssh config entry for {site.github_ssh_host} using this key, GitHub's "
                "published host keys pinned, and an SSH push URL for the repository.",
            ),
            "done": git_configured,
        },
        step(
            "test",
            "Test the connection",
            f"Runs ssh -T {site.github_ssh_user}@{site.github_ssh_host}.",
        ),
    ]


# -- POST ssh/configure-git ------------------------------------------------------------------


def build_configure_git(
    facts: SshFacts, site: SiteConfig, changed: list[str], repo: RepoConfigured
) -> ConfigureGitAnswer:
    """The ssh answer after the set-up, with what the set-up changed."""
    message = (
        "Set up: " + ", ".join(changed) + "." if changed else "Already set up: nothing changed."
    )
    if not repo["is_github"] and repo["message"]:
        message += " " + repo["message"]
    return {
        **build_ssh(facts, site),
        "configure": {"changed": changed, "repo": repo, "message": message},
    }


# -- POST ssh/test ---------------------------------------------------------------------------


def build_ssh_test(site: SiteConfig, private: PrivateKeyFacts, run: SshRun | None) -> SshTestAnswer:
    """The answer of ``POST binder/api/ssh/test``: `run` is None when there was no key to
    test with."""
    outcome: SshOutcome = run.outcome if run else "no_key"
    next_step, next_step_url = _next_step(site, outcome)
    if run is None:
        message = private["reason"]
    else:
        message = run.error or _outcome_message(site, run.outcome, run.github_user)
    return {
        "ok": outcome == "authenticated",
        "outcome": outcome,
        "message": message,
        "next_step": next_step,
        "next_step_url": next_step_url,
        "github_user": run.github_user if run else None,
        "exit_code": run.exit_code if run else None,
        "output": run.output if run else "",
        "command": run.command if run else None,
        "host": site.github_ssh_host,
        "port": site.github_ssh_port,
        "user": site.github_ssh_user,
        "identity_file": private["path_used"] if run else None,
        "elapsed_s": run.elapsed_s if run else None,
    }


def _next_step(site: SiteConfig, outcome: SshOutcome) -> tuple[str, str | None]:
    """What the user does next after `outcome`, and the page that helps (if any)."""
    host, port = site.github_ssh_host, site.github_ssh_port
    if outcome == "authenticated":
        return "You can push over SSH from this notebook.", None
    if outcome == "permission_denied":
        return (
            f"The key is not on your GitHub account yet: add the public key at "
            f"{site.github_add_key_url}, then test again.",
            site.github_add_key_url,
        )
    if outcome == "host_key_mismatch":
        return (
            f"Do not push: {host} showed a host key other than GitHub's published ones, which "
            "can mean the connection is intercepted. Compare with GitHub's published "
            "fingerprints; if GitHub changed its keys, update jupyter_binder_ext.",
            FINGERPRINTS_URL,
        )
    if outcome == "host_key_unknown":
        return (
            f"No pinned host key matches {host}: check c.BinderExt.ssh_known_hosts_file "
            "(it must list the host's keys under that name).",
            FINGERPRINTS_URL,
        )
    if outcome == "unreachable":
        return (
            f"This notebook cannot reach {host} on port {port}. The site may block outgoing "
            "SSH; GitHub also accepts SSH on ssh.github.com port 443, or push over HTTPS "
            "with a token.",
            SSH_OVER_HTTPS_URL,
        )
    if outcome == "timeout":
        return (
            f"{host} did not answer within {site.ssh_test_timeout:g} s. Try again; if it "
            "persists, outgoing SSH is probably blocked (GitHub also accepts SSH on "
            "ssh.github.com port 443).",
            SSH_OVER_HTTPS_URL,
        )
    if outcome == "no_key":
        return (
            "Fix the private key first (see the SSH key section); there is nothing to test with.",
            None,
        )
    return "Read ssh's message below; run the test again after fixing it.", None


def _outcome_message(site: SiteConfig, outcome: SshOutcome, user: str | None) -> str:
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
        "no_key": "There is no private key ssh can use.",
        "error": "ssh failed.",
    }[outcome]
