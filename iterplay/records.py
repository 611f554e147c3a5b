"""Events as plain JSON records: the CLI's JSON Lines, run files and the history.

One serialization, ``iterplay.events.EVENT_JSON``, in both directions; nothing here writes an
event's keys by hand.
"""

from __future__ import annotations

from typing import Any

from iterplay.errors import FailureKind
from iterplay.events import EVENT_JSON, Event, Failed, entity_data

__all__ = ["entity_data", "error_record", "event_from_record", "event_record"]


def event_record(event: Event) -> dict[str, Any]:
    """One event as a JSON-ready dict, in the shape the CLI contract fixes."""
    return EVENT_JSON.dump_python(event, mode="json", by_alias=True)


def event_from_record(record: Any) -> Event:
    """The event a JSON record holds; a pydantic ValidationError when it holds none."""
    return EVENT_JSON.validate_python(record, by_alias=True)


def error_record(kind: FailureKind, message: str) -> dict[str, Any]:
    """The final line for a failure before any request was sent (schema, input, local model)."""
    return event_record(Failed(kind, message))
