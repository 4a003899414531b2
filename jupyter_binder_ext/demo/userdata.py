"""Per-user things the site provides: the persistent volume and the SSH key pair.

On the seed site every notebook of a user mounts the same volume (``/home/{user}-nfs-pvc``)
and the same generated key pair (``/home/jovyan/.ssh/ssh.{priv,pub}``). The demo keeps both
under its state folder and points the extension at them with ``--BinderExt.*`` arguments.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class UserData:
    volume_template: str
    private_key: Path
    public_key: Path


def volume_template(state_dir: Path) -> str:
    return str(state_dir / "volumes" / "{username}-nfs-pvc")


def ensure_user_data(state_dir: Path, username: str) -> UserData:
    """Create the user's volume folder and key pair on first spawn; reuse them after."""
    template = volume_template(state_dir)
    Path(template.format(username=username)).mkdir(parents=True, exist_ok=True)
    keys = state_dir / "keys" / username
    private, public = keys / "ssh.priv", keys / "ssh.pub"
    if not (private.exists() and public.exists()):
        keys.mkdir(parents=True, exist_ok=True)
        for stale in (private, public, keys / "ssh.priv.pub"):
            stale.unlink(missing_ok=True)
        subprocess.run(
            [
                "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                f"{username}@binder-demo", "-f", str(private),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        (keys / "ssh.priv.pub").rename(public)
        # Like the site's mounted secret, the private key is readable by others (0644): ssh
        # refuses such a key, which is what the extension's SSH section has to deal with.
        private.chmod(0o644)
    return UserData(template, private, public)
