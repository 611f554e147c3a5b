"""Everything one run produced, accumulated from its events.

The UI appends each event here (in ``st.session_state``) the moment it arrives, so a rerun -- a
Stop click, an edit -- redraws from this log and nothing that arrived is lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import assert_never

from iterplay.events import (
    Entity,
    Event,
    Failed,
    Finished,
    Invalid,
    Partial,
    Retrying,
    Stats,
    Token,
)
from iterplay.run_inputs import RunInputs


@dataclass
class RunLog:
    """One run's entities, invalid elements, raw text and ending, in arrival order.

    ``started`` is when the user asked for the run (``time.monotonic()``); ``ended`` is set by
    the run's last event or by ``interrupt``, so ``elapsed`` is the real time the run took,
    whatever it spent before the provider answered (starting the model, retries) or after.
    A replay (``replay_speed``) keeps the recorded run's clock instead, the one its events and
    cards carry: at 4x its elapsed time runs four times as fast and ends at the recorded total.
    """

    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    elements: list[Entity | Invalid] = field(default_factory=list)
    raw_pieces: list[str] = field(default_factory=list)
    partial: Partial | None = None
    end: Finished | Failed | None = None
    first_token_t: float | None = None
    last_t: float = 0.0
    chunks: int = 0
    characters: int = 0
    interrupted: str | None = None
    entity_count: int = 0
    invalid_count: int = 0
    retries: list[Retrying] = field(default_factory=list)
    # The inputs that produced the run, so its results can say when those on screen differ.
    inputs: RunInputs | None = None
    # A replay's pace (``iterplay.replay``: 1 as recorded, 4 four times as fast, 0 at once).
    replay_speed: float | None = None

    def add(self, event: Event) -> None:
        match event:
            case Token():
                self.raw_pieces.append(event.text)
                self.chunks += 1
                self.characters += len(event.text)
                self.last_t = event.t
                if self.first_token_t is None:
                    self.first_token_t = event.t
            case Partial():
                self.partial = event
            case Entity():
                self.entity_count += 1
                self._add_element(event)
            case Invalid():
                self.invalid_count += 1
                self._add_element(event)
            case Retrying():
                self.retries.append(event)
            case Finished() | Failed():
                self.end = event
                self.partial = None
                if event.stats is not None:
                    self.last_t = event.stats.total_time
                self._stop_clock()
            case _:
                assert_never(event)

    def _add_element(self, element: Entity | Invalid) -> None:
        self.elements.append(element)
        self.last_t = element.t
        if self.partial is not None and self.partial.index <= element.index:
            self.partial = None

    def interrupt(self, reason: str) -> None:
        """The run was stopped before its end (Stop, an edit); ``reason`` says which."""
        self.interrupted = reason
        self._stop_clock()

    def _stop_clock(self) -> None:
        if self.ended is None:
            self.ended = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds from the request for the run to its end, or to now while it goes on; for a
        replay, on the recorded run's clock (never before the last event it showed)."""
        wall = (self.ended if self.ended is not None else time.monotonic()) - self.started
        if self.replay_speed is None:
            return wall
        if self.end_stats is not None:
            return self.end_stats.total_time
        return max(self.last_t, wall * self.replay_speed)

    @property
    def waiting_to_retry(self) -> Retrying | None:
        """The retry the run is waiting for: the last one, until the stream starts or ends."""
        if self.retries and self.chunks == 0 and not self.finished:
            return self.retries[-1]
        return None

    @property
    def finished(self) -> bool:
        return self.end is not None or self.interrupted is not None

    @property
    def raw_text(self) -> str:
        if len(self.raw_pieces) > 1:
            self.raw_pieces[:] = ["".join(self.raw_pieces)]
        return self.raw_pieces[0] if self.raw_pieces else ""

    @property
    def end_stats(self) -> Stats | None:
        """What the run measured, once it ended (a failure before any run has no stats)."""
        return self.end.stats if self.end is not None else None

    def tokens_per_second(self) -> float | None:
        if self.end is not None:
            return self.end_stats.tokens_per_second if self.end_stats is not None else None
        if self.first_token_t is None or self.last_t <= self.first_token_t:
            return None
        return self.chunks / (self.last_t - self.first_token_t)
