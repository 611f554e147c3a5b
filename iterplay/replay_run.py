"""A replay the session follows like a live run: a recorded run file, paced, on a worker.

The playground draws a run from a ``SessionRun`` whatever feeds it; a replay is a
``BackgroundRun`` whose batches come from ``replay_batches`` instead of a provider, so its cards
appear at the recorded pace through the same view, Stop ends it the same way, and no provider
is needed. ``ReplayOf`` is what the page says about it: that it is a replay, of which model's
run, recorded when, against which schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from iterplay.background_run import BatchSource
from iterplay.errors import RunFileError
from iterplay.events import Event
from iterplay.local_model import MODEL_ALIAS
from iterplay.replay import replay_batches
from iterplay.request import DEFAULT_SYSTEM_PROMPT, PayloadInputs, payload_inputs
from iterplay.run_file import RunFile
from iterplay.share import SharedState, shared_state_problem
from iterplay.wrapper import Wrapper


@dataclass(frozen=True)
class ReplayOf:
    """What a replay replays: the run file, how fast, and whether the schema is the recorded
    one or the one on screen (edited since)."""

    run_file: RunFile
    speed: float
    edited_schema: bool = False


def replay_source(run_file: RunFile, wrapper: Wrapper, speed: float) -> BatchSource:
    """The recorded run's events validated against ``wrapper``, with partials, at ``speed``
    (0: at once); a cancel cuts the wait for the next chunk short."""
    recording = run_file.recording()

    def batches(
        on_open: Callable[[Any], None], pause: Callable[[float], object]
    ) -> Iterator[list[Event]]:
        return replay_batches(recording, wrapper, partials=True, speed=speed, wait=pause)

    return batches


def recorded_on_embedded(run_file: RunFile) -> bool:
    return run_file.model == MODEL_ALIAS


def shared_state_of(run_file: RunFile) -> SharedState:
    """The recorded run's inputs as a share link carries them: what opening it restores. The
    file is untrusted: its inputs pass a link's checks, or a RunFileError says which fails."""
    sent = payload_inputs(run_file.request) if run_file.request is not None else None
    sent = sent or PayloadInputs("", DEFAULT_SYSTEM_PROMPT, None)
    shared = SharedState(
        schema=run_file.schema.source,
        schema_kind=run_file.schema.kind,
        target=list(run_file.target) or None,
        text=sent.text,
        system_prompt=None if sent.system_prompt == DEFAULT_SYSTEM_PROMPT else sent.system_prompt,
        model=None if recorded_on_embedded(run_file) else run_file.model,
        mode=run_file.mode,
        temperature=sent.temperature,
    )
    problem = shared_state_problem(shared)
    if problem is not None:
        raise RunFileError(f"This run file cannot be opened: {problem}.")
    return shared
