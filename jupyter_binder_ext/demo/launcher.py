"""BinderHub-style launch links for the demo: ``{hub}/hub/binder/v2/gh/owner/repo/ref``.

A logged-in user opening such a link gets a new named server (``owner-repo-xxxxxxxx``) with
the user_options BinderHub would send, through the hub's own spawn page. This makes the
relaunch links the extension shows work against the demo. Hub-side only (imports jupyterhub).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jupyterhub.handlers import BaseHandler
from jupyterhub.utils import url_path_join
from tornado import web

from jupyter_binder_ext.demo.gitrepos import GitError
from jupyter_binder_ext.demo.hooks import resolve_launch
from jupyter_binder_ext.launch.info import parse_spec
from jupyter_binder_ext.projects.names import new_server_name

LAUNCH_ROUTE = r"/binder/(v2/.+)"


class BinderLaunchHandler(BaseHandler):
    state_dir = Path()
    launch_host = ""

    @web.authenticated
    async def get(self, spec_path: str) -> None:
        spec = parse_spec(spec_path)
        if spec is None or not (spec.owner and spec.repo and spec.ref):
            raise web.HTTPError(400, f"Not a launch spec: {spec_path} (try v2/gh/owner/repo/ref)")
        given = {"repo_url": spec.repo_url, "binder_request": spec_path}
        try:
            launch = await asyncio.to_thread(
                resolve_launch, self.state_dir, self.launch_host, given
            )
        except GitError as err:
            raise web.HTTPError(404, str(err)) from err
        user = self.current_user
        name = new_server_name(str(launch.options["repo_url"]))
        query = [(f"opt-{key}", str(value)) for key, value in launch.options.items()]
        labpath = self.get_argument("labpath", "")
        urlpath = self.get_argument("urlpath", "") or (f"lab/tree/{labpath}" if labpath else "")
        if urlpath:
            query.append(("next", url_path_join(user.url, name, urlpath)))
        spawn = url_path_join(self.hub.base_url, "spawn", user.escaped_name, name)
        self.redirect(f"{spawn}?{urlencode(query)}")


def make_launch_handler(state_dir: Path, launch_host: str) -> tuple[str, Any]:
    """The ``c.JupyterHub.extra_handlers`` entry serving launch links."""
    handler = type(
        "DemoBinderLaunchHandler",
        (BinderLaunchHandler,),
        {"state_dir": Path(state_dir), "launch_host": launch_host},
    )
    return (LAUNCH_ROUTE, handler)
