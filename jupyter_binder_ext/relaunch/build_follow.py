"""A relaunch through BinderHub's link, followed from this server where the hub allows it.

BinderHub's build stream builds and launches what it is asked for (see
:mod:`jupyter_binder_ext.projects.build_progress`), so when this server's token is let in,
this server opens it instead of the browser opening the link: the panel shows the phase
and the log, and the answer says not to open the link (a second launch). Where the token is
not let in (no ``access:services!service=binder``), nothing was built or started and the link
works as before; the answer says exactly why the progress cannot be shown.
"""

from __future__ import annotations

import asyncio
import contextlib

from jupyter_binder_ext.projects.build_progress import build_stream_url
from jupyter_binder_ext.relaunch.answers import BuildFollow
from jupyter_binder_ext.relaunch.context import RelaunchContext

# The scope BinderHub's HubOAuth asks of a user or token (binderhub docs/source/
# authentication.rst:38-42; c.HubOAuth.access_scopes in its testing config).
ACCESS_SCOPE = "access:services!service=binder"
# Seconds past the connect timeout to wait for BinderHub's first event: a refused login is
# its first answer (builder.py:256-258, 273), before the ref is even resolved.
FIRST_EVENT_GRACE = 5.0


def _not_followed(message: str) -> BuildFollow:
    return {"id": None, "followed": False, "message": message}


async def follow_build(context: RelaunchContext, link: str) -> BuildFollow:
    """Open BinderHub's build stream for the relaunch's `link`: whether this server follows
    it (and the browser must not open the link), or why not."""
    if not context.env.get("JUPYTERHUB_API_TOKEN") or not build_stream_url(link):
        return _not_followed(
            "This server has no hub token to ask BinderHub with: open the link to build and "
            "start the new commit; its progress shows on BinderHub's page."
        )
    service = context.projects_service
    feed = service.build_feeds.start(link)
    wait = float(context.site.hub_request_timeout) + FIRST_EVENT_GRACE
    # Still silent then: connected, BinderHub resolving the ref; the stream is ours.
    with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
        await asyncio.wait_for(feed.first_event.wait(), wait)
    if feed.unreachable:
        return _not_followed(
            f"BinderHub did not answer this server ({feed.refused}), so the panel cannot show "
            "the build's progress: open the link, it builds and starts the new commit with "
            "BinderHub's own page."
        )
    if feed.refused:
        return _not_followed(
            "The hub does not let this server's token reach BinderHub "
            f"({feed.refused.strip()}), so the panel cannot show the build's progress: open "
            "the link, it builds and starts the new commit with BinderHub's own page. A hub "
            f"admin can allow it by granting {ACCESS_SCOPE} to users and to "
            "c.Spawner.server_token_scopes."
        )
    service.invalidate()
    return {
        "id": feed.id,
        "followed": True,
        "message": "BinderHub builds and starts the new commit for this server; the Projects "
        "section shows the phase and the log. Opening the link too would start a second "
        "server.",
    }
