"""The app's runs in the history: written beside the run's worker, never at the run's cost."""

from __future__ import annotations

import sqlite3
import threading

from pydantic import BaseModel

from iterplay import history as history_module
from iterplay.background_run import BackgroundRun, extraction
from iterplay.events import Entity, Finished
from iterplay.history import History, RunInputs
from iterplay.history_writer import STOPPED, HistoryWriter
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.testing import Piece, Reply
from iterplay.wrapper import build_wrapper

KEY = "sk-writer-canary-0123456789"


class User(BaseModel):
    name: str


WRAPPER = build_wrapper([User])
SCHEMA = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    name: str\n"


def start(server, path, model: str = "m", line=None) -> tuple[BackgroundRun, HistoryWriter]:
    provider = ProviderConfig(base_url=server.url, model=model, api_key=KEY, timeout=10)
    request = ExtractionRequest(WRAPPER, "Ann and Bob", model, mode="json", temperature=0.5)
    inputs = RunInputs.of_request(SCHEMA, "pydantic", request, provider, "app")
    writer = HistoryWriter(inputs, path)
    return BackgroundRun(extraction(provider, request), line=line, sinks=[writer]), writer


def stored(path, run_id):
    with History(path) as history:
        return history.run(run_id)


def test_a_run_is_recorded_with_its_inputs_chunks_entities_and_outcome(scripted_server, tmp_path):
    scripted_server.script("m", Reply.from_text('[{"name": "Ann"}, {"name": "Bob"}]'))
    run, writer = start(scripted_server, tmp_path / "h.db")
    events = [event for batch in run.batches() if batch for event in batch]
    assert writer.wait(timeout=10)
    record = stored(tmp_path / "h.db", writer.run_id)
    assert (record["outcome"], record["entities"], record["origin"]) == ("complete", 2, "app")
    assert [entity["data"]["name"] for entity in record["entities_found"]] == ["Ann", "Bob"]
    raw = "".join(chunk["text"] for chunk in record["chunks"])
    assert raw == '[{"name": "Ann"}, {"name": "Bob"}]'
    assert (record["model"], record["mode"], record["target"]) == ("m", "json", ["User"])
    assert record["parameters"]["temperature"] == 0.5
    assert record["base_url"] == scripted_server.url
    assert isinstance(events[-1], Finished)
    assert writer.problem is None


def test_a_stopped_run_is_stored_as_incomplete_with_the_entities_that_arrived(
    scripted_server, tmp_path
):
    pieces = (Piece('[{"name": "Ann"},'), Piece('{"name": "Bob"}]', after="never"))
    scripted_server.script("m", Reply(pieces=pieces))
    run, writer = start(scripted_server, tmp_path / "h.db")
    next(b for b in run.batches(poll_seconds=0.05) if b and isinstance(b[-1], Entity))
    run.cancel()
    assert writer.wait(timeout=10)
    record = stored(tmp_path / "h.db", writer.run_id)
    assert (record["outcome"], record["message"]) == ("incomplete", STOPPED)
    assert [entity["data"] for entity in record["entities_found"]] == [{"name": "Ann"}]
    assert record["entities"] == 1


def test_a_run_stopped_while_waiting_in_line_is_kept_as_incomplete(scripted_server, tmp_path):
    scripted_server.script("m", Reply.from_text('[{"name": "Ann"}]'))
    line = threading.Lock()
    line.acquire()  # another run holds the embedded model
    run, writer = start(scripted_server, tmp_path / "h.db", line=line)
    run.cancel()
    assert writer.wait(timeout=10)
    record = stored(tmp_path / "h.db", writer.run_id)
    assert (record["outcome"], record["message"], record["chunks"]) == ("incomplete", STOPPED, [])
    assert not scripted_server.requests


def test_an_unusable_history_is_one_sentence_and_the_run_goes_on(scripted_server, tmp_path):
    foreign = tmp_path / "other.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE accounts (id INTEGER)")
    connection.commit()
    connection.close()
    scripted_server.script("m", Reply.from_text('[{"name": "Ann"}]'))
    run, writer = start(scripted_server, foreign)
    events = [event for batch in run.batches() if batch for event in batch]
    assert writer.wait(timeout=10)
    assert [e.value.name for e in events if isinstance(e, Entity)] == ["Ann"]
    assert writer.problem.startswith("This run is not saved to the history: ")
    assert "is not an iterplay history" in writer.problem and "\n" not in writer.problem
    assert writer.run_id is None


def test_a_history_that_cannot_be_written_mid_run_stops_recording_not_the_run(
    scripted_server, tmp_path, monkeypatch
):
    monkeypatch.setattr(history_module, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "h.db"
    pieces = (Piece('[{"name": "Ann"},'), Piece('{"name": "Bob"}]', after="locked"))
    scripted_server.script("m", Reply(pieces=pieces))
    run, writer = start(scripted_server, path)
    batches = run.batches(poll_seconds=0.05)
    next(b for b in batches if b and isinstance(b[-1], Entity))
    other = sqlite3.connect(path, timeout=5)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the history for a long while
    scripted_server.open_gate("locked")
    events = [event for batch in batches if batch for event in batch]
    assert writer.wait(timeout=10)
    other.rollback()
    other.close()
    assert [e.value.name for e in events if isinstance(e, Entity)] == ["Bob"]
    assert isinstance(events[-1], Finished) and events[-1].complete
    assert "could not be written (database is locked)" in writer.problem
    assert stored(path, writer.run_id)["outcome"] == "incomplete"


def test_the_key_is_never_written(scripted_server, tmp_path):
    scripted_server.script("m", Reply.from_text('[{"name": "Ann"}]'))
    run, writer = start(scripted_server, tmp_path / "h.db")
    list(run.batches())
    assert writer.wait(timeout=10)
    assert KEY.encode() not in b"".join(path.read_bytes() for path in tmp_path.iterdir())
