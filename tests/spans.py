"""The span check every scripted run goes through: each span cuts its element out of the text."""

from __future__ import annotations

from collections.abc import Sequence

from iterplay.events import Entity, Event, Invalid, Token


def assert_spans_locate_elements(events: Sequence[Event]) -> None:
    """``raw_text[start:end]`` validates to each entity and is the raw text of each invalid one.

    The raw text is the run's token texts in order, as the contract defines it.
    """
    raw_text = "".join(event.text for event in events if isinstance(event, Token))
    for event in events:
        if isinstance(event, Entity):
            start, end = event.span
            assert type(event.value).model_validate_json(raw_text[start:end]) == event.value
        elif isinstance(event, Invalid):
            start, end = event.span
            assert raw_text[start:end] == event.raw
