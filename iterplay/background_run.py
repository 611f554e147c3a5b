"""Run an extraction (or a replay) on a worker thread, so its consumer never blocks on it.

Streamlit can only interrupt a script (Stop, an edit) at a Streamlit call. A loop that waits in
a socket read for the next token would hold the page until the token came; with the run on a
worker thread, the page polls a queue and wakes up every ``poll_seconds`` to redraw, which is
also where a Stop takes effect at once.

Each ``RunSink`` (the history's writer, the run file's recorder) sees every batch on the worker
thread, whoever drains the run and however the page goes: closed when the worker ends, even if
nobody is listening.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from iterplay.events import Event
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run import run_extraction_batches


class RunSink(Protocol):
    """Takes a run's events as they arrive, on the run's worker thread; must not block."""

    def take(self, events: list[Event]) -> None: ...

    def close(self) -> None:
        """The worker ended: the run finished, was cancelled or failed."""


class BatchSource(Protocol):
    """Makes a run's batches of events. ``on_open`` gets the provider's response once it is
    open (so a cancel can shut it); ``pause`` is the wait to use, which a cancel cuts short."""

    def __call__(
        self, on_open: Callable[[Any], None], pause: Callable[[float], object]
    ) -> Iterator[list[Event]]: ...


def extraction(
    provider: ProviderConfig, request: ExtractionRequest, *, partials: bool = True
) -> BatchSource:
    """An extraction sent to ``provider``: what a live run streams."""

    def batches(
        on_open: Callable[[Any], None], pause: Callable[[float], object]
    ) -> Iterator[list[Event]]:
        return run_extraction_batches(
            provider, request, partials=partials, on_open=on_open, pause=pause
        )

    return batches


class BackgroundRun:
    """One run on a daemon thread; ``batches`` yields its events as they pile up.

    The run's events come from ``source``: an ``extraction`` (a live run), or a replay of a
    recording (``iterplay.replay_run``), which the page follows the same way.
    """

    def __init__(
        self,
        source: BatchSource,
        *,
        line: threading.Lock | None = None,
        sinks: Sequence[RunSink] = (),
    ) -> None:
        """``line``: held for the whole request, by a provider that serves one at a time (the
        embedded model); the run waits for it first, and ``in_line`` says so meanwhile.
        ``sinks``: each sees every batch as it arrives, and is closed when the worker ends."""
        self._line = line
        self.in_line = line is not None
        self._sinks = tuple(sinks)
        self._arrived = threading.Condition()
        self._pending: list[Event] = []
        self._outcome: BaseException | None = None
        self._done = False
        self._cancelled = threading.Event()
        self._response: Any = None
        self._watchers: list[threading.Event] = []
        self._thread = threading.Thread(
            target=self._work, args=(source,), daemon=True, name="iterplay-run"
        )
        self._thread.start()

    def _work(self, source: BatchSource) -> None:
        try:
            self._wait_in_line_and_stream(source)
        finally:
            for sink in self._sinks:
                sink.close()

    def _wait_in_line_and_stream(self, source: BatchSource) -> None:
        if self._line is None:
            self._stream(source)
            return
        while not self._line.acquire(timeout=0.1):
            if self._cancelled.is_set():
                with self._arrived:
                    self._done = True
                    self._notify()
                return
        self.in_line = False
        try:
            self._stream(source)
        finally:
            self._line.release()

    def _stream(self, source: BatchSource) -> None:
        batches = source(self._opened, self._cancelled.wait)
        try:
            for batch in batches:
                if self._cancelled.is_set():
                    break
                with self._arrived:
                    self._pending.extend(batch)
                    self._notify()
                for sink in self._sinks:
                    sink.take(batch)
        except BaseException as error:  # handed to the consumer, who decides how to show it
            self._outcome = error
        finally:
            batches.close()
            with self._arrived:
                self._done = True
                self._notify()

    def _notify(self) -> None:
        """Wake whoever waits for this run (called holding ``_arrived``)."""
        self._arrived.notify()
        for watcher in self._watchers:
            watcher.set()

    def watch(self, watcher: threading.Event) -> None:
        """Set ``watcher`` whenever events arrive or the run ends, and now if some are waiting:
        one event can then wake a consumer that follows several runs at once."""
        with self._arrived:
            self._watchers.append(watcher)
            if self._pending or self._done:
                watcher.set()

    def unwatch(self, watcher: threading.Event) -> None:
        with self._arrived:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    def batches(self, poll_seconds: float = 0.1) -> Iterator[list[Event] | None]:
        """Everything that arrived since the last batch, in order; None after a quiet spell.

        A chunk's events always come in the same batch. When the consumer falls behind (a burst
        of chunks), the chunks that piled up come together, so it draws once for all of them.
        """
        while True:
            with self._arrived:
                self._arrived.wait_for(lambda: self._pending or self._done, poll_seconds)
                batch, self._pending = self._pending, []
                done = self._done
            if batch:
                yield batch
            elif done:
                if self._outcome is not None:
                    raise self._outcome
                return
            else:
                yield None

    def take(self) -> tuple[list[Event], bool]:
        """Without waiting: the events that arrived since the last take, and whether the run
        has ended (after which no more come). For a consumer following several runs at once."""
        with self._arrived:
            batch, self._pending = self._pending, []
            done = self._done
        if done and not batch and self._outcome is not None:
            raise self._outcome
        return batch, done

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
