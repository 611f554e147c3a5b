"""Stream anatomy: every character of a run's raw stream, classified, at any moment of the run.

The How it works page shows why each card appeared when it did. This module is its UI-free
core: from a run's chunks (text and arrival time) and its element events (with their spans) it
says what each character of the raw stream was (``Segment``), what had arrived at a moment of
the run and which cards existed then (``StreamAnatomy.at``), and how the text arrived over time
(``StreamAnatomy.timeline``).

Element regions are the events' spans, exactly. Where the JSON and its array open and close is
the splitter's own finding (``ElementSplitter.json_start``, ``array_start``, ``array_end``),
so this module takes no second decision about where the array is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from iterplay.events import Entity, Invalid
from iterplay.stream import ElementSplitter

if TYPE_CHECKING:
    from iterplay.run_file import Chunk, RecordedEvent

_FENCE = re.compile(r"`{3,}[\w+.-]*")
_SEPARATORS = re.compile(r"[\s,]*")
_WRAPPER_CLOSE = re.compile(r"\s*}")


class Part(StrEnum):
    """What a character of the raw stream is, with the words a legend uses for it."""

    PROSE = "prose"
    FENCE = "fence"
    WRAPPER = "wrapper"
    ELEMENT = "element"
    INVALID = "invalid"
    SEPARATOR = "separator"
    UNFINISHED = "unfinished"

    @property
    def label(self) -> str:
        return _PART_LABELS[self]


_PART_LABELS = {
    Part.PROSE: "prose around the JSON",
    Part.FENCE: "markdown code fence",
    Part.WRAPPER: "wrapper keys and brackets",
    Part.ELEMENT: "element that became a card",
    Part.INVALID: "element that failed validation",
    Part.SEPARATOR: "separator between elements",
    Part.UNFINISHED: "element with no card (still being written, or past the limit)",
}


class Place(StrEnum):
    """Where a character lies relative to the array of elements."""

    BEFORE = "before the array"
    ARRAY = "in the array"
    AFTER = "after the array"


@dataclass(frozen=True)
class Segment:
    """``raw_text[start:end]``: characters of one part; ``index`` is element k's, else None."""

    start: int
    end: int
    part: Part
    place: Place
    index: int | None = None


Element = Entity | Invalid
"""An element event: a card (``Entity``) or an error card (``Invalid``)."""


def moment_of(t: float) -> float:
    """A time as events keep it in JSON (0.1 ms): chunks and the elements they complete then
    share one moment, whether their times came from a live run or from a run file."""
    return round(t, 4)


def classify(chunks: Sequence[str], elements: Iterable[Element]) -> tuple[Segment, ...]:
    """Every character of ``"".join(chunks)``, in order, in exactly one segment.

    ``elements`` are the element events of the stream: each becomes one segment over its span.
    The rest is prose and fences, wrapper text, separators, or an element with no card.
    """
    raw = "".join(chunks)
    splitter = ElementSplitter()
    for chunk in chunks:
        splitter.feed(chunk)
    spans = _usable(elements, len(raw))
    segments = _Segments(raw)
    json_start, array_start, array_end = (
        splitter.json_start,
        splitter.array_start,
        splitter.array_end,
    )
    if array_start is not None:
        inner_start, inner_end = array_start + 1, len(raw) if array_end is None else array_end - 1
    elif spans:  # objects one after another, with no array around them
        inner_start = spans[0].span[0]
        inner_end = len(raw) if json_start is not None else spans[-1].span[1]
        json_start = None  # an object opened after them is one more element, unfinished
    else:  # no array yet: prose, then maybe a JSON object that opened
        inner_start = inner_end = len(raw)
    if json_start is not None and json_start < inner_start:
        segments.prose(json_start, Place.BEFORE)
        segments.add(inner_start, Part.WRAPPER, Place.BEFORE)
    segments.prose(inner_start, Place.BEFORE)
    for element in spans:
        start, end = element.span
        segments.add(start, Part.SEPARATOR, Place.ARRAY)
        part = Part.ELEMENT if isinstance(element, Entity) else Part.INVALID
        segments.add(end, part, Place.ARRAY, element.index)
    separators = _SEPARATORS.match(raw, segments.cursor)
    segments.add(min(separators.end(), inner_end), Part.SEPARATOR, Place.ARRAY)
    segments.add(inner_end, Part.UNFINISHED, Place.ARRAY)
    if array_end is not None:
        segments.add(array_end, Part.WRAPPER, Place.AFTER)
        if splitter.json_start is not None and raw[splitter.json_start] == "{":
            segments.add(
                _wrapper_end(raw, splitter.json_start, array_end), Part.WRAPPER, Place.AFTER
            )
    segments.prose(len(raw), Place.AFTER)
    return tuple(segments.done)


