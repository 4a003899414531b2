"""The rest of the seed site's hub behaviour, for any JupyterHub on Kubernetes.

- one persistent volume per user, mounted at ``/home/{username}-nfs-pvc`` in every server of
  that user (a per-user PersistentVolumeClaim, or a folder of an NFS share);
- one SSH key pair per user, generated once, kept in a Kubernetes Secret and mounted as two
  files (the private one with mode 0600);
- five named servers per user, the server token scopes the notebook extension needs, and
  jupyterhub-idle-culler deleting servers after seven days without activity.

:class:`BinderSite` holds the settings (``c.BinderSite.*``). Its per-spawn part is the hook
:func:`site_hook`; :meth:`BinderSite.configure_hub` writes the hub-wide part into a config.
kubernetes_asyncio (which KubeSpawner itself uses) and cryptography are imported only inside
the functions that need them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import sys
from typing import Any

from traitlets import Bool, Enum, Int, List, Unicode
from traitlets.config import LoggingConfigurable

from jupyter_binder_ext.config import DEFAULT_NAMED_SERVER_LIMIT, SiteConfig

_SEED = SiteConfig()

PERSISTENT_VOLUME_NAME = "binder-persistent"
SSH_VOLUME_NAME = "binder-ssh-key"
SSH_PRIVATE_KEY = "ssh-privatekey"
SSH_PUBLIC_KEY = "ssh-publickey"
MANAGED_BY = "jupyter-binder-ext"

# What the notebook extension does with its own server token: list the user's servers (the
# Projects section), stop them and delete them. The last two are JupyterHub's defaults for a
# server token (the `server` role), which an explicit list replaces.
EXTENSION_SCOPES = ("read:servers!user", "servers!user", "delete:servers!user")
DEFAULT_SERVER_SCOPES = ("access:servers!server", "users:activity!user")

# jupyterhub-idle-culler's documented needs (with --remove-named-servers it deletes, too).
CULLER_SCOPES = ("list:users", "read:users:activity", "read:servers", "delete:servers")

_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def server_token_scopes() -> list[str]:
    """``Spawner.server_token_scopes`` for servers that run the extension."""
    return [*EXTENSION_SCOPES, *DEFAULT_SERVER_SCOPES]


def idle_culler_service(
    *,
    timeout: int = 7 * 24 * 3600,
    cull_every: int = 3600,
    name: str = "idle-culler",
    python: str = sys.executable,
) -> dict[str, Any]:
    """A managed ``JupyterHub.services`` entry running jupyterhub-idle-culler.

    ``--remove-named-servers`` deletes a culled named server instead of only stopping it, so
    it stops counting against the user's named-server limit.
    """
    return {
        "name": name,
        "command": [
            python,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={int(timeout)}",
            f"--cull-every={int(cull_every)}",
            "--remove-named-servers=true",
        ],
    }


def idle_culler_role(service_name: str = "idle-culler") -> dict[str, Any]:
    """The ``JupyterHub.load_roles`` entry that lets the culler do its job and no more."""
    return {
        "name": f"{service_name}-role",
        "scopes": list(CULLER_SCOPES),
        "services": [service_name],
    }


def safe_username(username: str) -> str:
    """A DNS-label form of a hub user name, the one KubeSpawner uses for ``{username}``."""
    try:
        from kubespawner.slugs import safe_slug
    except ImportError:
        return _own_safe_slug(username)
    return str(safe_slug(username, max_length=48))


def _own_safe_slug(username: str) -> str:
    if _DNS_LABEL_RE.match(username) and "--" not in username and len(username) <= 48:
        return username
    stripped = re.sub(r"[^a-z0-9]+", "-", username.lower()).strip("-")[:32] or "x"
    digest = hashlib.sha256(username.encode("utf-8")).hexdigest()[:8]
    return f"{stripped}---{digest}"


def render(template: str, username: str) -> str:
    """Fill ``{username}`` (the hub's user name) and ``{safe_username}`` (a DNS-label form)."""
    return template.format(username=username, safe_username=safe_username(username))


def generate_ssh_key_pair(comment: str, key_type: str = "ed25519") -> tuple[str, str]:
    """A new key pair: (private key in OpenSSH format, ``authorized_keys``-style public line)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key: Any
    if key_type == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    elif key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    else:
        raise ValueError(f"Unknown SSH key type {key_type!r}; use 'ed25519' or 'rsa'.")
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return private, f"{public.decode('ascii')} {comment}".strip() + "\n"


class BinderSite(LoggingConfigurable):
    """Per-user volume, SSH key pair, named-server limit, token scopes and the idle culler."""

    persistent_volume = Enum(
        ["pvc", "nfs", "none"],
        default_value="pvc",
        config=True,
        help="""How the user's persistent volume is provided: `pvc` mounts the user's
        PersistentVolumeClaim `persistent_volume_claim_name` (created when missing if
        `persistent_volume_capacity` is set); `nfs` mounts `nfs_path` of the NFS server
        `nfs_server`; `none` mounts nothing (e.g. when the chart's `singleuser.storage`
        already does it).""",
    )
    persistent_volume_mount_path = Unicode(
        _SEED.persistent_volume_template,
        config=True,
        help="""Where the volume appears in every server of the user. `{username}` is the hub
        user name (as the notebook sees it in JUPYTERHUB_USER), `{safe_username}` its
        DNS-label form. Keep it equal to the extension's
        `c.BinderExt.persistent_volume_template`.""",
    )
    persistent_volume_claim_name = Unicode(
        "claim-{safe_username}",
        config=True,
        help="""Name of the user's PersistentVolumeClaim (`pvc` mode). One claim per user, not
        per server, so every named server sees the same files. `{safe_username}` matches
        KubeSpawner's `{username}`, so `claim-{safe_username}` is the claim z2jh's dynamic
        storage gives a user's default server.""",
    )
    persistent_volume_capacity = Unicode(
        "",
        config=True,
        help="""Size of the claim KubeSpawner creates when it is missing (e.g. `10Gi`). Empty:
        the claim must exist already.""",
    )
    persistent_volume_storage_class = Unicode(
        "",
        config=True,
        help="Storage class of a claim created by KubeSpawner; empty for the cluster default.",
    )
    persistent_volume_access_modes = List(
        Unicode(),
        default_value=["ReadWriteMany"],
        config=True,
        help="""Access modes of a claim created by KubeSpawner. Several servers of one user run
        at once, possibly on different nodes, so the default is ReadWriteMany.""",
    )
    nfs_server = Unicode(
        "",
        config=True,
        help="Host name or address of the NFS server (`nfs` mode).",
    )
    nfs_path = Unicode(
        "/exports/home/{safe_username}",
        config=True,
        help="""Exported folder mounted for the user (`nfs` mode); `{username}` and
        `{safe_username}` are filled in. It must exist on the server.""",
    )
    ssh_keys = Bool(
        True,
        config=True,
        help="""Give every user one SSH key pair, generated at their first spawn, kept in the
        Secret `ssh_secret_name` and mounted into all their servers.""",
    )
    ssh_private_key_path = Unicode(
        _SEED.ssh_private_key_path,
        config=True,
        help="""Where the private key file appears in the server (mode 0600). Keep it equal to
        the extension's `c.BinderExt.ssh_private_key_path`.""",
    )
    ssh_public_key_path = Unicode(
        _SEED.ssh_public_key_path,
        config=True,
        help="""Where the public key file appears in the server. Keep it equal to the
        extension's `c.BinderExt.ssh_public_key_path`.""",
    )
    ssh_secret_name = Unicode(
        "binder-ssh-{safe_username}",
        config=True,
        help="""Name of the user's Secret holding the key pair, in the spawner's namespace;
        `{username}` and `{safe_username}` are filled in. Delete it to give the user a new
        pair at their next spawn.""",
    )
    ssh_key_type = Enum(
        ["ed25519", "rsa"],
        default_value="ed25519",
        config=True,
        help="Type of the generated key pair (`rsa` is 4096 bits).",
    )
    ssh_key_comment = Unicode(
        "{username}@binderhub",
        config=True,
        help="Comment at the end of the public key, shown by GitHub; `{username}` is filled in.",
    )
    named_server_limit_per_user = Int(
        DEFAULT_NAMED_SERVER_LIMIT,
        config=True,
        help="""Named servers a user may have, stopped-but-not-deleted ones included
        (`JupyterHub.named_server_limit_per_user`, written by `configure_hub`).""",
    )
    cull_timeout = Int(
        int(_SEED.inactivity_timeout),
        config=True,
        help="""Seconds without activity after which jupyterhub-idle-culler deletes a server
        (7 days on the seed site).""",
    )
    cull_every = Int(
        3600,
        config=True,
        help="Seconds between two runs of the idle culler.",
    )
    culler_service_name = Unicode(
        "idle-culler",
        config=True,
        help="Name of the idle culler's JupyterHub service (and of its role, plus `-role`).",
    )

    # ---- the hub-wide part -------------------------------------------------------------

    def configure_hub(self, c: Any, *, culler: bool = True) -> None:
        """Write named servers, their limit, the token scopes and (unless `culler` is False,
        e.g. when the z2jh chart's `cull:` runs one) the idle culler into config `c`."""
        c.JupyterHub.allow_named_servers = True
        c.JupyterHub.named_server_limit_per_user = self.named_server_limit_per_user
        # Every server learns the limit the way BinderHub does (launcher.py:55-56 reads it).
        _forward_limit(c, self.named_server_limit_per_user)
        c.Spawner.server_token_scopes = server_token_scopes()
        if not culler:
            return
        name = self.culler_service_name
        service = idle_culler_service(
            timeout=self.cull_timeout, cull_every=self.cull_every, name=name
        )
        _append_once(c.JupyterHub, "services", service)
        _append_once(c.JupyterHub, "load_roles", idle_culler_role(name))

    # ---- the per-spawn part ------------------------------------------------------------

    def persistent_volume_spec(self, username: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(volume, volume mount) for the user, in Kubernetes' pod-spec form; None for `none`."""
        mount = {
            "name": PERSISTENT_VOLUME_NAME,
            "mountPath": render(self.persistent_volume_mount_path, username),
        }
        if self.persistent_volume == "pvc":
            claim = render(self.persistent_volume_claim_name, username)
            volume: dict[str, Any] = {
                "name": PERSISTENT_VOLUME_NAME,
                "persistentVolumeClaim": {"claimName": claim},
            }
        elif self.persistent_volume == "nfs":
            if not self.nfs_server:
                raise ValueError(
                    "BinderSite.persistent_volume is 'nfs' but BinderSite.nfs_server is empty."
                )
            volume = {
                "name": PERSISTENT_VOLUME_NAME,
                "nfs": {"server": self.nfs_server, "path": render(self.nfs_path, username)},
            }
        else:
            return None
        return volume, mount

    def ssh_volume_spec(self, username: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(volume, mounts): the user's key Secret, mounted file by file so the rest of the
        folder (ssh config, known_hosts) stays writable."""
        volume = {
            "name": SSH_VOLUME_NAME,
            "secret": {
                "secretName": render(self.ssh_secret_name, username),
                "items": [
                    {"key": SSH_PRIVATE_KEY, "path": SSH_PRIVATE_KEY, "mode": 0o600},
                    {"key": SSH_PUBLIC_KEY, "path": SSH_PUBLIC_KEY, "mode": 0o644},
                ],
            },
        }
        mounts = [
            {
                "name": SSH_VOLUME_NAME,
                "mountPath": self.ssh_private_key_path,
                "subPath": SSH_PRIVATE_KEY,
                "readOnly": True,
            },
            {
                "name": SSH_VOLUME_NAME,
                "mountPath": self.ssh_public_key_path,
                "subPath": SSH_PUBLIC_KEY,
                "readOnly": True,
            },
        ]
        return volume, mounts

    def ssh_secret(self, username: str, private_key: str, public_key: str) -> Any:
        """The user's key Secret as a kubernetes client model (``V1Secret``)."""
        from kubernetes_asyncio.client import V1ObjectMeta, V1Secret

        def encoded(text: str) -> str:
            return base64.b64encode(text.encode("utf-8")).decode("ascii")

        return V1Secret(
            api_version="v1",
            kind="Secret",
            metadata=V1ObjectMeta(
                name=render(self.ssh_secret_name, username),
                labels={
                    "app.kubernetes.io/managed-by": MANAGED_BY,
                    "app.kubernetes.io/component": "ssh-key",
                    "hub.jupyter.org/username": safe_username(username),
                },
                annotations={"hub.jupyter.org/username": username},
            ),
            type="kubernetes.io/ssh-auth",
            data={SSH_PRIVATE_KEY: encoded(private_key), SSH_PUBLIC_KEY: encoded(public_key)},
        )

    async def ensure_ssh_secret(self, api: Any, namespace: str, username: str) -> bool:
        """Create the user's key Secret unless it exists; True when it was created now.

        The pair is generated only when the Secret is missing, so every later spawn mounts
        the same keys. Two spawns racing both see it missing; the loser's create answers 409
        and its freshly generated pair is dropped.

        Both calls ask for the raw answer (``_preload_content=False``) and read only its
        status: the kubernetes client logs every parsed answer's body at debug level, and
        these bodies hold the private key.
        """
        name = render(self.ssh_secret_name, username)
        status, reason = await _status_only(
            api.read_namespaced_secret(name=name, namespace=namespace, _preload_content=False)
        )
        if status == 200:
            return False
        if status != 404:
            raise RuntimeError(
                f"Could not read the SSH key Secret {namespace}/{name}: {status} {reason}. "
                "The hub's service account needs get/create on secrets."
            )
        comment = self.ssh_key_comment.format(username=username)
        # RSA generation takes a moment; keep the hub's event loop free meanwhile.
        private, public = await asyncio.to_thread(generate_ssh_key_pair, comment, self.ssh_key_type)
        body = self.ssh_secret(username, private, public)
        status, reason = await _status_only(
            api.create_namespaced_secret(namespace=namespace, body=body, _preload_content=False)
        )
        if status == 409:
            return False
        if not 200 <= status < 300:
            raise RuntimeError(
                f"Could not create the SSH key Secret {namespace}/{name}: {status} {reason}. "
                "The hub's service account needs get/create on secrets."
            )
        self.log.info("Created SSH key Secret %s/%s for %s", namespace, name, username)
        return True

    async def __call__(self, spawner: Any) -> None:
        """The per-spawn part: the volume and the key pair, on a KubeSpawner."""
        if not _has_trait(spawner, "volumes"):
            self.log.debug(
                "%s has no Kubernetes volumes; no site volumes added", type(spawner).__name__
            )
            return
        username = spawner.user.name
        persistent = self.persistent_volume_spec(username)
        if persistent is not None:
            volume, mount = persistent
            spawner.volumes = _with_entries(spawner.volumes, PERSISTENT_VOLUME_NAME, [volume])
            spawner.volume_mounts = _with_entries(
                spawner.volume_mounts, PERSISTENT_VOLUME_NAME, [mount]
            )
            if self.persistent_volume == "pvc" and self.persistent_volume_capacity:
                # KubeSpawner creates the claim named `pvc_name` when it is missing.
                spawner.pvc_name = volume["persistentVolumeClaim"]["claimName"]
                spawner.storage_pvc_ensure = True
                spawner.storage_capacity = self.persistent_volume_capacity
                spawner.storage_access_modes = list(self.persistent_volume_access_modes)
                if self.persistent_volume_storage_class:
                    spawner.storage_class = self.persistent_volume_storage_class
        if self.ssh_keys:
            await self.ensure_ssh_secret(spawner.api, spawner.namespace, username)
            volume, mounts = self.ssh_volume_spec(username)
            spawner.volumes = _with_entries(spawner.volumes, SSH_VOLUME_NAME, [volume])
            spawner.volume_mounts = _with_entries(spawner.volume_mounts, SSH_VOLUME_NAME, mounts)


async def site_hook(spawner: Any) -> None:
    """``c.KubeSpawner.pre_spawn_hook = site_hook``: the user's volume and SSH key pair."""
    await BinderSite(parent=spawner)(spawner)


async def _status_only(call: Any) -> tuple[int, str]:
    """The HTTP status and reason of a raw kubernetes client answer, its body left unread."""
    response = await call
    try:
        return int(response.status), str(response.reason or "")
    finally:
        response.release()


def _has_trait(obj: Any, name: str) -> bool:
    has_trait = getattr(obj, "has_trait", None)
    return bool(has_trait(name)) if callable(has_trait) else hasattr(obj, name)


def _literal(value: Any) -> Any:
    """Escape braces: KubeSpawner formats volume strings as templates ({username}...)."""
    if isinstance(value, str):
        return value.replace("{", "{{").replace("}", "}}")
    if isinstance(value, dict):
        return {key: _literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item) for item in value]
    return value


def _with_entries(current: Any, volume_name: str, entries: list[dict[str, Any]]) -> Any:
    """`current` (KubeSpawner's list or dict form) with this volume's entries replaced.

    Replacing rather than appending keeps a reused spawner (a restarted named server) from
    collecting duplicates.
    """
    literal = [_literal(entry) for entry in entries]
    if isinstance(current, dict):
        kept = {key: value for key, value in current.items() if not key.startswith(volume_name)}
        kept.update({f"{volume_name}-{index}": entry for index, entry in enumerate(literal)})
        return kept
    kept_list = [entry for entry in (current or []) if entry.get("name") != volume_name]
    return kept_list + literal


LIMIT_VARIABLE = "JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER"


def _forward_limit(c: Any, limit: int) -> None:
    """Put the named-server limit into every server's environment, unless already there."""
    section = c.Spawner
    existing = section.get("environment") if "environment" in section else None
    if isinstance(existing, dict):
        existing.setdefault(LIMIT_VARIABLE, str(limit))
    else:  # not set yet: traitlets' lazy "update whatever the hub has"
        section.environment.update({LIMIT_VARIABLE: str(limit)})


def _append_once(section: Any, key: str, entry: dict[str, Any]) -> None:
    """Append `entry` to a list in a traitlets config section unless one of that name is there.

    The list may be a plain list (set earlier in the file) or traitlets' lazy "append to
    whatever the hub has" value (not set yet); both are checked by name.
    """
    from traitlets.config.loader import LazyConfigValue

    existing = section.get(key) if key in section else None
    current = existing.get_value([]) if isinstance(existing, LazyConfigValue) else existing
    if isinstance(current, list) and any(
        isinstance(item, dict) and item.get("name") == entry["name"] for item in current
    ):
        return
    if isinstance(existing, list):
        existing.append(entry)
    else:
        getattr(section, key).append(entry)
