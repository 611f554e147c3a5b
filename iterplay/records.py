"""Events as plain JSON records: the CLI's JSON Lines, and the exports and history of the UI."""

from __future__ import annotations

from typing import Any

import pydantic_core
from pydantic import BaseModel

from iterplay.errors import FailureKind
from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Retrying, Token
from iterplay.wrapper import Wrapper


def event_record(event: Event, wrapper: Wrapper) -> dict[str, Any]:
    """One event as a JSON-ready dict, in the shape the CLI contract fixes."""
    if isinstance(event, Entity):
        data = entity_data(event.value)
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


def error_record(kind: FailureKind, message: str) -> dict[str, Any]:
    """The final line for a failure before any request was sent (schema, input, local model)."""
    return {"type": "error", "kind": str(kind), "message": message}


def _round(t: float) -> float:
    return round(t, 4)
