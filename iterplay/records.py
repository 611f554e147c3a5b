"""Events as plain JSON records: the CLI's JSON Lines, and the exports and history of the UI."""

from __future__ import annotations

from typing import Any

from iterplay.errors import FailureKind
from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Retrying, Token
from iterplay.wrapper import Wrapper


def event_record(event: Event, wrapper: Wrapper) -> dict[str, Any]:
    """One event as a JSON-ready dict, in the shape the CLI contract fixes."""
    if isinstance(event, Entity):
        data = wrapper.element_adapter.dump_python(event.value, mode="json", by_alias=True)
        return {"type": "entity", "index": event.index, "data": data, "t": _round(event.t)}
    if isinstance(event, Invalid):
        return {
            "type": "invalid",
            "index": event.index,
            "raw": event.raw,
            "errors": event.errors,
            "t": _round(event.t),
        }
    if isinstance(event, Token):
        return {"type": "token", "text": event.text, "t": _round(event.t)}
    if isinstance(event, Partial):
        return {"type": "partial", "index": event.index, "data": event.data}
    if isinstance(event, Retrying):
        return {
            "type": "retrying",
            "attempt": event.attempt,
            "wait_seconds": event.wait_seconds,
            "reason": event.reason,
            "t": _round(event.t),
        }
    if isinstance(event, Finished):
        return {
            "type": "done",
            "complete": event.complete,
            "finish_reason": event.finish_reason,
            "ending": event.ending,
            "message": event.message,
            "stats": event.stats.to_dict(),
        }
    if isinstance(event, Failed):
        return {
            "type": "error",
            "kind": str(event.kind),
            "message": event.message,
            "stats": event.stats.to_dict(),
        }
    raise TypeError(f"not an event: {event!r}")


def error_record(kind: FailureKind, message: str) -> dict[str, Any]:
    """The final line for a failure before any request was sent (schema, input, local model)."""
    return {"type": "error", "kind": str(kind), "message": message}


def _round(t: float) -> float:
    return round(t, 4)
