"""Typed events that flow from the core to the UI and the CLI, and their one JSON form.

Frozen dataclasses, so consumers can keep them (in session state, in history) without fear
that the producer changes them later. ``t`` is seconds since the request was sent.

Each event carries its kind in ``type``, the tag of the ``Event`` union: ``EVENT_JSON`` (a
pydantic ``TypeAdapter`` over that union) turns any event into the JSON object the CLI prints
(``iterplay.records``) and back, for run files and the history alike. The field names, aliases
and rounding below are the CLI contract (DESIGN.md): an ``Entity``'s ``value`` is its ``data``,
``t`` is rounded to 0.1 ms, ``Finished`` is a ``done`` line and ``Failed`` an ``error`` line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NotRequired

import pydantic_core
from pydantic import BaseModel, Field, PlainSerializer, TypeAdapter, computed_field
from typing_extensions import TypedDict  # pydantic reads only this TypedDict on Python 3.11

from iterplay.errors import FailureKind


def entity_data(value: Any) -> Any:
    """A validated entity as JSON-ready data (by alias), for JSON Lines, cards and exports.

    Whatever validated can be shown: a ``bytes`` field holding bytes that are not UTF-8 (say a
    schema with ``val_json_bytes="base64"``) cannot be dumped as JSON text by pydantic, so it is
    dumped as base64 instead of failing.
    """
    if not isinstance(value, BaseModel):
        return pydantic_core.to_jsonable_python(value, bytes_mode="base64")
    try:
        return value.model_dump(mode="json", by_alias=True)
    except ValueError:  # pydantic's serialization error, or UnicodeDecodeError from bytes
        dumped = value.model_dump(by_alias=True)
        return pydantic_core.to_jsonable_python(dumped, bytes_mode="base64")


MAX_RECORDED_SECONDS = 7 * 24 * 3600.0
"""The longest time a recording may hold: far beyond any run, and a wait every clock can take
(a replay of a time near 1e10 s overflowed the platform's timeout)."""

Duration = Annotated[float, Field(ge=0, le=MAX_RECORDED_SECONDS, allow_inf_nan=False)]
"""A time read back (a run file, a link, the history): from the request on, or refused."""

Seconds = Annotated[Duration, PlainSerializer(lambda t: round(t, 4))]
"""A time in an event's JSON: 0.1 ms is finer than any network or model can tell apart."""

Span = tuple[int, int]
"""``(start, end)`` character offsets into the run's raw text: ``raw_text[start:end]``."""


@dataclass(frozen=True)
class Stats:
    """What a run measured; every field is filled as far as the run got."""

    time_to_first_token: Duration | None = None
    total_time: Duration = 0.0
    chunks: int = 0
    characters: int = 0
    entities: int = 0
    invalid_entities: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def tokens_per_second(self) -> float | None:
        """Completion tokens (or chunks, without usage figures) per second of streaming."""
        produced = self.completion_tokens if self.completion_tokens is not None else self.chunks
        if self.time_to_first_token is None or produced == 0:
            return None
        streaming_time = self.total_time - self.time_to_first_token
        return produced / streaming_time if streaming_time > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return _STATS_JSON.dump_python(self, mode="json")


@dataclass(frozen=True)
class Token:
    """A piece of JSON text as the provider sent it (content or tool-call arguments)."""

    type: Literal["token"] = field(default="token", init=False, repr=False)
    text: str
    t: Seconds


@dataclass(frozen=True)
class Partial:
    """The element being written, parsed leniently; ``data`` grows as its text arrives."""

    type: Literal["partial"] = field(default="partial", init=False, repr=False)
    index: int
    data: Any


@dataclass(frozen=True)
class Entity:
    """An element that completed and validated against the target.

    ``value`` is the validated model instance; read back from JSON (a run file, the history) it
    is the entity's JSON data. ``span`` locates its text in the run's raw text; ``t`` is when
    the chunk that completed it arrived.
    """

    type: Literal["entity"] = field(default="entity", init=False, repr=False)
    index: int
    value: Annotated[Any, Field(alias="data"), PlainSerializer(entity_data)]
    span: Span
    t: Seconds


class ElementError(TypedDict):
    """One reason an element failed validation, as pydantic gives it (trimmed to these)."""

    loc: list[str | int]
    msg: str
    type: NotRequired[str]


@dataclass(frozen=True)
class Invalid:
    """An element that completed but failed validation; the stream goes on after it."""

    type: Literal["invalid"] = field(default="invalid", init=False, repr=False)
    index: int
    raw: str
    errors: list[ElementError]
    span: Span
    t: Seconds


@dataclass(frozen=True)
class Retrying:
    """The provider asked to be tried again later; the run waits ``wait_seconds``, then retries.

    ``attempt`` counts retries from 1; ``reason`` is the provider's refusal, in one sentence.
    """

    type: Literal["retrying"] = field(default="retrying", init=False, repr=False)
    attempt: int
    wait_seconds: Duration
    reason: str
    t: Seconds


@dataclass(frozen=True)
class Finished:
    """The stream ended. ``ending`` says how: see ``iterplay.stream.Ending``."""

    type: Literal["done"] = field(default="done", init=False, repr=False)
    finish_reason: str | None
    complete: bool
    ending: str
    message: str
    stats: Stats


@dataclass(frozen=True)
class Failed:
    """The provider refused, could not be reached, or broke the protocol.

    ``stats`` is None only when a command failed before any run started (a bad schema or
    input file): its ``error`` line then has no ``stats``.
    """

    type: Literal["error"] = field(default="error", init=False, repr=False)
    kind: FailureKind
    message: str
    stats: Annotated[Stats | None, Field(exclude_if=lambda stats: stats is None)] = None


Event = Annotated[
    Token | Partial | Entity | Invalid | Retrying | Finished | Failed, Field(discriminator="type")
]

EVENT_JSON: TypeAdapter[Event] = TypeAdapter(Event)
"""Every event to and from its JSON form; ``iterplay.records`` wraps it for callers."""

_STATS_JSON = TypeAdapter(Stats)
