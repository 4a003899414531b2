"""BinderHub's build event stream of a relaunch, read once here and shown in every tab.

BinderHub serves ``GET {launch_host}build/{provider}/{spec}`` as an event stream
(jupyterhub/binderhub at b9fad99, ``binderhub/builder.py``): ``BuildHandler.emit`` writes
``data: {json}\\n\\n`` (builder.py:150-158) and ``:keepalive`` comments (builder.py:178-194);
the phases come in order ``waiting`` (builder.py:545-550), repo2docker's own JSON log lines
with their phase (``fetching``, ``building``, ``pushing``: builder.py:598-609, the build pod's
log relayed line by line, build.py:680-716), ``built`` (builder.py:558-575), ``launching`` and
the hub's spawn messages (builder.py:702-738), then ``ready`` with ``url`` and the server's
``token`` (builder.py:805-810, launcher.py:244-252 and 355-359), or ``failed`` (builder.py:
223-229; an error, a refused login included, as ``send_error``'s event with ``status_code``,
builder.py:196-214, since an event stream cannot carry an HTTP error).

That request is not a passive view: it builds and then launches (builder.py:611-618), as the
link's page does by opening it. So a relaunch that follows it *is* the launch, and the browser
must not open the link as well. BinderHub lets a request in only with the hub's
``access:services!service=binder`` for its user (its HubOAuth ``access_scopes``; BinderHub's
docs/source/authentication.rst:38-42); a token without it gets ``failed`` with
``status_code`` 403 at once, before anything is built or started: then the link is the way.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

from jupyter_binder_ext.common.redact import redact
from jupyter_binder_ext.projects.answers import BuildLogAnswer, BuildProgress, SpawnFailure
from jupyter_binder_ext.projects.failure import failure_entry
from jupyter_binder_ext.projects.progress import read_hub_stream

# The phases BinderHub's client knows (binderhub-client lib/client.js:82), plus ``failed``.
FINAL_PHASES = frozenset({"ready", "failed"})
# Lines of the whole log kept per build (a real build log is a few thousand lines).
KEPT_LOG_LINES = 10_000
TAIL_LINES = 8
# A refused request: the failed event of send_error with these codes (builder.py:196-214).
REFUSED_CODES = frozenset({401, 403})
_ID_UNSAFE = re.compile(r"[^a-z0-9-]+")


def build_stream_url(link: str) -> str:
    """BinderHub's event stream for a launch link: ``{host}v2/{p}/{spec}?..`` ->
    ``{host}build/{p}/{spec}`` (the page's client opens ``build/{spec}``, client.js); ""
    when `link` is not a launch link."""
    base, sep, rest = link.partition("/v2/")
    if not sep or not rest:
        return ""
    return f"{base}/build/{rest.split('?', 1)[0].split('#', 1)[0]}"


def build_id(link: str) -> str:
    """A short, URL-safe name for the build of `link` (provider, repository and ref)."""
    spec = unquote(link.partition("/v2/")[2].split("?", 1)[0]).lower()
    slug = _ID_UNSAFE.sub("-", spec).strip("-")
    return slug[-80:].lstrip("-") or "build"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _server_name_of(url: str) -> str:
    """The named server in BinderHub's ready url ``{hub}user/{user}/{name}/``."""
    parts = [unquote(p) for p in urlsplit(url).path.split("/") if p]
    if len(parts) >= 3 and parts[-3] == "user":
        return parts[-1]
    return ""


@dataclass
class BuildFeed:
    """One followed build: its latest phase and message, the whole log, how it ended."""

    id: str
    link: str
    started_at: str = field(default_factory=_now)
    phase: str = "connecting"
    message: str = ""
    log: list[str] = field(default_factory=list)
    done: bool = False
    # the hub did not let this server's token in (the reason, in plain words)
    refused: str = ""
    # BinderHub gave no answer at all (refused says the error)
    unreachable: bool = False
    server_name: str = ""
    url: str = ""
    failure: SpawnFailure | None = None
    first_event: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def publish(self, event: dict[str, Any]) -> bool:
        """Take one event in; whether to read on."""
        phase = str(event.get("phase") or "unknown").lower()  # client.js:183-186
        message = redact(str(event.get("message") or ""))
        if phase == "failed" and event.get("status_code") in REFUSED_CODES and not self.log:
            self.refused = message.strip() or "Forbidden"
        lines = [line for line in message.splitlines() if line.strip()]
        self.log = [*self.log, *lines][-KEPT_LOG_LINES:]
        self.phase = phase
        if lines:
            self.message = lines[-1]
        if phase == "ready":
            # The event's `token` (builder.py:805-810) is the new server's: never kept.
            self.url = str(event.get("url") or "")
            self.server_name = _server_name_of(self.url)
        elif phase == "failed" and not self.refused:
            self.failure = failure_entry(
                self.message or "BinderHub's build failed",
                at=_now(),
                phase="build",
                log_lines=self.log[-20:],
            )
        self.first_event.set()
        self.done = phase in FINAL_PHASES
        return not self.done

    def finish(self, reason: str = "") -> None:
        if not self.done and reason:
            self.message = reason
        self.done = True
        self.first_event.set()

    def entry(self) -> BuildProgress:
        """The row of ``builds`` in ``GET projects``."""
        return {
            "id": self.id,
            "link": self.link,
            "started_at": self.started_at,
            "phase": self.phase,
            "message": self.message,
            "log_tail": self.log[-TAIL_LINES:],
            "log_lines": len(self.log),
            "done": self.done,
            "server_name": self.server_name or None,
            "url": self.url or None,
            "failure": self.failure,
        }

    def log_answer(self) -> BuildLogAnswer:
        """``GET projects/builds/{build_id}/log``: the whole log as BinderHub sent it."""
        entry = self.entry()
        return {**entry, "log": list(self.log)}


def with_failed_build(
    project: Mapping[str, Any] | None, feed: BuildFeed | None
) -> Mapping[str, Any] | None:
    """This notebook's row for the report, with the failure of `feed` (the newest build a
    relaunch from it followed that failed) when the row has none of its own: a failed build
    starts no project, so BinderHub's reason would otherwise be in no report."""
    if feed is None or (project and (project.get("failure") or not project.get("is_current"))):
        return project
    return {**(project or {}), "failure": feed.failure, "build_link": feed.link}


class BuildFeeds:
    """The builds this server follows, by id; a newer follow of one build replaces it."""

    def __init__(
        self, token: Callable[[], str], timeout: Callable[[], float], log: Any = None
    ) -> None:
        self._token = token
        self._timeout = timeout
        self.log = log or logging.getLogger("jupyter_binder_ext")
        self.feeds: dict[str, BuildFeed] = {}

    def start(self, link: str) -> BuildFeed:
        """Open BinderHub's stream for `link` (which builds and launches it) and follow it."""
        feed = BuildFeed(build_id(link), link)
        running = self.feeds.get(feed.id)
        if running is not None and not running.done:
            return running  # one stream per build: a second would launch a second server
        self.feeds[feed.id] = feed
        feed.task = asyncio.ensure_future(self._run(feed, build_stream_url(link)))
        return feed

    async def _run(self, feed: BuildFeed, url: str) -> None:
        parts = urlsplit(url)
        try:
            answer = await read_hub_stream(
                f"{parts.scheme}://{parts.netloc}{parts.path}",
                self._token(),
                feed.publish,
                connect_timeout=self._timeout(),
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:  # no answer at all: BinderHub is out of reach from here
            feed.refused = feed.refused or f"{type(err).__name__}: {err}"
            feed.unreachable = True
            feed.finish(feed.refused)
            return
        if answer.status in REFUSED_CODES:
            feed.refused = f"HTTP {answer.status}"
        elif answer.status != 200:
            body = answer.error_body.decode("utf-8", "replace")[:200]
            feed.refused = f"BinderHub answered HTTP {answer.status} {body}".strip()
        feed.finish("BinderHub's stream ended before the build was ready")

    def get(self, id_: str) -> BuildFeed | None:
        return self.feeds.get(id_)

    def latest_failed(self) -> BuildFeed | None:
        """The newest followed build that failed (what "Copy report" tells the desk about)."""
        failed = [feed for feed in self.feeds.values() if feed.failure]
        return max(failed, key=lambda f: f.started_at) if failed else None

    def entries(self) -> list[BuildProgress]:
        """Every followed build that was let in, newest first."""
        shown = [feed for feed in self.feeds.values() if not feed.refused]
        return [feed.entry() for feed in sorted(shown, key=lambda f: f.started_at, reverse=True)]
