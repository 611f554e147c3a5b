"""Typed events that flow from the core to the UI and the CLI.

Frozen dataclasses, so consumers can keep them (in session state, in history) without fear
that the producer changes them later. ``t`` is seconds since the request was sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from iterplay.errors import FailureKind


@dataclass(frozen=True)
class Stats:
    """What a run measured; every field is filled as far as the run got."""

    time_to_first_token: float | None = None
    total_time: float = 0.0
    chunks: int = 0
    characters: int = 0
    entities: int = 0
    invalid_entities: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def tokens_per_second(self) -> float | None:
        """Completion tokens (or chunks, without usage figures) per second of streaming."""
        produced = self.completion_tokens if self.completion_tokens is not None else self.chunks
        if self.time_to_first_token is None or produced == 0:
            return None
        streaming_time = self.total_time - self.time_to_first_token
        return produced / streaming_time if streaming_time > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tokens_per_second": self.tokens_per_second}


@dataclass(frozen=True)
class Token:
    """A piece of JSON text as the provider sent it (content or tool-call arguments)."""

    text: str
    t: float


@dataclass(frozen=True)
class Partial:
    """The element being written, parsed leniently; ``data`` grows as its text arrives."""

    index: int
    data: Any


@dataclass(frozen=True)
class Entity:
    """An element that completed and validated against the target."""

    index: int
    value: Any
    raw: str
    t: float


@dataclass(frozen=True)
class Invalid:
    """An element that completed but failed validation; the stream goes on after it."""

    index: int
    raw: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    t: float = 0.0


@dataclass(frozen=True)
class Retrying:
    """The provider asked to be tried again later; the run waits ``wait_seconds``, then retries.

    ``attempt`` counts retries from 1; ``reason`` is the provider's refusal, in one sentence.
    """

    attempt: int
    wait_seconds: float
    reason: str
    t: float


@dataclass(frozen=True)
class Finished:
    """The stream ended. ``ending`` says how: see ``iterplay.stream.Ending``."""

    finish_reason: str | None
    complete: bool
    ending: str
    message: str
    stats: Stats


@dataclass(frozen=True)
class Failed:
    """The provider refused, could not be reached, or broke the protocol."""

    kind: FailureKind
    message: str
    stats: Stats


Event = Token | Partial | Entity | Invalid | Retrying | Finished | Failed
