"""The hub's progress stream of a starting server, read once and shared by every tab.

JupyterHub serves ``GET /hub/api/users/{user}/servers/{name}/progress`` as an event stream
(``data: {json}\\n\\n`` per event, empty lines as keepalive every 8 s; jupyterhub
apihandlers/users.py:976-1123 in 6.1.1): ``progress``, ``message``, then one last event with
``ready: true`` or ``failed: true``. For a server that is not starting it answers at once:
the ready event, the ``failed`` event of a spawn that failed ("Spawn failed: ..." while the
hub still holds the failed spawn, users.py:1065-1081) or a 400 "not starting".

:class:`ProgressFeed` reads one such stream and keeps its latest event; any number of
listeners follow it (each sees the latest event, then every later one it is awake for), so
50 tabs watching one start cost the hub one stream. :class:`ProgressFeeds` holds one feed per
starting server: started on first demand, ended when the stream ends (ready or failed) or when
nobody has asked for it for ``linger`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jupyter_binder_ext.projects.hub_api import USER_AGENT, user_path

# How long a hub stream may run at all: a start the hub has not settled by then is
# JupyterHub's own start_timeout problem, not a reason to hold a connection forever.
STREAM_LIMIT_SECONDS = 3600.0
# How many of the stream's messages a failure keeps (its log tail).
KEPT_MESSAGES = 20


def parse_events(buffer: bytes) -> tuple[list[dict[str, Any]], bytes]:
    """The complete ``data:`` events in `buffer` (as JSON objects) and the incomplete rest.

    Events end with an empty line (the EventSource format); keepalive blank lines and
    lines that are not ``data:`` are skipped, as a browser skips them.
    """
    events: list[dict[str, Any]] = []
    text = buffer.replace(b"\r\n", b"\n")
    *blocks, rest = text.split(b"\n\n")
    for block in blocks:
        data = [line[5:].lstrip(b" ") for line in block.split(b"\n") if line.startswith(b"data:")]
        if not data:
            continue
        try:
            event = json.loads(b"\n".join(data))
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events, rest


def is_final(event: dict[str, Any]) -> bool:
    return bool(event.get("ready") or event.get("failed"))


def progress_path(user: str, name: str) -> str:
    return user_path(user, "servers", name, "progress")


@dataclass
class StreamAnswer:
    """How a hub stream ended: its status, and the body of a refusal (a 400, a 404)."""

    status: int = 0
    error_body: bytes = b""
    events: int = 0


async def read_hub_stream(
    url: str,
    token: str,
    on_event: Callable[[dict[str, Any]], bool],
    *,
    connect_timeout: float,
    keep_going: Callable[[], bool] = lambda: True,
    limit: float = STREAM_LIMIT_SECONDS,
) -> StreamAnswer:
    """Read the event stream at `url` (the hub's, or BinderHub's), calling `on_event` for
    each event until it returns False, `keep_going` turns False (checked on every chunk,
    keepalives included), the stream ends or `limit` seconds pass. The token goes only into
    the Authorization header.

    A plain HTTP/1.1 exchange on an asyncio connection rather than tornado's client: that
    one cannot be closed mid-body without raising inside its callback, which it logs as an
    uncaught exception.
    """
    answer = StreamAnswer()
    url_parts = urlsplit(url)
    secure = url_parts.scheme == "https"
    port = url_parts.port or (443 if secure else 80)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(url_parts.hostname, port, ssl=secure or None), connect_timeout
    )
    try:
        target = url_parts.path + (f"?{url_parts.query}" if url_parts.query else "")
        writer.write(
            (
                f"GET {target} HTTP/1.1\r\nHost: {url_parts.netloc}\r\n"
                f"Authorization: token {token}\r\nUser-Agent: {USER_AGENT}\r\n"
                "Accept: text/event-stream\r\nConnection: close\r\n\r\n"
            ).encode("latin-1")
        )
        await writer.drain()
        await asyncio.wait_for(
            _read_answer(reader, answer, on_event, keep_going, connect_timeout), limit
        )
    finally:
        writer.close()
    return answer


async def _read_answer(
    reader: asyncio.StreamReader,
    answer: StreamAnswer,
    on_event: Callable[[dict[str, Any]], bool],
    keep_going: Callable[[], bool],
    head_timeout: float,
) -> None:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), head_timeout)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    answer.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines if line)
    }
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    pending = b""
    async for chunk in _body_chunks(reader, chunked):
        if answer.status != 200:
            answer.error_body = (answer.error_body + chunk)[:4096]
            continue
        events, pending = parse_events(pending + chunk)
        for event in events:
            answer.events += 1
            if not on_event(event):
                return
        if not keep_going():
            return


async def _body_chunks(reader: asyncio.StreamReader, chunked: bool) -> AsyncIterator[bytes]:
    """The body as it arrives: HTTP/1.1 chunks decoded, or everything up to the close."""
    if not chunked:
        while data := await reader.read(65536):
            yield data
        return
    while True:
        size_line = await reader.readline()
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return
        yield await reader.readexactly(size)
        await reader.readexactly(2)  # the CRLF after each chunk


@dataclass
class ProgressFeed:
    """One starting server's hub stream and its latest event, for every listener."""

    name: str
    latest: dict[str, Any] | None = None
    messages: list[str] = field(default_factory=list)
    done: bool = False
    # (status, body) when the hub refused the stream (400 "not starting", 404)
    refusal: tuple[int, str] | None = None
    version: int = 0
    listeners: int = 0
    last_demand: float = field(default_factory=time.monotonic)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def publish(self, event: dict[str, Any]) -> None:
        self.latest = event
        if event.get("message"):
            self.messages = [*self.messages, str(event["message"])][-KEPT_MESSAGES:]
        self.version += 1
        self.done = self.done or is_final(event)
        # Wake every listener waiting now; later waits use a fresh event.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def finish(self) -> None:
        """The stream ended: wake the listeners so they see it."""
        self.done = True
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def touch(self) -> None:
        self.last_demand = time.monotonic()

    async def follow(
        self, keepalive: float | None = None
    ) -> AsyncGenerator[dict[str, Any] | None, None]:
        """The latest event, then each newer one, until the final one (or the stream ends);
        with `keepalive`, None after that many seconds without one (for a keepalive line)."""
        self.listeners += 1
        seen = -1
        try:
            while True:
                changed = self._changed
                if self.version != seen and self.latest is not None:
                    seen = self.version
                    yield self.latest
                    if is_final(self.latest):
                        return
                    continue
                if self.done:
                    return
                if not await _wait(changed, keepalive):
                    yield None
        finally:
            self.listeners -= 1
            self.touch()


