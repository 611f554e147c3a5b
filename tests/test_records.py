"""One event serialization: each event's JSON is its CLI line, and reads back as the event."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, Field, ValidationError

from iterplay.errors import FailureKind
from iterplay.events import (
    Entity,
    Event,
    Failed,
    Finished,
    Invalid,
    Partial,
    Retrying,
    Stats,
    Token,
)
from iterplay.records import error_record, event_from_record, event_record


class Ref(BaseModel):
    from_: str = Field(alias="from")


STATS = Stats(time_to_first_token=0.5, total_time=1.5, chunks=4, characters=40, entities=1)
ERRORS = [{"loc": ["age"], "msg": "Input should be a valid integer", "type": "int_parsing"}]

EVENTS_AND_LINES = [
    (Token('{"tasks": [', 0.123456), {"type": "token", "text": '{"tasks": [', "t": 0.1235}),
    (Partial(0, {"from": "An"}), {"type": "partial", "index": 0, "data": {"from": "An"}}),
    (
        Entity(0, Ref(**{"from": "Ann"}), (11, 24), 0.5),
        {"type": "entity", "index": 0, "data": {"from": "Ann"}, "span": [11, 24], "t": 0.5},
    ),
    (
        Invalid(1, '{"age": "x"}', ERRORS, (26, 38), 0.75),
        {
            "type": "invalid",
            "index": 1,
            "raw": '{"age": "x"}',
            "errors": ERRORS,
            "span": [26, 38],
            "t": 0.75,
        },
    ),
    (
        Retrying(1, 2.0, "The provider is rate limiting requests (429).", 0.01),
        {
            "type": "retrying",
            "attempt": 1,
            "wait_seconds": 2.0,
            "reason": "The provider is rate limiting requests (429).",
            "t": 0.01,
        },
    ),
    (
        Finished("stop", True, "complete", "The stream completed.", STATS),
        {
            "type": "done",
            "finish_reason": "stop",
            "complete": True,
            "ending": "complete",
            "message": "The stream completed.",
            "stats": {**STATS.to_dict(), "tokens_per_second": 4.0},
        },
    ),
    (
        Failed(FailureKind.AUTH, "The provider refused the API key (401).", STATS),
        {
            "type": "error",
            "kind": "auth",
            "message": "The provider refused the API key (401).",
            "stats": STATS.to_dict(),
        },
    ),
]
IDS = [line["type"] for _, line in EVENTS_AND_LINES]


def test_every_kind_of_event_is_specified_here():
    union = typing.get_args(typing.get_args(Event)[0])
    assert {type(event) for event, _ in EVENTS_AND_LINES} == set(union)


@pytest.mark.parametrize(("event", "line"), EVENTS_AND_LINES, ids=IDS)
def test_an_events_json_is_the_line_the_cli_contract_fixes(event, line):
    assert event_record(event) == line


@pytest.mark.parametrize(("event", "line"), EVENTS_AND_LINES, ids=IDS)
def test_a_line_reads_back_as_its_event(event, line):
    read = event_from_record(line)

    assert event_record(read) == line
    assert type(read) is type(event)


def test_an_entity_read_back_holds_its_data_where_the_model_was():
    read = event_from_record(EVENTS_AND_LINES[2][1])

    assert read == Entity(0, {"from": "Ann"}, (11, 24), 0.5)


def test_a_record_of_an_unknown_type_is_refused():
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        event_from_record({"type": "teleport", "index": 0})


def test_an_entity_record_without_its_span_is_refused():
    with pytest.raises(ValidationError, match="span"):
        event_from_record({"type": "entity", "index": 0, "data": {}, "t": 0.1})


def test_an_error_before_any_run_has_no_stats():
    assert error_record(FailureKind.SCHEMA, "user.py: line 3: no.") == {
        "type": "error",
        "kind": "schema",
        "message": "user.py: line 3: no.",
    }


def test_bytes_that_are_not_utf8_are_written_as_url_safe_base64():
    class Blob(BaseModel):
        data: bytes

    record = event_record(Entity(0, Blob(data=b"\xff\x00"), (0, 1), 0.0))

    assert record["data"] == {"data": "_wA="}  # pydantic writes URL-safe base64
