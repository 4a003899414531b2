"""The demo's BinderHub build event stream: ``{hub}/hub/binder/build/{provider}/{spec}``.

The stand-in for BinderHub's ``BuildHandler`` (jupyterhub/binderhub at b9fad99,
``binderhub/builder.py``), with its contract: an event stream of ``data: {json}\\n\\n`` events
(``emit``, builder.py:150-158); a request without ``Accept: text/event-stream`` is refused
(builder.py:260-271); an unauthenticated one, or a user or token without
``access:services!service=binder`` (BinderHub's HubOAuth ``access_scopes``; its docs/source/
authentication.rst:38-42), gets one ``failed`` event with ``status_code`` 403 (``redirect``
raising 403, builder.py:256-258, written by ``send_error``, builder.py:196-214); then
``built`` when the image exists (builder.py:452-476), else ``waiting`` (builder.py:545-550),
repo2docker's log lines (builder.py:598-609; :func:`.builds.demo_build_log`) and ``built``
(builder.py:558-575) or ``failed``; then ``launching`` with the hub's progress messages and
``ready`` with the server's ``url`` and a ``token`` (``launch``, builder.py:686-810). As
BinderHub's launcher (launcher.py:270-320), the server is started through the hub's REST API
with BinderHub's own (here the demo's admin) token, and its progress read from the hub's
progress stream. A requirement named ``demo-build-fails`` fails the build at its line.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from http.client import responses
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.iostream import StreamClosedError

from jupyter_binder_ext.demo.builds import demo_build_log, read_builds
from jupyter_binder_ext.demo.gitrepos import GitError
from jupyter_binder_ext.demo.hooks import resolve_launch
from jupyter_binder_ext.demo.launcher import BinderLaunchHandler
from jupyter_binder_ext.launch.spec import parse_spec
from jupyter_binder_ext.projects.names import binderhub_server_name
from jupyter_binder_ext.projects.progress import read_hub_stream

BUILD_ROUTE = r"/binder/build/([^/]+)/(.+)"
BINDER_SERVICE = "binder"
ACCESS_SCOPES = frozenset({"access:services", f"access:services!service={BINDER_SERVICE}"})
# Seconds between two log lines: a real build takes minutes; the panel should see phases.
LINE_PACE = 0.15
# How long the first start of a freshly built image pretends to pull it (demo/spawner.py).
NEW_IMAGE_PULL_SECONDS = 5.0


class BinderBuildHandler(BinderLaunchHandler):
    hub_api_url = ""
    admin_token = ""
    # BinderHub's HubOAuth takes a token from the Authorization header before the cookie
    # (jupyterhub services/auth.py:811-820); the hub's page handlers take only cookies.
    _accept_token_auth = True

    def set_default_headers(self) -> None:  # builder.py:231-235
        super().set_default_headers()
        self.set_header("content-type", "text/event-stream")
        self.set_header("cache-control", "no-cache")

    def redirect(self, *args: Any, **kwargs: Any) -> None:  # builder.py:256-258
        raise web.HTTPError(403)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:  # builder.py:196-214
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        message = getattr(exc, "log_message", None) or responses.get(status_code, "Error")
        event = {"phase": "failed", "status_code": status_code, "message": f"{message}\n"}
        self.write(f"data: {json.dumps(event)}\n\n")
        self.finish()

    async def emit(self, data: dict[str, Any]) -> None:  # builder.py:150-170
        try:
            self.write(f"data: {json.dumps(data)}\n\n")
            await self.flush()
        except StreamClosedError:
            raise web.Finish() from None  # the reader went away: stop, as BinderHub does

    async def prepare(self) -> None:
        await super().prepare()
        accept = {s.strip().lower() for s in self.request.headers.get("Accept", "").split(";")}
        if "text/event-stream" not in accept:
            raise web.HTTPError(400, "Missing Accept header: text/event-stream")

    @web.authenticated
    async def get(self, provider: str, spec: str) -> None:
        user = self.current_user
        if not ACCESS_SCOPES & set(self.expanded_scopes):  # HubOAuth's check_hub_user
            raise web.HTTPError(403, f"user {user.name} is not allowed.")
        parsed = parse_spec(f"v2/{provider}/{spec}")
        if provider != "gh" or parsed is None or not (parsed.owner and parsed.repo):
            await self.emit({"phase": "failed", "message": f"No provider found for {provider}\n"})
            return
        given = {"repo_url": parsed.repo_url, "binder_request": f"v2/{provider}/{spec}"}
        try:
            launch = await asyncio.to_thread(
                resolve_launch, self.state_dir, self.launch_host, given
            )
        except GitError as err:  # builder.py:336-340
            await self.emit({"phase": "failed", "message": f"Error resolving ref: {err}\n"})
            return
        built = await self._build(launch)
        if built is None:
            return
        # An image built just now is new to the node: its first start pulls it, as a pod's
        # does after BinderHub pushed it (the spawner's progress says so meanwhile).
        pull = {"demo_image_pull_seconds": NEW_IMAGE_PULL_SECONDS} if built else {}
        await self._launch(user, launch.options, pull)

    async def _build(self, launch: Any) -> bool | None:
        """True: built now; False: found already built; None: the build failed (said)."""
        image = str(launch.options["image"])
        built = await asyncio.to_thread(read_builds, self.state_dir)
        if any(b.get("image") == image for b in built):
            await self.emit(
                {
                    "phase": "built",
                    "imageName": image,
                    "message": "Found built image, launching...\n",
                }
            )
            return False
        log, failure = await asyncio.to_thread(demo_build_log, launch.bare, launch.sha)
        await self.emit({"phase": "waiting", "message": "Waiting for build to start...\n"})
        for phase, message in log:
            await asyncio.sleep(LINE_PACE)
            await self.emit({"phase": phase, "message": message})
        if failure:
            await self.emit({"phase": "failed", "message": f"{failure}\n"})
            await self.emit({"phase": "failed"})  # the pod's status (builder.py:586-587)
            return None
        await self.emit(
            {"phase": "built", "imageName": image, "message": "Built image, launching...\n"}
        )
        return True

    async def _launch(
        self, user: Any, options: dict[str, Any], demo_options: dict[str, Any]
    ) -> None:
        """launcher.py:236-359: POST the server, relay the hub's progress, then ready."""
        await self.emit({"phase": "launching", "message": "Launching server...\n"})
        name = binderhub_server_name(str(options["repo_url"]))
        image = str(options["image"])
        await self._refuse_as_binderhub_would(user, name, image)
        path = f"/users/{quote(user.name)}/servers/{quote(name)}"
        posted = await AsyncHTTPClient().fetch(
            HTTPRequest(
                self.hub_api_url + path,
                method="POST",
                body=json.dumps({**options, **demo_options}),
                headers={"Authorization": f"token {self.admin_token}"},
                request_timeout=60,
            ),
            raise_error=False,
        )
        if posted.code >= 400:  # launcher.py:331-341
            raise web.HTTPError(500, f"Failed to launch image {image}")
        final = await self._relay_progress(f"{path}/progress")
        if not final.get("ready"):  # launcher.py:297-302: the hub's failed message
            raise web.HTTPError(500, str(final.get("message") or "Failed to launch image"))
        # launcher.py:355-357: the server's URL, ending with "/"
        url = f"{self.request.protocol}://{self.request.host}{url_path_join(user.url, name)}/"
        token = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=\n")
        ready = {"phase": "ready", "message": f"server running at {url}\n", **options}
        await self.emit({**ready, "token": token, "url": url})

    async def _relay_progress(self, path: str) -> dict[str, Any]:
        """The hub's progress events as ``launching`` lines (builder.py:730-738); the last."""
        events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def take(event: dict[str, Any]) -> bool:
            events.put_nowait(event)
            return not (event.get("ready") or event.get("failed"))

        reading = asyncio.ensure_future(
            read_hub_stream(
                self.hub_api_url.rstrip("/") + path, self.admin_token, take, connect_timeout=30
            )
        )
        reading.add_done_callback(lambda _: events.put_nowait(None))
        last: dict[str, Any] = {}
        while (event := await events.get()) is not None:
            last = event
            if event.get("message"):  # every event, ready too (launcher.py:290-296)
                await self.emit({"phase": "launching", "message": f"{event['message']}\n"})
        return last


def make_build_handler(
    state_dir: Path, launch_host: str, hub_api_url: str, admin_token: str
) -> tuple[str, Any]:
    """The ``c.JupyterHub.extra_handlers`` entry serving BinderHub's build stream."""
    handler = type(
        "DemoBinderBuildHandler",
        (BinderBuildHandler,),
        {
            "state_dir": Path(state_dir),
            "launch_host": launch_host,
            "hub_api_url": hub_api_url,
            "admin_token": admin_token,
        },
    )
    return (BUILD_ROUTE, handler)
