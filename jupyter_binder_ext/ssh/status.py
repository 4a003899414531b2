"""The SSH key section: what the key is, whether ssh can use it, and pushing to GitHub.

The site mounts one key pair per user. ``read_ssh`` reports the public key (type, size,
comment, fingerprint exactly as ``ssh-keygen -lf`` prints it) and which private key file ssh
will use (a private 0600 copy when the mounted one is too open or not the user's own);
``configure_git`` sets ssh and git up (see :mod:`.sshsetup`); ``test_connection`` runs the
real ``ssh -T`` (see :mod:`.sshtest`). The private key's bytes are never in any answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jupyter_binder_ext.common.answers import Warning, warning
from jupyter_binder_ext.common.files import UnsafeFile, WriteFailed, read_text, write_atomic
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, Forbidden
from jupyter_binder_ext.ssh.connection_test import FINGERPRINTS_URL
from jupyter_binder_ext.ssh.connection_test import test_connection as test_connection
from jupyter_binder_ext.ssh.git_setup import (
    CONFIG_MAX_BYTES,
    configure_repo,
    expand,
    known_hosts_path,
    pinned_known_hosts_text,
    read_managed_block,
    render_block,
    repo_status,
    ssh_config_path,
    usable_key,
    write_managed_block,
)
from jupyter_binder_ext.ssh.keys import (
    KEY_MAX_BYTES,
    InvalidKey,
    PublicKey,
    derive_public_key,
    parse_public_key,
)

__all__ = [
    "configure_git",
    "describe_ssh",
    "describe_ssh_test",
    "read_ssh",
    "test_connection",
]


# -- the answers ---------------------------------------------------------------------------


def _ssh_setup_state(site: SiteConfig, identity: str | None) -> dict[str, Any]:
    config = ssh_config_path(site)
    known = known_hosts_path(site)
    block = read_managed_block(config)
    try:
        pinned = pinned_known_hosts_text(site)
        known_ok = read_text(known, limit=CONFIG_MAX_BYTES) == pinned
    except (OSError, UnsafeFile):
        known_ok = False
    block_ok = identity is not None and block == render_block(site, identity)
    return {
        "ssh_config_path": str(config),
        "ssh_config_block": block is not None,
        "ssh_config_current": block_ok,
        "known_hosts_path": str(known),
        "known_hosts_pinned": known_ok,
    }


def read_ssh(site: SiteConfig) -> dict[str, Any]:
    """The answer of ``GET binder/api/ssh``. Never any byte of the private key."""
    warnings: list[Warning] = []
    pub_path = expand(site.ssh_public_key_path)
    public: PublicKey | None = None
    public_error: str | None = None
    public_source = "file"
    try:
        public_text = read_text(pub_path, limit=KEY_MAX_BYTES, links="within")
        if public_text is None:
            raise FileNotFoundError(pub_path)
        public = parse_public_key(public_text)
    except FileNotFoundError:
        public_error = f"There is no public key at {pub_path}."
    except UnsafeFile as err:
        public_error = err.message
    except OSError as err:
        public_error = f"Cannot read {pub_path}: {err.strerror}."
    except InvalidKey as err:
        public_error = f"{pub_path}: {err.message}"
    private = usable_key(site)
    pair_matches: bool | None = None
    private_key_error: str | None = None
    if private.usable and private.path_used:
        derived, private_key_error = derive_public_key(private.path_used)
        if derived is not None and public is not None:
            pair_matches = derived.blob == public.blob
        elif derived is not None:
            public, public_source = derived, "derived"
            warnings.append(
                warning(
                    "public_key_derived",
                    "info",
                    f"{public_error} It was computed from the private key instead.",
                )
            )
            public_error = None
    if public_error:
        warnings.append(warning("public_key", "error", public_error))
    if not private.usable:
        warnings.append(warning("private_key", "error", private.reason))
    elif private.copied:
        warnings.append(warning("private_copy", "info", private.reason))
    if private_key_error:
        warnings.append(
            warning(
                "private_key_unreadable",
                "error",
                f"ssh-keygen cannot load the private key {private.path_used} "
                f"({private_key_error}); if it has a passphrase, pushes from the notebook "
                "need a key without one.",
            )
        )
    if pair_matches is False:
        warnings.append(
            warning(
                "pair_mismatch",
                "error",
                f"The public key {pub_path} does not belong to the private key: GitHub would "
                "refuse the private key even after you add this public one.",
            )
        )
    usable = private.usable and private_key_error is None
    setup = _ssh_setup_state(site, private.path_used)
    repo = repo_status(site)
    git_configured = (
        usable
        and setup["ssh_config_current"]
        and setup["known_hosts_pinned"]
        and (repo["push_ready"] or not repo["is_github"])
    )
    return {
        "public_key": public.openssh if public else None,
        "public_key_path": str(pub_path),
        "public_key_source": public_source if public else None,
        "key_type": public.key_type if public else None,
        "algorithm": public.algorithm if public else None,
        "bits": public.bits if public else None,
        "fingerprint": public.fingerprint if public else None,
        "fingerprint_line": public.fingerprint_line() if public else None,
        "comment": public.comment if public else None,
        "private_key": private.to_json(),
        "private_key_usable": usable,
        "private_key_path_used": private.path_used if usable else None,
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
        "warnings": warnings,
    }


def git_over_ssh(usable: bool, setup: Mapping[str, Any], repo: Mapping[str, Any]) -> dict[str, str]:
    """The one status of origin's pushes over SSH: ssh set up for GitHub says nothing about
    a remote that is not on GitHub, so such a remote is never "set up"."""
    if not repo["is_git"] or not repo["origin_url"]:
        reason = repo["message"] or "there is no git repository with an origin remote."
        return {"state": "no_remote", "remote": "", "message": f"not used: {reason}"}
    origin = repo["origin_url"]
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


def _steps(site: SiteConfig, git_configured: bool) -> list[dict[str, Any]]:
    return [
        {
            "id": "copy_public_key",
            "title": "Copy the public key",
            "detail": "The same key pair is mounted in all your notebooks: add it once.",
            "url": None,
            "done": None,
        },
        {
            "id": "add_key",
            "title": "Add it to your GitHub account",
            "detail": "Paste it as a new SSH key (key type: Authentication Key); any title.",
            "url": site.github_add_key_url,
            "done": None,
        },
        {
            "id": "configure_git",
            "title": "Set up ssh and git",
            "detail": (
                f"An ssh config entry for {site.github_ssh_host} using this key, GitHub's "
                "published host keys pinned, and an SSH push URL for the repository."
            ),
            "url": None,
            "done": git_configured,
        },
        {
            "id": "test",
            "title": "Test the connection",
            "detail": f"Runs ssh -T {site.github_ssh_user}@{site.github_ssh_host}.",
            "url": None,
            "done": None,
        },
    ]


def configure_git(site: SiteConfig) -> dict[str, Any]:
    """``POST binder/api/ssh/configure-git``: idempotent; answers with the new GET state."""
    private = usable_key(site)
    if not private.usable or private.path_used is None:
        raise Conflict(
            f"No private key ssh can use: {private.reason}",
            reason="no_usable_key",
            path=private.path,
        )
    ssh_dir = site.ssh_dir_path()
    changed: list[str] = []
    try:
        if not ssh_dir.is_dir():
            ssh_dir.mkdir(mode=0o700, parents=True)
            changed.append(str(ssh_dir))
        pinned = pinned_known_hosts_text(site)
        known = known_hosts_path(site)
        if read_text(known, limit=CONFIG_MAX_BYTES) != pinned:
            write_atomic(known, pinned, mode=0o644)
            changed.append(str(known))
        config = ssh_config_path(site)
        if write_managed_block(config, render_block(site, private.path_used)):
            changed.append(str(config))
    except (OSError, Forbidden, WriteFailed) as err:
        reason = err.message if isinstance(err, BinderError) else f"{err.strerror or err}."
        raise Conflict(
            f"Cannot write the ssh setup in {ssh_dir}: {reason} Set "
            f"c.BinderExt.ssh_dir to a writable folder. {_done(changed)}",
            reason="ssh_dir_not_writable",
            path=str(ssh_dir),
            changed=changed,
        ) from err
    except BinderError as err:  # a link or a FIFO where a file of ours goes
        err.message = f"{err.message} {_done(changed)}"
        err.details["changed"] = changed
        raise
    try:
        repo = configure_repo(site)
    except BinderError as err:
        err.message = f"{err.message} {_done(changed)}"
        err.details["changed"] = changed
        raise
    changed.extend(repo["changed"])
    data = read_ssh(site)
    message = (
        "Set up: " + ", ".join(changed) + "." if changed else "Already set up: nothing changed."
    )
    if not repo["is_github"] and repo["message"]:
        message += " " + repo["message"]
    data["configure"] = {"changed": changed, "repo": repo, "message": message}
    return data


def _done(changed: list[str]) -> str:
    """What a failed set-up had already done, for its message."""
    return ("Already written: " + ", ".join(changed) + ".") if changed else "Nothing was changed."


# -- text for the magics and the CLI ------------------------------------------------------


def describe_ssh(data: dict[str, Any]) -> str:
    lines = []
    if data["public_key"]:
        lines.append(f"Public key ({data['public_key_path']}):")
        lines.append(f"  {data['public_key']}")
        lines.append(f"  {data['fingerprint_line']}")
    private = data["private_key"]
    if data["private_key_usable"]:
        lines.append(f"Private key used by ssh: {data['private_key_path_used']}")
    else:
        lines.append(f"Private key: not usable ({private['reason']})")
    status = data["git_over_ssh"]
    hint = " (--configure-git)" if status["state"] == "not_set_up" else ""
    lines.append(f"Git over SSH: {status['message']}{hint}")
    if not data["git_configured"] or not data["private_key_usable"]:
        lines.append("Next steps:")
        for index, step in enumerate(data["steps"], 1):
            url = f" ({step['url']})" if step["url"] else ""
            lines.append(f"  {index}. {step['title']}{url}")
    configure = data.get("configure")
    if configure:
        lines.append(configure["message"])
    for item in data["warnings"]:
        lines.append(f"{item['level'].upper()}: {item['message']}")
    return "\n".join(lines)


def describe_ssh_test(data: dict[str, Any]) -> str:
    lines = [("OK: " if data["ok"] else "FAILED: ") + data["message"]]
    if data["next_step"]:
        lines.append("Next: " + data["next_step"])
    if data["output"] and not data["ok"]:
        lines.append("ssh said: " + data["output"])
    return "\n".join(lines)