async def _wait(event: asyncio.Event, timeout: float | None) -> bool:
    """Wait for `event` at most `timeout` seconds (forever when None); whether it was set."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        done, _ = await asyncio.wait({waiter}, timeout=timeout)
    finally:
        waiter.cancel()
    return bool(done)


class ProgressFeeds:
    """One :class:`ProgressFeed` per starting server of the user, shared by every caller."""

    def __init__(
        self,
        open_stream: Callable[[ProgressFeed], Any],
        linger: float = 60.0,
        log: logging.Logger | Any = None,
    ) -> None:
        # open_stream(feed) reads the hub stream into feed.publish, returning at its end.
        self._open_stream = open_stream
        self.linger = linger
        self.log = log or logging.getLogger("jupyter_binder_ext")
        self.feeds: dict[str, ProgressFeed] = {}
        # How many hub streams were opened (the load test and the bench read it).
        self.streams_opened = 0

    def wanted(self, feed: ProgressFeed) -> bool:
        """Whether the feed still has an audience (a listener, or a recent peek)."""
        return feed.listeners > 0 or time.monotonic() - feed.last_demand < self.linger

    def feed(self, name: str) -> ProgressFeed:
        """The running feed of `name`, started now if there is none."""
        current = self.feeds.get(name)
        if current is not None and not current.done:
            current.touch()
            return current
        feed = ProgressFeed(name)
        self.feeds[name] = feed
        self.streams_opened += 1
        feed.task = asyncio.ensure_future(self._run(feed))
        return feed

    def peek(self, name: str) -> ProgressFeed | None:
        """The feed of `name` if one exists (done ones included, until replaced)."""
        return self.feeds.get(name)

    async def _run(self, feed: ProgressFeed) -> None:
        try:
            await self._open_stream(feed)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # the hub went away mid-stream: listeners see the end
            self.log.warning("Progress of %s: the hub stream ended: %s", feed.name, err)
        finally:
            feed.finish()

    def forget(self, name: str) -> None:
        """Drop a finished feed (after its server was seen ready, stopped or deleted)."""
        feed = self.feeds.get(name)
        if feed is not None and feed.done:
            del self.feeds[name]
