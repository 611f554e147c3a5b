"""The worker-thread run: same events as the direct run, idle ticks while waiting, cancel."""

from __future__ import annotations

import threading

from pydantic import BaseModel

from iterplay.background_run import BackgroundRun, extraction
from iterplay.events import Entity, Finished, Token
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.testing import Piece, Reply
from iterplay.wrapper import build_wrapper


class User(BaseModel):
    name: str


def request(model: str) -> ExtractionRequest:
    return ExtractionRequest(build_wrapper([User]), "text", model, mode="json")


def provider(server) -> ProviderConfig:
    return ProviderConfig(base_url=server.url, model="m", api_key="k", timeout=10)


def test_yields_the_same_events_as_a_direct_run(scripted_server):
    scripted_server.script("m", Reply.from_text('[{"name": "A"}, {"name": "B"}]'))
    run = BackgroundRun(extraction(provider(scripted_server), request("m")))
    events = [e for batch in run.batches() if batch for e in batch]
    assert [e.value.name for e in events if isinstance(e, Entity)] == ["A", "B"]
    assert isinstance(events[-1], Finished) and events[-1].complete


def test_yields_none_while_the_provider_is_silent(scripted_server):
    pieces = (Piece('[{"name": "A"}'), Piece("]", pause=0.5))
    scripted_server.script("m", Reply(pieces=pieces))
    run = BackgroundRun(extraction(provider(scripted_server), request("m")))
    items = list(run.batches(poll_seconds=0.05))
    first_entity = next(i for i, b in enumerate(items) if b and isinstance(b[-1], Entity))
    assert None in items[first_entity:]


def test_a_chunk_and_the_entity_it_completes_come_in_one_batch(scripted_server):
    scripted_server.script("m", Reply.from_pieces(['[{"name": ', '"A"}', "]"]))
    batches = [
        b for b in BackgroundRun(extraction(provider(scripted_server), request("m"))).batches() if b
    ]
    closing = next(b for b in batches if any(isinstance(e, Entity) for e in b))
    entity_at = next(i for i, e in enumerate(closing) if isinstance(e, Entity))
    assert entity_at > 0 and closing[entity_at - 1] == Token('"A"}', closing[entity_at - 1].t)


def test_chunks_that_pile_up_come_as_one_batch(scripted_server):
    scripted_server.script("m", Reply.from_text('[{"name": "A"}, {"name": "B"}]', chunk_size=2))
    run = BackgroundRun(extraction(provider(scripted_server), request("m")))
    assert run.wait(timeout=10)
    batches = [b for b in run.batches() if b]
    assert len(batches) == 1
    assert [e.value.name for e in batches[0] if isinstance(e, Entity)] == ["A", "B"]


def test_cancel_stops_the_run_before_later_entities(scripted_server):
    pieces = (Piece('[{"name": "A"},'), Piece('{"name": "B"}]', after="after-cancel"))
    scripted_server.script("m", Reply(pieces=pieces))
    run = BackgroundRun(extraction(provider(scripted_server), request("m")))
    events = (e for batch in run.batches(poll_seconds=0.05) if batch for e in batch)
    first = next(e for e in events if isinstance(e, Entity))
    run.cancel()
    scripted_server.open_gate("after-cancel")  # B is sent now, and must not come through
    rest = list(events)
    assert first.value.name == "A"
    assert not [e for e in rest if isinstance(e, Entity | Finished)]


def test_cancel_shuts_the_connection_without_waiting_for_the_next_chunk(scripted_server):
    pieces = (Piece('[{"name": "A"},'), Piece('{"name": "B"}]', after="never"))
    scripted_server.script("m", Reply(pieces=pieces))
    run = BackgroundRun(extraction(provider(scripted_server), request("m")))
    next(b for b in run.batches(poll_seconds=0.05) if b and isinstance(b[-1], Entity))
    run.cancel()
    assert run.wait(timeout=5), "the worker is still blocked reading the provider"


def test_a_run_in_line_waits_for_its_turn_then_streams(scripted_server):
    """A provider that serves one request at a time: the run waits, says so, sends nothing."""
    scripted_server.script("m", Reply.from_text('[{"name": "A"}]'))
    line = threading.Lock()
    line.acquire()
    run = BackgroundRun(extraction(provider(scripted_server), request("m")), line=line)
    assert not run.wait(timeout=0.3)
    assert run.in_line and run.take() == ([], False) and scripted_server.requests == []
    line.release()
    assert run.wait(timeout=10)
    assert not run.in_line
    events, done = run.take()
    assert done and [e.value.name for e in events if isinstance(e, Entity)] == ["A"]
    assert line.acquire(blocking=False)  # the run gave its turn back


def test_a_run_stopped_while_in_line_never_sends_its_request(scripted_server):
    scripted_server.script("m", Reply.from_text('[{"name": "A"}]'))
    line = threading.Lock()
    line.acquire()
    run = BackgroundRun(extraction(provider(scripted_server), request("m")), line=line)
    run.cancel()
    assert run.wait(timeout=5)
    assert run.take() == ([], True) and scripted_server.requests == []
