"""Site values every part of the core reads.

The defaults are the facts of the first site (CERIT-SC's BinderHub). The server extension
builds a :class:`SiteConfig` from its ``c.BinderExt.*`` traitlets, however they were given
(config files, ``--BinderExt.*`` on its command line), and publishes it in its own environment
as :data:`SITE_ENV`: its kernels and terminals inherit it, so ``%binder`` and ``jupyter binder``
see exactly the server's site (see :mod:`jupyter_binder_ext.terminal.site`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ResourceDefaults:
    """What a server gets when `.resources` says nothing (and the operator's ceilings)."""

    cpu_guarantee: float = 1.0
    cpu_limit: float = 8.0
    mem_guarantee_gb: int = 1
    mem_limit_gb: int = 16
    gpu: int = 0
    # Ceilings, on by default: the seed site's documented limits (8 cores, 16 GB) and one GPU.
    # An operator may change each; 0 means no ceiling beyond the defaults' sanity checks.
    max_cpu_limit: float = 8.0
    max_mem_limit_gb: int = 16
    max_gpu: int = 1


# The seed site's named-server limit, and the one assumed when nothing else says (JupyterHub's
# own default, 0, means no limit).
DEFAULT_NAMED_SERVER_LIMIT = 5


@dataclass(frozen=True)
class SiteConfig:
    """Everything site-specific, with the seed site's values as defaults."""

    persistent_volume_template: str = "/home/{username}-nfs-pvc"
    ssh_private_key_path: str = "/home/jovyan/.ssh/ssh.priv"
    ssh_public_key_path: str = "/home/jovyan/.ssh/ssh.pub"
    ssh_dir: str = "~/.ssh"
    github_ssh_host: str = "github.com"
    github_ssh_user: str = "git"
    github_ssh_port: int = 22
    github_add_key_url: str = "https://github.com/settings/ssh/new"
    ssh_test_timeout: float = 15.0
    ssh_known_hosts_file: str = ""
    resources_filename: str = ".resources"
    resources: ResourceDefaults = field(default_factory=ResourceDefaults)
    # 0: not set; the limit then comes from the environment or the hub (projects/service.py)
    max_named_servers: int = 0
    inactivity_timeout: float = 7 * 24 * 3600.0
    hub_request_timeout: float = 10.0
    projects_cache_ttl: float = 5.0
    control_panel_url: str = ""
    launch_host: str = ""
    repo_dir: str = ""
    instance_link_name: str = "persistent"
    nearly_full_fraction: float = 0.9
    # Most bytes one save to the persistent volume copies (files' apparent sizes); 0: no cap.
    max_save_bytes: int = 2 * 1024**3
    # More site-packages folders (os.pathsep-separated) where packages installed since launch
    # are looked for, beside the server's own and the user site (e.g. a separate kernel's).
    environment_paths: str = ""
    cgroup_root: str = "/sys/fs/cgroup"
    proc_root: str = "/proc"

    def persistent_volume_path(self, username: str) -> Path:
        return Path(self.persistent_volume_template.format(username=username))

    def repo_path(self) -> Path:
        """The folder holding the launched repository (the server's root by default)."""
        return Path(self.repo_dir).expanduser() if self.repo_dir else Path.cwd()

    def ssh_dir_path(self) -> Path:
        return Path(self.ssh_dir).expanduser()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SiteConfig:
        """The inverse of :meth:`to_json`; unknown keys (from another version) are ignored."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the site config must be a JSON object")
        known = {name for name in cls.__dataclass_fields__ if name != "resources"}
        values = {key: value for key, value in data.items() if key in known}
        resources = data.get("resources") or {}
        resource_keys = ResourceDefaults.__dataclass_fields__
        defaults = ResourceDefaults(**{k: v for k, v in resources.items() if k in resource_keys})
        return cls(resources=defaults, **values)


# The environment variable in which the server publishes its effective site config (JSON) to
# the kernels and terminals it starts.
SITE_ENV = "JUPYTER_BINDER_EXT_SITE"
