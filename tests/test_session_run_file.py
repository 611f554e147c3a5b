"""The session's run as a run file, and a run file replayed as a session run (no provider).

Runs stream from the real scripted server; replays run with no server at all.
"""

from __future__ import annotations

import time

import pytest
from pydantic import BaseModel, Field

from iterplay.background_run import extraction
from iterplay.errors import RunFileError
from iterplay.events import Entity, Event, Finished, Invalid
from iterplay.provider import ProviderConfig
from iterplay.replay_run import ReplayOf, replay_source, shared_state_of
from iterplay.request import (
    DEFAULT_SYSTEM_PROMPT,
    MODES,
    ExtractionRequest,
    build_payload,
    payload_inputs,
)
from iterplay.run_file import Chunk, RunFile, RunHeader, SchemaText, parse_run_file, run_file_json
from iterplay.run_log import RunLog
from iterplay.session_run import STILL_GOING, SessionRun
from iterplay.testing import Piece, Reply
from iterplay.wrapper import build_wrapper

USER_PY = (
    "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
)
ADULT_PY = (
    "from pydantic import BaseModel, Field\n\n\n"
    "class User(BaseModel):\n    name: str\n    age: int = Field(ge=18)\n"
)
TWO_USERS = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'
KEY = "sk-session-canary-0123456789"


class User(BaseModel):
    name: str
    age: int


class Adult(BaseModel):
    name: str
    age: int = Field(ge=18)


Adult.__name__ = "User"
WRAPPER = build_wrapper([User])
ADULT_WRAPPER = build_wrapper([Adult])


def provider(server) -> ProviderConfig:
    return ProviderConfig(base_url=server.url, model="m", api_key=KEY, timeout=10)


def request(text: str = "Jason is 10 and John is 30.") -> ExtractionRequest:
    return ExtractionRequest(
        WRAPPER, text, "m", mode="json", system_prompt="Find people.", temperature=0.25
    )


def start(server, *, line=None) -> SessionRun:
    header = RunHeader.of_request(SchemaText(USER_PY, "pydantic"), request(), provider(server))
    return SessionRun.start(extraction(provider(server), request()), RunLog(), header, line=line)


def drain(run: SessionRun) -> list[Event]:
    return [event for batch in run.follow() if batch for event in batch]


def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.01)


def recorded(server) -> RunFile:
    server.script("m", Reply.from_text(TWO_USERS))
    run = start(server)
    drain(run)
    return run.run_file()


def test_a_finished_run_gives_its_whole_run_file(scripted_server):
    run_file = recorded(scripted_server)
    assert "".join(chunk.text for chunk in run_file.chunks) == TWO_USERS
    assert [e.value.name for e in run_file.events if isinstance(e, Entity)] == ["Jason", "John"]
    assert isinstance(run_file.end, Finished) and run_file.end.complete
    assert run_file.interruption is None
    assert (run_file.model, run_file.mode, run_file.target) == ("m", "json", ("User",))
    assert run_file.schema == SchemaText(USER_PY, "pydantic")
    assert run_file.request == build_payload(request())
    assert KEY not in run_file_json(run_file)


def test_the_run_file_holds_what_arrived_even_when_nobody_followed_the_run(scripted_server):
    scripted_server.script("m", Reply.from_text(TWO_USERS))
    run = start(scripted_server)
    assert run.background.wait(timeout=10)
    assert "".join(chunk.text for chunk in run.run_file().chunks) == TWO_USERS
    assert run.log.entity_count == 0  # the page never took the events; the recorder did


def test_a_run_still_going_gives_an_incomplete_run_file_saying_so(scripted_server):
    pieces = (Piece('{"tasks": [{"name": "Jason", "age": 10}'), Piece("]}", after="end"))
    scripted_server.script("m", Reply(pieces=pieces))
    run = start(scripted_server)
    until(lambda: run.run_file().events)
    run_file = run.run_file()
    assert run_file.end is None and run_file.interruption == STILL_GOING
    scripted_server.open_gate("end")
    drain(run)
    assert run.run_file().end is not None and run.run_file().interruption is None


def test_a_stopped_run_gives_an_incomplete_run_file_naming_why(scripted_server):
    pieces = (Piece('{"tasks": [{"name": "Jason", "age": 10}'), Piece("]}", after="never"))
    scripted_server.script("m", Reply(pieces=pieces))
    run = start(scripted_server)
    until(lambda: run.run_file().events)
    run.stop("You pressed Stop.")
    assert run.background.wait(timeout=10)
    run_file = run.run_file()
    assert run_file.end is None and run_file.interruption == "You pressed Stop."
    assert "".join(c.text for c in run_file.chunks) == '{"tasks": [{"name": "Jason", "age": 10}'
    text = run_file_json(run_file)
    assert run_file_json(parse_run_file(text, "run.json")) == text


