"""A recorded run read back: its inputs as a link carries them, its log, its schema."""

from __future__ import annotations

from iterplay.history import History
from iterplay.local_model import MODEL_ALIAS
from iterplay.request import DEFAULT_SYSTEM_PROMPT
from iterplay.stored_run import StoredRun, wrapper_of
from tests.recorded_runs import USER, WRAPPER, User, record


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
