"""A run the session owns: it goes on across script runs until it ends, Stop or a new Extract.

Streamlit reruns the page script on every edit, and a rerun ends whatever loop the script was
in. The run itself therefore lives on a worker thread (``BackgroundRun``) with its log, kept in
the session; each script run that draws the output takes whatever arrived since the last one
and follows the rest. Editing the schema, the text or any setting while a run streams draws the
page again and the run goes on; its log holds its own copy of the inputs it was started with.

Each session run also records itself as a run file as it goes (``run_file``), live or ended,
whether it streams from a provider or replays a recording (``replay_of``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from iterplay.background_run import BackgroundRun, BatchSource, RunSink
from iterplay.events import Event
from iterplay.replay_run import ReplayOf
from iterplay.run_file import RunFile, RunFileRecorder, RunHeader
from iterplay.run_log import RunLog

STILL_GOING = "the run was still going when this file was made"


@dataclass
class SessionRun:
    """A background run, the log of everything it produced so far, and its recording."""

    background: BackgroundRun
    log: RunLog
    recorder: RunFileRecorder
    replay_of: ReplayOf | None = None  # set when the run replays a recorded one

    @classmethod
    def start(
        cls,
        source: BatchSource,
        log: RunLog,
        header: RunHeader,
        *,
        line: threading.Lock | None = None,
        sinks: Sequence[RunSink] = (),
        replay_of: ReplayOf | None = None,
    ) -> SessionRun:
        """Start ``source`` on a worker, recording it under ``header`` beside ``sinks``."""
        recorder = RunFileRecorder(header)
        background = BackgroundRun(source, line=line, sinks=(*sinks, recorder))
        return cls(background, log, recorder, replay_of)

    def follow(self, poll_seconds: float = 0.02) -> Iterator[list[Event] | None]:
        """The events that arrive from now on, batch by batch (None after a quiet spell), each
        added to the log before it is yielded: a consumer stopped between two batches loses
        nothing, and the next one picks up where it stopped."""
        for batch in self.background.batches(poll_seconds=poll_seconds):
            if batch is not None:
                for event in batch:
                    self.log.add(event)
            yield batch

    def take(self) -> list[Event]:
        """Without waiting: the events that arrived since the last take, added to the log."""
        batch, _ = self.background.take()
        for event in batch:
            self.log.add(event)
        return batch

    @property
    def ended(self) -> bool:
        """The run is over and the log holds all it produced."""
        return self.log.finished and self.background.finished

    def stop(self, reason: str) -> None:
        """End the run now, keeping what it produced; ``reason`` says why (Stop, a new run)."""
        self.background.cancel()
        if not self.log.finished:
            self.log.interrupt(reason)

    def run_file(self) -> RunFile:
        """The run as a run file: everything that arrived so far, whoever followed it. A run
        stopped before its end gives an incomplete file saying why; one still going says so."""
        still_going = None if self.background.finished else STILL_GOING
        return self.recorder.run_file(self.log.interrupted or still_going)
