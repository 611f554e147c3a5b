"""A recorded run read back: its inputs as a link carries them, its log, its schema."""

from __future__ import annotations

import dataclasses

from iterplay.background_run import extraction
from iterplay.events import Token
from iterplay.history import History
from iterplay.history import RunInputs as HistoryInputs
from iterplay.history_writer import HistoryWriter
from iterplay.local_model import MODEL_ALIAS
from iterplay.provider import ProviderConfig
from iterplay.records import event_record
from iterplay.replay import replay
from iterplay.replay_run import shared_state_of
from iterplay.request import DEFAULT_SYSTEM_PROMPT, ExtractionRequest
from iterplay.run_file import RunHeader, SchemaText, parse_run_file, run_file_json
from iterplay.run_log import RunLog
from iterplay.session_run import SessionRun
from iterplay.stored_run import StoredRun, wrapper_of
from iterplay.testing import Reply
from tests.recorded_runs import USER, WRAPPER, User, record
from tests.test_app_history import wait_for_run


def stored(path, run_id: int) -> StoredRun:
    with History(path) as history:
        return StoredRun.from_history(history.run(run_id))


def test_a_run_reopens_with_the_inputs_a_share_link_would_carry(tmp_path):
    path = tmp_path / "h.db"
    run = stored(path, record(path, [], model="big-model", mode="tools"))
    shared = run.shared_state()
    assert (shared.schema, shared.schema_kind, shared.target) == (USER, "pydantic", ["User"])
    assert (shared.model, shared.mode, shared.temperature) == ("big-model", "tools", 0.5)
    assert (shared.text, shared.system_prompt) == (run.source_text, "Extract every person.")


def test_an_embedded_run_reopens_on_the_embedded_model_with_the_default_prompt(tmp_path):
    path = tmp_path / "h.db"
    run_id = record(path, [], model=MODEL_ALIAS, system_prompt=DEFAULT_SYSTEM_PROMPT)
    shared = stored(path, run_id).shared_state()
    assert (shared.model, shared.system_prompt) == (None, None)


def test_the_log_of_a_run_holds_its_entities_raw_text_and_ending(tmp_path):
    path = tmp_path / "h.db"
    run = stored(path, record(path, [{"name": "Ann", "age": 3}, {"name": "Bob", "age": 4}]))
    log = run.run_log(WRAPPER)
    assert [element.value for element in log.elements] == [
        User(name="Ann", age=3),
        User(name="Bob", age=4),
    ]
    assert log.raw_text == '{"tasks": [{"name": "Ann", "age": 3}, {"name": "Bob", "age": 4}]}'
    start, end = log.elements[1].span
    assert log.raw_text[start:end] == '{"name": "Bob", "age": 4}'
    assert log.end is not None and log.end.complete and log.finished
    assert (log.first_token_t, round(log.elapsed, 2)) == (0.2, 1.0)
    assert run.run_log(wrapper=None).elements[0].value == {"name": "Ann", "age": 3}  # JSON data


def test_the_log_of_a_run_that_never_ended_says_why_it_stopped(tmp_path):
    path = tmp_path / "h.db"
    run = stored(path, record(path, [{"name": "Ann", "age": 3}], complete=False))
    log = run.run_log(WRAPPER)
    assert log.end is None and log.interrupted == "the run was interrupted before it ended"
    assert log.entity_count == 1


def test_the_recorded_schema_loads_again_with_its_targets():
    wrapper = wrapper_of(USER, "pydantic", ("User",))
    assert wrapper.name == "IterableUser"
    assert wrapper.element_adapter.validate_python({"name": "Ann", "age": 3}).name == "Ann"


def test_a_recorded_run_gives_the_run_file_its_run_saved(tmp_path, scripted_server):
    """One real run against the scripted server, saved as a run file and recorded in the
    history: the history's run file is the same, request body included (built again from the
    recorded inputs), so it opens and replays as the saved one does."""
    path = tmp_path / "h.db"
    model, text = "from-history", "Jason is 10 and John is 30."
    reply = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": "x"}]}'
    scripted_server.script(model, Reply.from_text(reply, chunk_size=9, channel="tool_call"))
    provider = ProviderConfig(
        base_url=scripted_server.url, model=model, api_key="sk-stored-run-test", timeout=10
    )
    request = ExtractionRequest(WRAPPER, text, model, mode="tools", temperature=0.3)
    header = RunHeader.of_request(SchemaText(USER, "pydantic"), request, provider)
    inputs = HistoryInputs.of_request(USER, "pydantic", request, provider, origin="app")
    run = SessionRun.start(
        extraction(provider, request), RunLog(), header, sinks=[HistoryWriter(inputs, path)]
    )
    for _ in run.follow():
        pass
    saved = run.run_file()
    # The history is written beside the run, on the run's worker thread.
    from_history = StoredRun.from_history(wait_for_run(path, lambda run: run["stats"]))

    rebuilt = from_history.run_file(WRAPPER)

    # Events as the history and the run file's JSON hold them (entities as data, times to 0.1 ms).
    assert [event_record(e) for e in rebuilt.events] == [event_record(e) for e in saved.events]
    same_moment = dataclasses.replace(rebuilt, recorded_at=saved.recorded_at, events=())
    assert same_moment == dataclasses.replace(saved, events=())
    assert "sk-stored-run-test" not in run_file_json(rebuilt)
    opened = parse_run_file(run_file_json(rebuilt), "history.json")
    assert shared_state_of(opened).text == text
    replayed = list(replay(opened.recording(), WRAPPER, speed=0))
    assert [type(event).__name__ for event in replayed if not isinstance(event, Token)] == [
        "Entity",
        "Invalid",
        "Finished",
    ]


def test_the_run_file_of_a_run_that_never_ended_says_why(tmp_path):
    path = tmp_path / "h.db"
    run = stored(path, record(path, [{"name": "Ann", "age": 3}], complete=False))
    run_file = run.run_file(WRAPPER)
    assert run_file.end is None
    assert run_file.interruption == "the run was interrupted before it ended"
    assert [event.value for event in run_file.events] == [{"name": "Ann", "age": 3}]
    raw = "".join(chunk.text for chunk in run_file.chunks)
    assert raw == '{"tasks": [{"name": "Ann", "age": 3}]}'
