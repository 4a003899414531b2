"""JupyterHub configuration of the local Binder demo.

Loaded by ``jupyterhub -f`` when :class:`jupyter_binder_ext.demo.runner.DemoHub` starts the
hub; the runner passes ports, tokens and folders in the JSON file named by
``BINDER_DEMO_SETTINGS``. Real JupyterHub, real configurable-http-proxy (started by the runner,
so that it outlives a hub restart), local processes for the servers.
"""

import os
from pathlib import Path
from typing import Any

from jupyter_binder_ext.config import ResourceDefaults
from jupyter_binder_ext.demo import gitrepos
from jupyter_binder_ext.demo.build_stream import ACCESS_SCOPES, BINDER_SERVICE, make_build_handler
from jupyter_binder_ext.demo.hooks import prepare_binder_launch
from jupyter_binder_ext.demo.labconfig import write_lab_config
from jupyter_binder_ext.demo.launcher import make_launch_handler
from jupyter_binder_ext.demo.settings import SETTINGS_ENV, DemoSettings
from jupyter_binder_ext.hub import LocalGitSource, chain_hooks, resources_hook
from jupyter_binder_ext.projects.slot_limit import LIMIT_VARIABLE

c = get_config()  # type: ignore[name-defined]  # noqa: F821
settings = DemoSettings.load(os.environ[SETTINGS_ENV])
state_dir = Path(settings.state_dir)

# -- hub, proxy, state ----------------------------------------------------------------------
c.JupyterHub.bind_url = f"http://{settings.ip}:{settings.port}/"
if settings.public_host == settings.ip:
    c.JupyterHub.public_url = settings.url
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings.hub_port}"
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = settings.proxy_auth_token
c.JupyterHub.db_url = f"sqlite:///{state_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state_dir / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = settings.cleanup_servers
c.JupyterHub.default_url = "/hub/home"  # the control panel, as on the seed site

# -- users: any name, no password (the dummy authenticator) ----------------------------------
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True

# An API token with the admin role, for the runner, the tests and scripts.
c.JupyterHub.services = [
    {"name": "binder-demo-admin", "api_token": settings.admin_token},
    # BinderHub is a hub service named "binder" (its helm chart); the demo serves its pages
    # from the hub itself (below), but the service gives its access scope a target.
    {"name": BINDER_SERVICE},
]
# As BinderHub's docs set up an authenticated BinderHub (authentication.rst:38-42): users may
# reach the binder service; their servers' tokens too (SERVER_TOKEN_SCOPES below).
BINDER_ACCESS = f"access:services!service={BINDER_SERVICE}"
assert BINDER_ACCESS in ACCESS_SCOPES
c.JupyterHub.load_roles = [
    {"name": "admin", "services": ["binder-demo-admin"]},
    {"name": "user", "scopes": ["self", BINDER_ACCESS]},
]

# -- named servers: five projects per user, as on the seed site ------------------------------
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = settings.named_server_limit
# ...and every server learns it from the variable BinderHub reads (binderhub launcher.py:55-56).
c.Spawner.environment = {LIMIT_VARIABLE: str(settings.named_server_limit)}
# ...and JupyterLab leaves off the lab extensions whose server side the demo does not run
# (jupyter-resource-usage's: its 404s would fill every tab's console), see demo/labconfig.py.
c.Spawner.environment["JUPYTER_CONFIG_PATH"] = str(write_lab_config(state_dir))

# -- single-user servers ---------------------------------------------------------------------
c.JupyterHub.spawner_class = "jupyter_binder_ext.demo.spawner.BinderDemoSpawner"
c.BinderDemoSpawner.state_dir = str(state_dir)
c.BinderDemoSpawner.launch_host = settings.launch_host
c.BinderDemoSpawner.extension_args = list(settings.extension_args)
c.Spawner.cmd = [settings.python, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root"]  # the demo runs as root on dev boxes and CI
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 120

# The scopes the extension needs to list, stop and delete the user's projects. Users named in
# `scopeless_users` get JupyterHub's default (the `server` role) to show what happens without.
SERVER_TOKEN_SCOPES = [
    "access:servers!server",
    "users:activity!user",
    "read:servers!user",
    "servers!user",
    "delete:servers!user",
    BINDER_ACCESS,  # follow BinderHub's build of a relaunch (jupyter_binder_ext.projects)
]


def server_token_scopes(spawner: Any) -> list[str]:
    if spawner.user.name in settings.scopeless_users:
        return []  # empty: JupyterHub falls back to the `server` role
    return SERVER_TOKEN_SCOPES


c.Spawner.server_token_scopes = server_token_scopes

# -- what BinderHub and the site do before each spawn ----------------------------------------
# Run in order. The first builds the BinderHub-shaped launch (clone, BINDER_* env, volume, SSH
# keys); the second is the hub-side `.resources` hook any operator uses: it reads the file at
# the launched commit and sets CPU and memory (guarantees and limits, hence the servers'
# CPU_*/MEM_* environment), or the site defaults plus a notice for the sidebar when the file
# cannot be used. It is the one place that decides a server's resources.
PRE_SPAWN_HOOKS = [prepare_binder_launch, resources_hook]
c.Spawner.pre_spawn_hook = chain_hooks(*PRE_SPAWN_HOOKS)

# The demo's stand-in for GitHub is a bare repository per owner/repo on disk (created by the
# first hook), so the file is read there with git instead of from raw.githubusercontent.com.
c.BinderResourcesHook.source = LocalGitSource(
    lambda target: gitrepos.bare_repo_path(state_dir, target.owner, target.repo)
)
# The extension's own defaults (the seed site's: 1 CPU / 1 GB guaranteed, 8 CPU / 16 GB limit,
# no GPU, no ceilings), so the hub applies what the servers' sidebar shows as the defaults.
resource_defaults = ResourceDefaults()
c.BinderResourcesHook.default_cpu_guarantee = resource_defaults.cpu_guarantee
c.BinderResourcesHook.default_cpu_limit = resource_defaults.cpu_limit
c.BinderResourcesHook.default_mem_guarantee_gb = resource_defaults.mem_guarantee_gb
c.BinderResourcesHook.default_mem_limit_gb = resource_defaults.mem_limit_gb
c.BinderResourcesHook.default_gpu = resource_defaults.gpu
c.BinderResourcesHook.max_cpu_limit = resource_defaults.max_cpu_limit
c.BinderResourcesHook.max_mem_limit_gb = resource_defaults.max_mem_limit_gb
c.BinderResourcesHook.max_gpu = resource_defaults.max_gpu

# BinderHub-style launch links: {hub}/hub/binder/v2/gh/owner/repo/ref
# and BinderHub's build event stream: {hub}/hub/binder/build/gh/owner/repo/ref
c.JupyterHub.extra_handlers = [
    make_launch_handler(state_dir, settings.launch_host),
    make_build_handler(state_dir, settings.launch_host, settings.hub_api_url, settings.admin_token),
]