def _usable(elements: Iterable[Element], length: int) -> list[Element]:
    """The elements in stream order whose spans lie in the text and do not overlap.

    A run file is untrusted input: a damaged span is left out rather than trusted.
    """
    usable: list[Element] = []
    end_so_far = 0
    for element in sorted(elements, key=lambda element: element.span):
        start, end = element.span
        if end_so_far <= start < end <= length:
            usable.append(element)
            end_so_far = end
    return usable


def _wrapper_end(raw: str, json_start: int, array_end: int) -> int:
    """Just past the wrapper object's closing brace: where the JSON decodes to, or else the
    first ``}`` after the array (the JSON may not decode: an element in it is malformed)."""
    try:
        _, end = json.JSONDecoder().raw_decode(raw, json_start)
    except ValueError:
        close = _WRAPPER_CLOSE.match(raw, array_end)
        return close.end() if close else array_end
    return max(end, array_end)


class _Segments:
    """Segments laid end to end from offset 0: each ``add`` covers from where the last ended."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.cursor = 0
        self.done: list[Segment] = []

    def add(self, end: int, part: Part, place: Place, index: int | None = None) -> None:
        end = min(end, len(self.raw))
        if end <= self.cursor:
            return
        last = self.done[-1] if self.done else None
        if last and (last.part, last.place, last.index) == (part, place, index):
            self.done[-1] = Segment(last.start, end, part, place, index)
        else:
            self.done.append(Segment(self.cursor, end, part, place, index))
        self.cursor = end

    def prose(self, end: int, place: Place) -> None:
        """Text outside the JSON up to ``end``: fence markers, and prose around them."""
        end = min(end, len(self.raw))
        for fence in _FENCE.finditer(self.raw, self.cursor, max(end, self.cursor)):
            self.add(fence.start(), Part.PROSE, place)
            self.add(fence.end(), Part.FENCE, place)
        self.add(end, Part.PROSE, place)


@dataclass(frozen=True)
class Moment:
    """A run as it stood at time ``t``: the text received, its segments, the cards that existed.

    ``elements`` are exactly the element events emitted by ``t`` (an element exists from its
    event's ``t``, the arrival of the chunk that closed it).
    """

    t: float
    text: str
    segments: tuple[Segment, ...]
    elements: tuple[Element, ...]
    chunks: int


@dataclass(frozen=True)
class Arrival:
    """``characters`` of raw text had arrived by ``t`` seconds after the request."""

    t: float
    characters: int


@dataclass(frozen=True)
class Emission:
    """Element ``index`` was emitted at ``t``, once ``characters`` of text had arrived."""

    t: float
    index: int
    valid: bool
    characters: int


@dataclass(frozen=True)
class Timeline:
    """How the raw text arrived: one point per chunk, starting from nothing at 0 s."""

    arrivals: tuple[Arrival, ...]
    emissions: tuple[Emission, ...]
    first_token: float | None
    end: float


class StreamAnatomy:
    """One run's raw stream, taken apart: whole (``segments``), at a moment, and over time."""

    def __init__(self, chunks: Sequence[Chunk], events: Iterable[RecordedEvent]) -> None:
        self.chunks = tuple(chunks)
        self.texts = tuple(chunk.text for chunk in self.chunks)
        self.times = tuple(moment_of(chunk.t) for chunk in self.chunks)
        self.elements: tuple[Element, ...] = tuple(
            sorted((e for e in events if isinstance(e, Entity | Invalid)), key=lambda e: e.index)
        )
        self.raw_text = "".join(self.texts)
        self.segments = classify(self.texts, self.elements)

    @property
    def duration(self) -> float:
        """The time of the last chunk, or of the last element if any came later (0 if none)."""
        times = [*self.times, *(moment_of(element.t) for element in self.elements)]
        return max(times, default=0.0)

    @property
    def first_token(self) -> float | None:
        return self.times[0] if self.times else None

    def element(self, index: int) -> Element | None:
        return next((element for element in self.elements if element.index == index), None)

    def at(self, t: float) -> Moment:
        """The run at ``t`` seconds: chunks that had arrived, elements emitted, text classified."""
        t = moment_of(t)
        received = sum(1 for chunk_t in self.times if chunk_t <= t)
        texts = self.texts[:received]
        elements = tuple(e for e in self.elements if moment_of(e.t) <= t)
        return Moment(t, "".join(texts), classify(texts, elements), elements, received)

    def timeline(self) -> Timeline:
        arrivals = [Arrival(0.0, 0)]
        characters = 0
        for text, t in zip(self.texts, self.times, strict=True):
            characters += len(text)
            arrivals.append(Arrival(t, characters))
        emissions = tuple(
            Emission(
                moment_of(element.t),
                element.index,
                isinstance(element, Entity),
                _characters_by(arrivals, moment_of(element.t)),
            )
            for element in self.elements
        )
        return Timeline(tuple(arrivals), emissions, self.first_token, self.duration)


def _characters_by(arrivals: Sequence[Arrival], t: float) -> int:
    return max((a.characters for a in arrivals if a.t <= t), default=0)
