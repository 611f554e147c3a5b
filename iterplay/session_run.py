"""A run the session owns: it goes on across script runs until it ends, Stop or a new Extract.

Streamlit reruns the page script on every edit, and a rerun ends whatever loop the script was
in. The run itself therefore lives on a worker thread (``BackgroundRun``) with its log, kept in
the session; each script run that draws the output takes whatever arrived since the last one
and follows the rest. Editing the schema, the text or any setting while a run streams draws the
page again and the run goes on; its log holds its own copy of the inputs it was started with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from iterplay.background_run import BackgroundRun
from iterplay.events import Event
from iterplay.run_log import RunLog


@dataclass
class SessionRun:
    """A background run and the log of everything it produced so far."""

    background: BackgroundRun
    log: RunLog

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
