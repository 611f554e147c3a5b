"""One run of the app written to the history on a thread of its own, never at the run's cost.

The playground's run streams on a worker thread (``BackgroundRun``), which hands each batch of
events here. Writing happens on the writer's own thread, so a history that another session or
process is writing to (SQLite lets one writer in at a time) never slows the stream. Whatever
goes wrong with the history becomes ``problem``, one sentence the page shows as a warning: the
run itself goes on and keeps everything it produced. A run that ends without its last event
(Stop, a new Extract, a failure of the run's thread) is kept as incomplete with everything that
arrived; one whose page is closed goes on to its end (the session owns it) and is kept whole.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from iterplay.errors import HistoryError
from iterplay.events import Event, Failed, Finished
from iterplay.history import History, RunInputs, RunRecorder, record_event

STOPPED = "the run was stopped before it ended (Stop, or another run started)"
_CLOSE = None  # the queue's last item


class HistoryWriter:
    """Records one run: ``take`` each batch of its events, then ``close`` once, from any thread."""

    def __init__(
        self, inputs: RunInputs, path: Path | None = None, interruption: str = STOPPED
    ) -> None:
        """``interruption``: why a run that ends without its last event stopped, as stored."""
        self.problem: str | None = None
        self._interruption = interruption
        self.run_id: int | None = None
        self._ended = False
        self._history: History | None = None
        self._recorder: RunRecorder | None = None
        self._queue: queue.SimpleQueue[list[Event] | None] = queue.SimpleQueue()
        try:
            self._history = History(path)
            self._recorder = self._history.start_run(inputs)
            self.run_id = self._recorder.run_id
        except (HistoryError, sqlite3.Error) as error:
            self._fail(error)
        self._thread = threading.Thread(target=self._write, daemon=True, name="iterplay-history")
        self._thread.start()

    def take(self, events: Iterable[Event]) -> None:
        """Queue a batch of events for writing; returns at once."""
        self._queue.put(list(events))

    def close(self) -> None:
        """No more events: the writer records how the run ended and closes the file."""
        self._queue.put(_CLOSE)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until everything taken is written; True if it is."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _write(self) -> None:
        while (batch := self._queue.get()) is not _CLOSE:
            if self._recorder is None:
                continue
            try:
                for event in batch:
                    record_event(self._recorder, event)
                    self._ended = self._ended or isinstance(event, Finished | Failed)
                if self._queue.empty() and not self._ended:
                    # Nothing more for now (the model is thinking): a write transaction left
                    # open would keep every other session and process out of the history.
                    self._recorder.flush()
            except sqlite3.Error as error:
                self._fail(error)
        try:
            if self._recorder is not None and not self._ended:
                self._recorder.interrupted(self._interruption)
        except sqlite3.Error as error:
            self._fail(error)
        finally:
            if self._history is not None:
                self._history.close()

    def _fail(self, error: Exception) -> None:
        """Stop writing; say why once. What was committed stays (as an incomplete run)."""
        if isinstance(error, HistoryError):
            reason = str(error)
        else:
            where = self._history.path if self._history is not None else "the history file"
            reason = f"{where} could not be written ({error})"
        self.problem = self.problem or f"This run is not saved to the history: {reason}."
        self._recorder = None
