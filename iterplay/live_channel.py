"""A session's cards, handed to its browser page the moment they are made, outside Streamlit.

Streamlit's frontend applies each update it gets with a render of the whole page, one update
after another, so with four lanes a card waited for the renders of other lanes' updates
(docs/benchmarks.md). A ``LiveChannel`` carries each new card's HTML from the script thread to
the page's open event stream (``components/live_cards.py`` serves it, ``page_behaviour.js``
shows it), where it costs the browser one small DOM insertion. Streamlit's own copy of the card
still follows and replaces it: the channel only makes a card show sooner, it never holds the
only copy, so a page that is not listening (or a message dropped) loses nothing.

Channels are found by an unguessable token that only the session's own page gets, and only
while that session's page is connected (``is_open``); the registry holds them weakly, so a
channel goes with its session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

MAX_WAITING = 2_000  # cards queued for a page that reads slower than they come; older ones go
STREAM_SECONDS = 3.0  # how long one event stream stays open (see LiveChannel.messages)
RECONNECT_MS = 20  # how soon the browser opens the next one


@dataclass(frozen=True)
class LiveCards:
    """Cards to add at the end of the page element matched by ``target`` (a CSS selector).

    ``run`` tells one run's cards from the next: the page drops a finished run's copies."""

    run: int
    target: str
    html: str

    def message(self) -> str:
        """One server-sent event."""
        data = json.dumps({"run": self.run, "target": self.target, "html": self.html})
        return f"data: {data}\n\n"


class LiveChannel:
    """Fans a session's cards out to the event streams its page has open (usually one)."""

    def __init__(self, is_open: Callable[[], bool] = lambda: True) -> None:
        """``is_open``: whether the session that owns the channel is still there (its page
        connected); a token opens nothing once it says no."""
        self.is_open = is_open
        self.token = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[LiveCards]]] = []
        _channels[self.token] = self

    def publish(self, cards: LiveCards) -> None:
        """Hand cards to every open stream; from any thread, never blocking."""
        with self._lock:
            listeners = list(self._listeners)
        for loop, queue in listeners:
            with contextlib.suppress(RuntimeError):  # the server's loop closed: nobody listens
                loop.call_soon_threadsafe(_offer, queue, cards)

    @property
    def listening(self) -> bool:
        with self._lock:
            return bool(self._listeners)

    async def messages(self) -> AsyncIterator[str]:
        """The server-sent events of one open stream, for ``STREAM_SECONDS``.

        The stream then ends and the browser opens the next one ``RECONNECT_MS`` later: the
        server's graceful shutdown waits for every open response, so none may last forever.
        """
        queue: asyncio.Queue[LiveCards] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        listener = (loop, queue)
        with self._lock:
            self._listeners.append(listener)
        ends = loop.time() + STREAM_SECONDS
        try:
            yield f"retry: {RECONNECT_MS}\n\n"
            while (left := ends - loop.time()) > 0:
                try:
                    cards = await asyncio.wait_for(queue.get(), left)
                except TimeoutError:
                    break
                yield cards.message()
        finally:
            with self._lock:
                self._listeners.remove(listener)


def _offer(queue: asyncio.Queue[LiveCards], cards: LiveCards) -> None:
    if queue.qsize() >= MAX_WAITING:
        queue.get_nowait()  # Streamlit's copy of the oldest card is on its way anyway
    queue.put_nowait(cards)


_channels: weakref.WeakValueDictionary[str, LiveChannel] = weakref.WeakValueDictionary()


def find_channel(token: str) -> LiveChannel | None:
    """The channel a token opens, if its session is still there."""
    channel = _channels.get(token)
    return channel if channel is not None and channel.is_open() else None
