"""The worker-thread run: same events as the direct run, idle ticks while waiting, cancel."""

from __future__ import annotations

from pydantic import BaseModel

from iterplay.background_run import BackgroundRun
from iterplay.events import Entity, Finished
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
    events = [e for e in BackgroundRun(provider(scripted_server), request("m")).events() if e]
    assert [e.value.name for e in events if isinstance(e, Entity)] == ["A", "B"]
    assert isinstance(events[-1], Finished) and events[-1].complete


def test_yields_none_while_the_provider_is_silent(scripted_server):
    pieces = (Piece('[{"name": "A"}'), Piece("]", pause=0.5))
    scripted_server.script("m", Reply(pieces=pieces))
    items = list(BackgroundRun(provider(scripted_server), request("m")).events(poll_seconds=0.05))
    first_entity = next(i for i, e in enumerate(items) if isinstance(e, Entity))
    assert None in items[first_entity:]


def test_cancel_stops_the_run_before_later_entities(scripted_server):
    pieces = (Piece('[{"name": "A"},'), Piece('{"name": "B"}]', pause=0.5))
    scripted_server.script("m", Reply(pieces=pieces))
    run = BackgroundRun(provider(scripted_server), request("m"))
    events = run.events(poll_seconds=0.05)
    first = next(e for e in events if isinstance(e, Entity))
    run.cancel()
    rest = [e for e in events if e is not None]
    assert first.value.name == "A"
    assert not [e for e in rest if isinstance(e, Entity | Finished)]
    assert run.wait(timeout=5)
