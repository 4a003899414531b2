"""The SSH key section: what the key is, whether ssh can use it, and pushing to GitHub.

The site mounts one key pair per user. ``read_ssh`` reports the public key (type, size,
comment, fingerprint exactly as ``ssh-keygen -lf`` prints it) and which private key file ssh
will use (a private 0600 copy when the mounted one is too open or not the user's own);
``configure_git`` sets ssh and git up (see :mod:`.git_setup`); ``test_connection`` runs the
real ``ssh -T`` (see :mod:`.connection_test`). The private key's bytes are never in any
answer. Each answer is gathered (:mod:`.facts`), then built (:mod:`.builders`).
"""

from __future__ import annotations

from jupyter_binder_ext.common.files import WriteFailed, read_text, write_atomic
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.errors import BinderError, Conflict, Forbidden
from jupyter_binder_ext.ssh.answers import ConfigureGitAnswer, RepoConfigured, SshAnswer
from jupyter_binder_ext.ssh.builders import build_configure_git, build_ssh
from jupyter_binder_ext.ssh.connection_test import test_connection as test_connection
from jupyter_binder_ext.ssh.facts import gather_ssh
from jupyter_binder_ext.ssh.git_setup import (
    CONFIG_MAX_BYTES,
    configure_repo,
    known_hosts_path,
    pinned_known_hosts_text,
    render_block,
    ssh_config_path,
    usable_key,
    write_managed_block,
)
from jupyter_binder_ext.ssh.text import describe_ssh as describe_ssh
from jupyter_binder_ext.ssh.text import describe_ssh_test as describe_ssh_test

__all__ = [
    "configure_git",
    "describe_ssh",
    "describe_ssh_test",
    "read_ssh",
    "test_connection",
]


def read_ssh(site: SiteConfig) -> SshAnswer:
    """The answer of ``GET binder/api/ssh``. Never any byte of the private key."""
    return build_ssh(gather_ssh(site), site)


def configure_git(site: SiteConfig) -> ConfigureGitAnswer:
    """``POST binder/api/ssh/configure-git``: idempotent; answers with the new GET state."""
    changed, repo = _configure(site)
    return build_configure_git(gather_ssh(site), site, changed, repo)


def _configure(site: SiteConfig) -> tuple[list[str], RepoConfigured]:
    """Write the ssh set-up and the repository's push settings: (what changed, the repo)."""
    private = usable_key(site)
    identity = private["path_used"]
    if not private["usable"] or identity is None:
        raise Conflict(
            f"No private key ssh can use: {private['reason']}",
            reason="no_usable_key",
            path=private["path"],
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
        if write_managed_block(config, render_block(site, identity)):
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
        _add_done(err, changed)
        raise
    try:
        repo = configure_repo(site)
    except BinderError as err:
        _add_done(err, changed)
        raise
    return changed + repo["changed"], repo


def _add_done(err: BinderError, changed: list[str]) -> None:
    """Make `err` say what the failed set-up had already done."""
    err.message = f"{err.message} {_done(changed)}"
    err.details["changed"] = changed


def _done(changed: list[str]) -> str:
    """What a failed set-up had already done, for its message."""
    return ("Already written: " + ", ".join(changed) + ".") if changed else "Nothing was changed."