def replaying(run_file: RunFile, wrapper=WRAPPER, schema=None, speed: float = 0) -> SessionRun:
    schema = schema or run_file.schema
    return SessionRun.start(
        replay_source(run_file, wrapper, speed),
        RunLog(),
        RunHeader.of_replay(run_file, schema, wrapper),
        replay_of=ReplayOf(run_file, speed),
    )


def test_a_replayed_session_run_shows_the_recorded_run_with_no_server(scripted_server):
    run_file = recorded(scripted_server)
    scripted_server.stop()
    replay = replaying(run_file)
    events = drain(replay)
    assert [e.value.name for e in events if isinstance(e, Entity)] == ["Jason", "John"]
    assert replay.log.raw_text == TWO_USERS and replay.log.partial is None
    assert isinstance(events[-1], Finished) and events[-1].complete
    again = replay.run_file()
    assert (again.chunks, again.events, again.end) == (
        run_file.chunks,
        run_file.events,
        run_file.end,
    )
    assert (again.recorded_at, again.model, again.request) == (
        run_file.recorded_at,
        run_file.model,
        run_file.request,
    )


def test_a_replay_against_an_edited_schema_validates_and_records_with_it(scripted_server):
    run_file = recorded(scripted_server)
    adult = SchemaText(ADULT_PY, "pydantic")
    replay = replaying(run_file, ADULT_WRAPPER, adult)
    events = drain(replay)
    assert [type(e).__name__ for e in events if isinstance(e, Entity | Invalid)] == [
        "Invalid",
        "Entity",
    ]
    assert replay.run_file().schema == adult
    assert replay.run_file().wrapper_schema == ADULT_WRAPPER.json_schema


def test_a_replay_keeps_the_recorded_pace():
    chunks = (Chunk('{"tasks": [{"name": "A", "age": 1}', 0.0), Chunk("]}", 0.6))
    run_file = _run_file(chunks)
    started = time.monotonic()
    replay = replaying(run_file, speed=1)
    drain(replay)
    assert time.monotonic() - started >= 0.6


def test_stopping_a_replay_ends_it_without_waiting_for_its_next_chunk():
    chunks = (Chunk('{"tasks": [{"name": "A", "age": 1}', 0.0), Chunk("]}", 600.0))
    replay = replaying(_run_file(chunks), speed=1)
    until(lambda: replay.run_file().events)
    replay.stop("You pressed Stop.")
    assert replay.background.wait(timeout=5)
    assert replay.run_file().end is None
    assert replay.run_file().interruption == "You pressed Stop."


def _run_file(chunks: tuple[Chunk, ...]) -> RunFile:
    return RunFile(
        format="iterplay-run",
        version=1,
        recorded_at="2026-05-04T09:12:44.120+00:00",
        schema=SchemaText(USER_PY, "pydantic"),
        target=("User",),
        wrapper_schema=WRAPPER.json_schema,
        base_url="http://127.0.0.1:9/v1",
        model="m",
        mode="json",
        request=build_payload(request()),
        chunks=chunks,
        events=(),
        end=None,
        interruption="the test made it so",
    )


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("prompt", [None, "Find people.\n\nAnd pets."])
def test_the_text_and_prompt_are_read_back_from_the_request_in_every_mode(mode, prompt):
    text = "  Jason is 10.\n\nJohn is 30.  "
    sent = ExtractionRequest(WRAPPER, text, "m", mode=mode, system_prompt=prompt, temperature=1)
    inputs = payload_inputs(build_payload(sent))
    assert inputs is not None
    assert inputs.text == text.strip()
    assert inputs.system_prompt == (prompt or DEFAULT_SYSTEM_PROMPT)
    assert inputs.temperature == 1.0


def test_a_temperature_no_float_can_hold_is_left_out_not_a_crash():
    payload = build_payload(ExtractionRequest(WRAPPER, "Jason is 10.", "m", temperature=1))
    inputs = payload_inputs({**payload, "temperature": 10**400})  # JSON holds any integer
    assert inputs is not None and inputs.temperature is None


def test_opening_a_run_file_restores_its_inputs():
    shared = shared_state_of(_run_file(()))
    assert (shared.schema, shared.schema_kind, shared.target) == (USER_PY, "pydantic", ["User"])
    assert (shared.text, shared.system_prompt) == ("Jason is 10 and John is 30.", "Find people.")
    assert (shared.model, shared.mode, shared.temperature) == ("m", "json", 0.25)


def test_a_run_file_whose_inputs_a_link_would_refuse_is_one_sentence():
    run_file = _run_file(())
    bad = RunFile(**{**run_file.__dict__, "mode": "telepathy"})
    with pytest.raises(RunFileError, match=r"^This run file cannot be opened: its 'mode' value"):
        shared_state_of(bad)
