"""Run an extraction on a worker thread, so its consumer never blocks on the network.

Streamlit can only interrupt a script (Stop, an edit) at a Streamlit call. A loop that waits in
a socket read for the next token would hold the page until the token came; with the run on a
worker thread, the page polls a queue and wakes up every ``poll_seconds`` to redraw, which is
also where a Stop takes effect at once.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Iterator
from typing import Any

from iterplay.events import Event
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run import run_extraction_batches

_END = object()


class BackgroundRun:
    """One extraction on a daemon thread; ``batches`` yields its events chunk by chunk."""

    def __init__(
        self, provider: ProviderConfig, request: ExtractionRequest, *, partials: bool = True
    ) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._cancelled = threading.Event()
        self._response: Any = None
        self._thread = threading.Thread(
            target=self._work, args=(provider, request, partials), daemon=True,
            name="iterplay-run",
        )  # fmt: skip
        self._thread.start()

    def _work(self, provider: ProviderConfig, request: ExtractionRequest, partials: bool) -> None:
        batches = run_extraction_batches(provider, request, partials=partials, on_open=self._opened)
        try:
            for batch in batches:
                if self._cancelled.is_set():
                    break
                self._queue.put(batch)
        except BaseException as error:  # handed to the consumer, who decides how to show it
            self._queue.put(error)
        finally:
            batches.close()
            self._queue.put(_END)

    def batches(self, poll_seconds: float = 0.1) -> Iterator[list[Event] | None]:
        """Each chunk's events, in order; None whenever ``poll_seconds`` pass without any."""
        while True:
            try:
                item = self._queue.get(timeout=poll_seconds)
            except queue.Empty:
                yield None
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _opened(self, response: Any) -> None:
        self._response = response
        if self._cancelled.is_set():
            _abort(response)

    def cancel(self) -> None:
        """Stop the run now: the provider's connection is shut, so it stops generating too."""
        self._cancelled.set()
        if self._response is not None:
            _abort(self._response)

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end; True if it has."""
        self._thread.join(timeout)
        return self.finished


def _abort(response: Any) -> None:
    """Shut the response's socket from this thread, waking the worker blocked reading it.

    ``close()`` from another thread waits for the read in progress, which lasts until the
    provider's next chunk; shutting the socket down ends the read at once. The socket is reached
    through the HTTP library's ``network_stream`` extension; where that is missing, close.
    """
    network = getattr(response, "extensions", {}).get("network_stream")
    sock = network.get_extra_info("socket") if network is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return
    with contextlib.suppress(Exception):
        response.close()
