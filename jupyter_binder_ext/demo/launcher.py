"""BinderHub-style launch links for the demo: ``{hub}/hub/binder/v2/gh/owner/repo/ref``.

A logged-in user opening such a link gets a new named server with the user_options BinderHub
would send, through the hub's own spawn page. As BinderHub (jupyterhub/binderhub at b9fad99):

- the server is named by ``unique_name_from_repo`` (``launcher.py:143-169``), so a name the
  hub's JupyterHub 6 rules refuse is refused here too;
- with the user's running named servers at the limit, the answer is BinderHub's 409 "already
  has the maximum of N named servers" (``launcher.py:223-235``, counting the servers the
  hub's user model lists without stopped ones);
- when the hub itself would refuse (JupyterHub counts stopped servers too,
  ``handlers/base.py:1626-1647``), BinderHub only says "Failed to launch image {image}"
  (``launcher.py:331-341``): so does the demo.

This makes the relaunch links the extension shows work against the demo. Hub-side only
(imports jupyterhub).
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
from jupyter_binder_ext.launch.spec import parse_spec
from jupyter_binder_ext.projects.names import binderhub_server_name, is_new_server_name

LAUNCH_ROUTE = r"/binder/(v2/.+)"


class BinderLaunchHandler(BaseHandler):
    state_dir = Path()
    launch_host = ""

    @web.authenticated
    async def get(self, spec_path: str) -> None:
        spec = parse_spec(spec_path)
        if spec is None or spec.provider != "gh" or not (spec.owner and spec.repo and spec.ref):
            raise web.HTTPError(400, f"Not a launch spec: {spec_path} (try v2/gh/owner/repo/ref)")
        given = {
            "repo_url": spec.repo_url,
            "binder_request": spec_path,
            # builder.py:709 client_ip = self.request.remote_ip
            "binder_client_ip": self.request.remote_ip,
        }
        try:
            launch = await asyncio.to_thread(
                resolve_launch, self.state_dir, self.launch_host, given
            )
        except GitError as err:
            raise web.HTTPError(404, str(err)) from err
        user = self.current_user
        name = binderhub_server_name(str(launch.options["repo_url"]))
        await self._refuse_as_binderhub_would(user, name, str(launch.options["image"]))
        query = [(f"opt-{key}", str(value)) for key, value in launch.options.items()]
        labpath = self.get_argument("labpath", "").lstrip("/")
        urlpath = self.get_argument("urlpath", "").lstrip("/") or (
            f"lab/tree/{labpath}" if labpath else ""
        )
        if urlpath:
            query.append(("next", url_path_join(user.url, name, urlpath)))
        spawn = url_path_join(self.hub.base_url, "spawn", user.escaped_name, name)
        self.redirect(f"{spawn}?{urlencode(query)}")

    async def _refuse_as_binderhub_would(self, user: Any, name: str, image: str) -> None:
        limit = await self.get_current_user_named_server_limit()
        if limit > 0:
            running = [n for n, sp in user.spawners.items() if n and sp.active]
            if len(running) >= limit:
                raise web.HTTPError(
                    409,
                    f"User {user.name} already has the maximum of {limit} named servers."
                    "  One must be deleted before a new server can be created",
                )
            held = [n for n in user.orm_spawners if n]
            if len(held) >= limit:  # the hub's own 400, which BinderHub passes on so
                raise web.HTTPError(500, f"Failed to launch image {image}")
        if not is_new_server_name(name):  # JupyterHub 6: "Invalid server_name"
            raise web.HTTPError(500, f"Failed to launch image {image}")


def make_launch_handler(state_dir: Path, launch_host: str) -> tuple[str, Any]:
    """The ``c.JupyterHub.extra_handlers`` entry serving launch links."""
    handler = type(
        "DemoBinderLaunchHandler",
        (BinderLaunchHandler,),
        {"state_dir": Path(state_dir), "launch_host": launch_host},
    )
    return (LAUNCH_ROUTE, handler)
