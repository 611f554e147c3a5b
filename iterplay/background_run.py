"""Run an extraction on a worker thread, so its consumer never blocks on the network.

Streamlit can only interrupt a script (Stop, an edit) at a Streamlit call. A loop that waits in
a socket read for the next token would hold the page until the token came; with the run on a
worker thread, the page polls a queue and wakes up every ``poll_seconds`` to redraw, which is
also where a Stop takes effect at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from iterplay.events import Event
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run import run_extraction

_END = object()


class BackgroundRun:
    """One extraction on a daemon thread; ``events`` yields its events, or None when idle."""

    def __init__(
        self, provider: ProviderConfig, request: ExtractionRequest, *, partials: bool = True
    ) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._cancelled = threading.Event()
        self._thread = threading.Thread(
            target=self._work, args=(provider, request, partials), daemon=True,
            name="iterplay-run",
        )  # fmt: skip
        self._thread.start()

    def _work(self, provider: ProviderConfig, request: ExtractionRequest, partials: bool) -> None:
        events = run_extraction(provider, request, partials=partials)
        try:
            for event in events:
                if self._cancelled.is_set():
                    break
                self._queue.put(event)
        except BaseException as error:  # handed to the consumer, who decides how to show it
            self._queue.put(error)
        finally:
            events.close()
            self._queue.put(_END)

    def events(self, poll_seconds: float = 0.1) -> Iterator[Event | None]:
        """Events in order; None whenever ``poll_seconds`` pass without one."""
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

    def cancel(self) -> None:
        """Stop consuming; the worker closes the stream at its next chunk."""
        self._cancelled.set()

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end; True if it has."""
        self._thread.join(timeout)
        return self.finished
