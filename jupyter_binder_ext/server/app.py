"""The server extension: site settings as traitlets, REST handlers over the core."""

from __future__ import annotations

import os
from typing import Any

from jupyter_core.paths import jupyter_config_path
from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Int, Unicode, default, observe
from traitlets.config import Application
from traitlets.config.loader import ConfigFileNotFound

from jupyter_binder_ext.config import SITE_ENV, SiteConfig
from jupyter_binder_ext.resources.traits import ResourceDefaultsTraits

_DEFAULTS = SiteConfig()
# Jupyter Server's events for every save, rename, copy and delete through its contents API.
CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"


class BinderExt(ResourceDefaultsTraits, ExtensionApp):
    """Tools for notebooks launched from a BinderHub: persistence, SSH keys, limits, projects."""

    name = "jupyter_binder_ext"
    # No page of our own: the UI lives in JupyterLab.
    load_other_extensions = True

    persistent_volume_template = Unicode(
        _DEFAULTS.persistent_volume_template,
        config=True,
        help="""Where the user's persistent volume is mounted; `{username}` is replaced by
        the hub user name. The same volume is mounted in every notebook of that user, so the
        extension offers one sub-folder per instance.""",
    )
    ssh_private_key_path = Unicode(
        _DEFAULTS.ssh_private_key_path,
        config=True,
        help="""Path of the SSH private key the site mounts into every notebook. It is never
        read into any response; when it is too open for ssh, a private 0600 copy is made
        under `ssh_dir`.""",
    )
    ssh_public_key_path = Unicode(
        _DEFAULTS.ssh_public_key_path,
        config=True,
        help="Path of the SSH public key that pairs with `ssh_private_key_path`.",
    )
    ssh_dir = Unicode(
        _DEFAULTS.ssh_dir,
        config=True,
        help="""Folder for the ssh config entry, the pinned known_hosts file and the private
        copy of the key (`~` is expanded).""",
    )
    github_ssh_host = Unicode(
        _DEFAULTS.github_ssh_host,
        config=True,
        help="""Host name git pushes to over SSH. Tests and air-gapped sites point it at an
        alias defined in the ssh config.""",
    )
    github_ssh_user = Unicode(
        _DEFAULTS.github_ssh_user, config=True, help="User name for SSH pushes to the git host."
    )
    github_ssh_port = Int(_DEFAULTS.github_ssh_port, config=True, help="SSH port of the git host.")
    github_add_key_url = Unicode(
        _DEFAULTS.github_add_key_url,
        config=True,
        help="Page where the user adds the public key to their account.",
    )
    ssh_test_timeout = Float(
        _DEFAULTS.ssh_test_timeout,
        config=True,
        help="Seconds the SSH connection test may take before it reports the host unreachable.",
    )
    ssh_known_hosts_file = Unicode(
        _DEFAULTS.ssh_known_hosts_file,
        config=True,
        help="""known_hosts file with the git host's SSH host keys, pinned for pushes (no
        trust on first use). Empty: GitHub's published keys shipped with the package. A site
        whose `github_ssh_host` is not github.com (an enterprise server, a mirror) sets its
        own; entries are matched against `github_ssh_host` (ssh's HostKeyAlias).""",
    )
    resources_filename = Unicode(
        _DEFAULTS.resources_filename,
        config=True,
        help="Name of the resource request file in the repository root.",
    )
    max_named_servers = Int(
        _DEFAULTS.max_named_servers,
        config=True,
        help="""How many named servers (projects) the hub lets a user hold at once, stopped
        but not deleted ones included. 0 (the default) means not set: the limit is then
        `JUPYTERHUB_NAMED_SERVER_LIMIT_PER_USER` from the server's environment (the variable
        BinderHub reads; 0 there means no limit), else the limit in the hub's own refusal
        once one was seen, else 5. Set it only where the hub's
        `c.JupyterHub.named_server_limit_per_user` reaches the servers by neither.""",
    )
    inactivity_timeout = Float(
        _DEFAULTS.inactivity_timeout,
        config=True,
        help="""Seconds of inactivity after which the site deletes a server (the idle
        culler's timeout); used to show when each project will be deleted.""",
    )
    hub_request_timeout = Float(
        _DEFAULTS.hub_request_timeout,
        config=True,
        help="Seconds a request to the hub API may take before it is reported as timed out.",
    )
    projects_cache_ttl = Float(
        _DEFAULTS.projects_cache_ttl,
        config=True,
        help="""Seconds the list of the user's projects (named servers) is reused. However
        many browser tabs poll, the hub sees at most one request per interval from this
        server.""",
    )
    sessions_cache_ttl = Float(
        None,
        allow_none=True,
        config=True,
        help="Deprecated name of `projects_cache_ttl` (still honoured, with a warning).",
    )

    @observe("sessions_cache_ttl")
    def _sessions_cache_ttl_renamed(self, change: Any) -> None:
        if change["new"] is not None:
            self.log.warning(
                "c.BinderExt.sessions_cache_ttl is deprecated: use c.BinderExt.projects_cache_ttl"
            )
            self.projects_cache_ttl = change["new"]

    control_panel_url = Unicode(
        _DEFAULTS.control_panel_url,
        config=True,
        help="""The hub's control panel, where users stop and delete servers. Empty: the
        hub's home page derived from `JUPYTERHUB_PUBLIC_HUB_URL` / `JUPYTERHUB_BASE_URL`.""",
    )
    launch_host = Unicode(
        _DEFAULTS.launch_host,
        config=True,
        help="""BinderHub address used for relaunch links (ending in `/`). Empty: taken from
        `BINDER_LAUNCH_HOST`.""",
    )
    repo_dir = Unicode(
        _DEFAULTS.repo_dir,
        config=True,
        help="Folder holding the launched repository. Empty: the server's root directory.",
    )
    instance_link_name = Unicode(
        _DEFAULTS.instance_link_name,
        config=True,
        help="""Name of the link, in the server's root folder, to this instance's folder on
        the persistent volume (the volume lies outside the root, out of the file browser's
        reach).""",
    )
    nearly_full_fraction = Float(
        _DEFAULTS.nearly_full_fraction,
        config=True,
        help="Fraction of the persistent volume in use above which a warning is shown.",
    )
    max_save_bytes = Int(
        _DEFAULTS.max_save_bytes,
        config=True,
        min=0,
        help="""Most bytes one save to the persistent volume copies (2 GiB by default), counted
        by the files' sizes as `ls -l` shows them (a sparse file counts in full, though its holes
        stay holes on the volume). Files past it are not copied: the answer lists them as
        "too_large" with their size, and the next save copies more (what was copied is then
        "already there"); a single file larger than this is never copied. 0 means no cap.""",
    )
    environment_paths = Unicode(
        _DEFAULTS.environment_paths,
        config=True,
        help="""More site-packages folders, separated by ':', in which the Environment section
        looks for packages installed since launch, beside the server's own and the user site
        in the home folder: a kernel's environment when it is not the server's (repo2docker's
        /srv/conda/envs/kernel/lib/python3.X/site-packages).""",
    )
    cgroup_root = Unicode(
        _DEFAULTS.cgroup_root,
        config=True,
        help="Where the cgroup file systems are mounted (changed only by tests).",
    )
    proc_root = Unicode(
        _DEFAULTS.proc_root, config=True, help="Where procfs is mounted (changed only by tests)."
    )

    @default("repo_dir")
    def _default_repo_dir(self) -> str:
        # Under a server, the repository is the server's root folder.
        serverapp = getattr(self, "serverapp", None)
        return str(getattr(serverapp, "root_dir", "") or "")

    @property
    def site_config(self) -> SiteConfig:
        resources = self.resource_defaults
        values: dict[str, Any] = {
            name: getattr(self, name)
            for name in SiteConfig.__dataclass_fields__
            if name != "resources"
        }
        return SiteConfig(resources=resources, **values)

    @classmethod
    def from_config_files(cls) -> BinderExt:
        """An instance configured from the Jupyter config files, without starting anything.

        The CLI and the magics run outside the server, yet must see the same
        ``c.BinderExt.*`` values: read the server's config files the way it does.
        """
        app = cls()
        paths = jupyter_config_path()
        for name in ("jupyter_server_config", "jupyter_binder_config"):
            try:
                # traitlets' own loader: the first path in the list wins, as for the server.
                Application.load_config_file(app, name, path=paths)
            except ConfigFileNotFound:
                continue
            except Exception:  # a broken file must not stop the CLI; the server reports it
                app.log.warning("Could not load %s", name, exc_info=True)
        return app

    def initialize_settings(self) -> None:
        # Imported here: the state holders pull in nothing heavy, but keep start-up lean.
        from jupyter_binder_ext.state import ExtensionState

        site = self.site_config
        self.settings["binder_ext"] = ExtensionState(site=site, log=self.log)
        # Kernels and terminals inherit the server's environment: `%binder` and
        # `jupyter binder` run there then see this site, however it was configured.
        os.environ[SITE_ENV] = site.to_json()
        # "Installed since launch" counts from this server's start, in its terminals too.
        from jupyter_binder_ext.environment.since import SINCE_ENV, server_since

        os.environ[SINCE_ENV] = server_since(site.proc_root)
        self.log.debug("jupyter_binder_ext site config: %s", site)
        # "Your work" is cached for a few seconds; a file saved in JupyterLab shows at once.
        event_logger = getattr(self.serverapp, "event_logger", None)
        if event_logger is not None:
            state = self.settings["binder_ext"]

            async def on_contents_event(logger: Any, schema_id: str, data: Any) -> None:
                state.files_changed()

            event_logger.add_listener(schema_id=CONTENTS_EVENTS, listener=on_contents_event)

    async def stop_extension(self) -> None:
        """Release what the extension started (the volume read's thread, the save pool) as
        the server stops."""
        state = self.settings.get("binder_ext")
        if state is not None:
            state.close()

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        # After a relaunch without a rebuild, the repository catches up to the launched
        # commit: in the background, so start-up waits for nothing (relaunch/catch_up.py).
        from jupyter_binder_ext.relaunch.catch_up import schedule_catch_up

        schedule_catch_up(self.settings["binder_ext"])

    def initialize_handlers(self) -> None:
        from jupyter_binder_ext.server.handlers import routes

        self.handlers.extend(routes())
