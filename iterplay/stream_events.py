"""The JSON text of one stream, chunk by chunk, as events: splitter and validation.

A live run (``iterplay.run``) feeds it the text each provider chunk carries, at the time it
arrived; a replay (``iterplay.replay``) feeds it the recorded chunks at their recorded times.
Both get the same events from the same chunks: the chunk's ``Token``, the elements it
completed (``Entity`` or ``Invalid``, with their spans) and, if asked, the element in progress.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pydantic_core
from pydantic import ValidationError

from iterplay.events import Entity, Event, Invalid, Partial, Stats, Token
from iterplay.limits import Limits
from iterplay.stream import ElementSplitter
from iterplay.wrapper import Wrapper

_SMALL_ELEMENT = 4096


@dataclass
class StreamTally:
    """What a stream's text amounted to so far; frozen into ``Stats`` when an event needs it."""

    first_token: float | None = None
    chunks: int = 0
    characters: int = 0
    entities: int = 0
    invalid: int = 0

    def stats(
        self,
        total_time: float,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> Stats:
        return Stats(
            time_to_first_token=self.first_token,
            total_time=total_time,
            chunks=self.chunks,
            characters=self.characters,
            entities=self.entities,
            invalid_entities=self.invalid,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )


def complete_message(entities: int, invalid: int) -> str:
    """The sentence that ends a complete stream, from what it yielded: a complete stream is not
    a success when nothing valid came out, so say what came."""
    if entities == 0 and invalid == 0:
        return "The stream completed, but the model returned an empty list."
    if entities == 0:
        which = "its one element" if invalid == 1 else f"all {invalid} elements"
        return f"The stream completed, but {which} failed validation: nothing valid came out."
    if invalid:
        return (
            f"The stream completed; {invalid} of {entities + invalid} elements failed validation."
        )
    return "The stream completed."


class _PartialThrottle:
    """Decides when re-parsing the element in progress is worth it.

    Small elements are re-parsed on every chunk so a card fills in live; a large one only when
    its text has doubled since the last parse, which keeps the total work linear. A parse that
    reads the same as the last one (the chunk ended inside a key, say) is not worth an event.
    """

    def __init__(self) -> None:
        self.index = -1
        self.parsed_length = 0
        self.last_data: Any = None

    def due(self, index: int, length: int) -> bool:
        if index != self.index:
            self.index, self.parsed_length, self.last_data = index, 0, None
        if length <= self.parsed_length:
            return False
        if length <= _SMALL_ELEMENT or length >= 2 * self.parsed_length:
            self.parsed_length = length
            return True
        return False


class StreamEvents:
    """Owns one stream's splitter; ``take`` each chunk's text, get the events it produced.

    Elements past ``bounds.entities_per_run`` are dropped (the run stops there); ``partials``
    asks for a ``Partial`` whenever the element in progress reads differently.
    """

    def __init__(
        self, wrapper: Wrapper, bounds: Limits, *, partials: bool, tally: StreamTally | None = None
    ) -> None:
        self.wrapper = wrapper
        self.bounds = bounds
        self.partials = partials
        self.tally = tally if tally is not None else StreamTally()
        self.splitter = ElementSplitter()
        self.throttle = _PartialThrottle()

    def take(self, text: str, t: float) -> list[Event]:
        """The events of one chunk of text that arrived ``t`` seconds after the request."""
        tally = self.tally
        if tally.first_token is None:
            tally.first_token = t
        tally.chunks += 1
        tally.characters += len(text)
        batch: list[Event] = [Token(text, t)]
        batch.extend(self._elements(text, t))
        if self.partials:
            batch.extend(self._partial())
        return batch

    def _elements(self, text: str, t: float) -> Iterator[Entity | Invalid]:
        """The elements ``text`` completed, validated; none past the entities-per-run limit."""
        first_index = self.splitter.completed
        for offset, element in enumerate(self.splitter.feed(text)):
            index = first_index + offset
            if index >= self.bounds.entities_per_run:
                return
            span = (element.start, element.end)
            try:
                value = self.wrapper.element_adapter.validate_json(element.raw)
            except ValidationError as exc:
                self.tally.invalid += 1
                yield Invalid(index, element.raw, _plain_errors(exc), span, t)
            else:
                self.tally.entities += 1
                yield Entity(index, value, span, t)

    def _partial(self) -> Iterator[Partial]:
        splitter, throttle = self.splitter, self.throttle
        length = splitter.partial_length
        if length is None or not throttle.due(splitter.completed, length):
            return
        text = splitter.partial_text or ""
        try:
            data = pydantic_core.from_json(text, allow_partial="trailing-strings")
        except ValueError:
            return
        if data == throttle.last_data:
            return
        throttle.last_data = data
        yield Partial(splitter.completed, data)


def _plain_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
