"""Replay a recorded run: its chunks through the splitter and validation again, offline.

The chunks go through the same ``StreamEvents`` a live run uses, at their recorded times, so
a replay against the run's own schema yields exactly the events the run yielded; against an
edited schema it shows what that schema would have made of the same stream. How the stream
ended (complete, truncated, cut off, failed) is a fact of the recording and is kept; only what
validation decides (entities, invalid elements, their counts) is worked out again.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from typing import assert_never

from iterplay.errors import InputError
from iterplay.events import (
    MAX_RECORDED_SECONDS,
    Entity,
    Event,
    Failed,
    Finished,
    Invalid,
    Retrying,
)
from iterplay.limits import limits
from iterplay.run_file import Recording
from iterplay.stream import Ending
from iterplay.stream_events import StreamEvents, complete_message
from iterplay.wrapper import Wrapper

UNKNOWN_INTERRUPTION = "the recording stops before the run's end"


def check_speed(speed: float) -> float:
    """A replay speed: a factor of the recorded pace (2 = twice as fast), or 0 for at once."""
    if not math.isfinite(speed) or speed < 0:
        raise InputError("The replay speed must be a number from 0 up (0 replays at once).")
    return speed


class _Pace:
    """Waits until a recorded time, scaled by the speed, has passed since the replay began."""

    def __init__(
        self, speed: float, wait: Callable[[float], object], clock: Callable[[], float]
    ) -> None:
        self.speed = speed
        self.wait = wait
        self.clock = clock
        self.started = clock()

    def until(self, t: float) -> None:
        if self.speed == 0:
            return
        delay = t / self.speed - (self.clock() - self.started)
        if delay > 0:  # bounded: a time from the history is not validated as a file's is
            self.wait(min(delay, MAX_RECORDED_SECONDS))


def replay(
    recording: Recording,
    wrapper: Wrapper,
    *,
    partials: bool = False,
    speed: float = 1.0,
    wait: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Event]:
    """The events of ``recording`` validated against ``wrapper``, paced by the recorded times.

    ``speed`` scales the pace (0: no waiting at all); ``partials`` adds ``Partial`` events as a
    live run with partials does. The last event is always a ``Finished`` or a ``Failed``.
    """
    for batch in replay_batches(
        recording, wrapper, partials=partials, speed=speed, wait=wait, clock=clock
    ):
        yield from batch


def replay_batches(
    recording: Recording,
    wrapper: Wrapper,
    *,
    partials: bool = False,
    speed: float = 1.0,
    wait: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[list[Event]]:
    """``replay``'s events grouped as a live run groups them (``run_extraction_batches``): a
    chunk's Token, the elements it completed and its Partial in one list, when it is due."""
    pace = _Pace(check_speed(speed), wait, clock)
    for event in recording.events:
        match event:
            case Retrying():
                pace.until(event.t)
                yield [event]
            case Entity() | Invalid():
                pass  # worked out again from the chunks
            case _:
                assert_never(event)
    text_events = StreamEvents(wrapper, limits(), partials=partials)
    for chunk in recording.chunks:
        pace.until(chunk.t)
        yield list(text_events.take(chunk.text, chunk.t))
    end = _end(recording, text_events)
    pace.until(end.stats.total_time if end.stats is not None else 0.0)
    yield [end]


def _end(recording: Recording, text_events: StreamEvents) -> Finished | Failed:
    """The recorded end with this replay's counts, or a cut-off end for an unfinished run."""
    tally = text_events.tally
    end = recording.end
    if end is None:
        reason = recording.interruption or UNKNOWN_INTERRUPTION
        where = text_events.splitter.where()
        last_t = recording.chunks[-1].t if recording.chunks else 0.0
        return Finished(
            finish_reason=None,
            complete=False,
            ending=Ending.CUT_OFF.value,
            message=f"The recorded run was stopped {where} ({reason}); everything shown "
            "arrived before that.",
            stats=tally.stats(last_t),
        )
    counts = {"entities": tally.entities, "invalid_entities": tally.invalid}
    stats = dataclasses.replace(end.stats, **counts) if end.stats is not None else None
    match end:
        case Finished():
            message = end.message
            if end.ending == Ending.COMPLETE:
                message = complete_message(tally.entities, tally.invalid)
            return dataclasses.replace(end, message=message, stats=stats)
        case Failed():
            return dataclasses.replace(end, stats=stats)
        case _:
            assert_never(end)
