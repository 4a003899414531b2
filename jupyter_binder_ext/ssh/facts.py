"""What the ssh routes read from the system, as plain values.

:func:`gather_ssh` reads the key pair, the ssh set-up and the repository's push settings
(``GET binder/api/ssh``); :class:`SshRun` is what one ``ssh -T`` did. No sentence for the
user is made here: :mod:`.builders` words the answers. The gatherer is synchronous (callers
run it in a thread); it never reads a byte of the private key itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jupyter_binder_ext.common.files import UnsafeFile, read_text
from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.ssh.answers import (
    PrivateKeyFacts,
    RepoPushFacts,
    SshOutcome,
    SshSetupFacts,
)
from jupyter_binder_ext.ssh.git_setup import (
    CONFIG_MAX_BYTES,
    expand,
    known_hosts_path,
    pinned_known_hosts_text,
    read_managed_block,
    render_block,
    repo_status,
    ssh_config_path,
    usable_key,
)
from jupyter_binder_ext.ssh.keys import (
    KEY_MAX_BYTES,
    InvalidKey,
    PublicKey,
    derive_public_key,
    parse_public_key,
)

PublicKeyProblem = Literal["missing", "unsafe", "unreadable", "invalid"]


@dataclass(frozen=True)
class PublicKeyRead:
    """The public key file: its key, or what kept it from being read (and the words of the
    OS or of the parser, `detail`)."""

    path: Path
    key: PublicKey | None
    problem: PublicKeyProblem | None = None
    detail: str = ""


@dataclass(frozen=True)
class SshFacts:
    public: PublicKeyRead
    private: PrivateKeyFacts
    # The public half ssh-keygen computes from the private key (None when it cannot).
    derived: PublicKey | None
    derive_error: str | None
    setup: SshSetupFacts
    repo: RepoPushFacts


@dataclass(frozen=True)
class SshRun:
    """One ``ssh -T``: what it printed and how it was classified."""

    command: str
    outcome: SshOutcome
    github_user: str | None
    exit_code: int | None
    output: str
    elapsed_s: float | None
    error: str | None = None  # why ssh could not even start


def read_public_key(path: Path) -> PublicKeyRead:
    try:
        text = read_text(path, limit=KEY_MAX_BYTES, links="within")
        if text is None:
            return PublicKeyRead(path, None, "missing")
        return PublicKeyRead(path, parse_public_key(text))
    except FileNotFoundError:
        return PublicKeyRead(path, None, "missing")
    except UnsafeFile as err:
        return PublicKeyRead(path, None, "unsafe", err.message)
    except OSError as err:
        return PublicKeyRead(path, None, "unreadable", str(err.strerror))
    except InvalidKey as err:
        return PublicKeyRead(path, None, "invalid", err.message)


def read_ssh_setup(site: SiteConfig, identity: str | None) -> SshSetupFacts:
    config = ssh_config_path(site)
    known = known_hosts_path(site)
    block = read_managed_block(config)
    try:
        known_ok = read_text(known, limit=CONFIG_MAX_BYTES) == pinned_known_hosts_text(site)
    except (OSError, UnsafeFile):
        known_ok = False
    return {
        "ssh_config_path": str(config),
        "ssh_config_block": block is not None,
        "ssh_config_current": identity is not None and block == render_block(site, identity),
        "known_hosts_path": str(known),
        "known_hosts_pinned": known_ok,
    }


def gather_ssh(site: SiteConfig) -> SshFacts:
    """Everything ``GET binder/api/ssh`` reports, read once."""
    public = read_public_key(expand(site.ssh_public_key_path))
    private = usable_key(site)
    derived: PublicKey | None = None
    derive_error: str | None = None
    if private["usable"] and private["path_used"]:
        derived, derive_error = derive_public_key(private["path_used"])
    setup = read_ssh_setup(site, private["path_used"])
    return SshFacts(public, private, derived, derive_error, setup, repo_status(site))
