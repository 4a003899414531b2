"""JupyterHub configuration of the local Binder demo.

Loaded by ``jupyterhub -f`` when :class:`jupyter_binder_ext.demo.runner.DemoHub` starts the
hub; the runner passes ports, tokens and folders in the JSON file named by
``BINDER_DEMO_SETTINGS``. Real JupyterHub, real configurable-http-proxy (started by the runner,
so that it outlives a hub restart), local processes for the servers.
"""

import os
from pathlib import Path

from jupyter_binder_ext.demo.hooks import chain_hooks, prepare_binder_launch
from jupyter_binder_ext.demo.launcher import make_launch_handler
from jupyter_binder_ext.demo.settings import SETTINGS_ENV, DemoSettings

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
c.JupyterHub.services = [{"name": "binder-demo-admin", "api_token": settings.admin_token}]
c.JupyterHub.load_roles = [{"name": "admin", "services": ["binder-demo-admin"]}]

# -- named servers: five projects per user, as on the seed site ------------------------------
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = settings.named_server_limit

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
]


def server_token_scopes(spawner):
    if spawner.user.name in settings.scopeless_users:
        return []  # empty: JupyterHub falls back to the `server` role
    return SERVER_TOKEN_SCOPES


c.Spawner.server_token_scopes = server_token_scopes

# -- what BinderHub and the site do before each spawn ----------------------------------------
# Run in order. The first builds the BinderHub-shaped launch (clone, BINDER_* env, volume,
# SSH keys, default resources); hooks appended after it (e.g. the one applying a repository's
# `.resources` to the spawner's CPU and memory) see its result and may override resources.
PRE_SPAWN_HOOKS = [prepare_binder_launch]
c.Spawner.pre_spawn_hook = chain_hooks(PRE_SPAWN_HOOKS)

# BinderHub-style launch links: {hub}/hub/binder/v2/gh/owner/repo/ref
c.JupyterHub.extra_handlers = [make_launch_handler(state_dir, settings.launch_host)]
