"""The playground records its runs; the History page lists, filters, opens and deletes them.

Each test has a history file of its own (``ITERPLAY_DB``); runs come from the playground against
the scripted server, or are written through the history's own recorder.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from iterplay.history import History
from iterplay.history_writer import STOPPED
from iterplay.share import decode_state
from iterplay.testing import Piece, Reply
from tests.apptest_page import html_texts, markdown_texts, open_page, texts_in
from tests.recorded_runs import record
from tests.test_app_lanes import OTHER_USERS, add_lane

APP = str(Path(__file__).resolve().parents[1] / "app.py")
KEY = "sk-history-page-canary-42"
TWO_USERS = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'


@pytest.fixture
def remote_env(monkeypatch, scripted_server, history_file):
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ITERPLAY_MODEL", "two-users")
    scripted_server.script("two-users", Reply.from_text(TWO_USERS, channel="tool_call"))
    return scripted_server


def wait_for_run(path: Path, ended: Callable[[dict], bool], limit: float = 10.0) -> dict:
    """The newest run once ``ended`` holds for it (the history is written beside the run)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists():
            with History(path) as history:
                runs = history.list_runs(1)
                if runs and ended(run := history.run(runs[0].id)):
                    return run
        time.sleep(0.05)
    raise AssertionError(f"the newest run did not end as expected within {limit} s")


def history_page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30).run()
    return app.switch_page("pages/history.py").run()


def listed(app: AppTest) -> list[int]:
    return list(app.dataframe[0].value["run"]) if app.dataframe else []


# -- the playground records its runs --------------------------------------------------------------


def test_a_playground_run_is_recorded_with_its_inputs_and_entities(remote_env, history_file):
    app = open_page()
    app.text_area(key="system_prompt").input("Extract every person.").run()
    app.button(key="extract").click().run()
    assert app.session_state["active_run"].entity_count == 2
    run = wait_for_run(history_file, lambda run: run["outcome"] == "complete")
    assert (run["origin"], run["model"], run["mode"]) == ("app", "two-users", "tools")
    assert (run["target"], run["schema_kind"]) == (["User"], "pydantic")
    assert run["source_text"] == "Jason is 10 and John is 30."
    assert run["system_prompt"] == "Extract every person."
    assert run["parameters"]["temperature"] == 0.0
    assert [e["data"] for e in run["entities_found"]] == [
        {"name": "Jason", "age": 10},
        {"name": "John", "age": 30},
    ]
    assert "".join(chunk["text"] for chunk in run["chunks"]) == TWO_USERS
    files = history_file.parent.glob(history_file.name + "*")
    assert KEY.encode() not in b"".join(path.read_bytes() for path in files)


def test_a_stopped_run_is_kept_as_incomplete_with_the_entities_that_arrived(
    remote_env, history_file
):
    pieces = (
        Piece('{"tasks": [{"name": "Jason", "age": 10}, '),
        Piece('{"name": "John", "age": 30}]}', after="never"),
    )
    remote_env.script("two-users", Reply(pieces=pieces, channel="tool_call"))
    app = open_page()
    # The page follows a run until it ends, and this one never does: the script run times out
    # (the run goes on, the session owns it) and Stop ends it.
    with pytest.raises(RuntimeError, match="timed out"):
        app.button(key="extract").click().run(timeout=4)
    wait_for_run(history_file, lambda run: run["entities"] == 1)
    app.button(key="extract").set_value(False)  # that click was the timed-out script run's
    app.button(key="stop").click().run()
    (stopped,) = [warning.value for warning in app.warning if "Stopped" in warning.value]
    assert "\\. Everything that arrived is kept." in stopped  # one full stop (escaped)
    run = wait_for_run(history_file, lambda run: run["message"] is not None)
    assert (run["outcome"], run["message"]) == ("incomplete", STOPPED)
    assert [e["data"]["name"] for e in run["entities_found"]] == ["Jason"]
    assert run["chunks"][0]["text"] == '{"tasks": [{"name": "Jason", "age": 10}, '


def test_the_lanes_of_a_race_are_recorded_as_runs_of_one_race(remote_env, history_file):
    remote_env.script("other-users", Reply.from_text(OTHER_USERS, channel="tool_call"))
    app = add_lane(open_page(), "other-users")
    app.button(key="extract").click().run()
    assert not app.exception
    wait_for_run(history_file, lambda run: run["outcome"] == "complete")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with History(history_file) as history:
            runs = history.list_runs()
        if len(runs) == 2 and {run.outcome for run in runs} == {"complete"}:
            break
        time.sleep(0.05)
    by_lane = {run.lane: run for run in runs}
    assert set(by_lane) == {0, 1}
    assert (by_lane[0].model, by_lane[1].model) == ("two-users", "other-users")
    assert by_lane[0].race_id is not None and by_lane[0].race_id == by_lane[1].race_id
    assert (by_lane[0].entities, by_lane[1].entities) == (2, 2)


def test_a_run_without_lanes_belongs_to_no_race(remote_env, history_file):
    open_page().button(key="extract").click().run()
    run = wait_for_run(history_file, lambda run: run["outcome"] == "complete")
    assert (run["race_id"], run["lane"]) == (None, None)


def test_a_history_that_cannot_be_written_is_one_warning_and_the_run_is_whole(
    remote_env, history_file
):
    foreign = sqlite3.connect(history_file)
    foreign.execute("CREATE TABLE accounts (id INTEGER)")
    foreign.commit()
    foreign.close()
    app = open_page()
    app.button(key="extract").click().run()
    assert not app.exception
    assert app.session_state["active_run"].entity_count == 2
    notes = [w.value for w in app.warning if "not saved to the history" in w.value]
    assert len(notes) == 1 and "Traceback" not in notes[0]
    assert "Complete" in app.success[0].value


# -- the History page ----------------------------------------------------------------------------


def test_runs_are_listed_newest_first_and_filtered(history_file):
    first = record(history_file, [{"name": "Jason", "age": 10}], model="small")
    second = record(history_file, [], model="big", source_text="Rex the dog.")
    third = record(history_file, [{"name": "Ann", "age": 3}], model="big", complete=False)
    app = history_page()
    assert listed(app) == [third, second, first]
    app.selectbox(key="history_model").select("big").run()
    assert listed(app) == [third, second]
    app.selectbox(key="history_outcome").select("incomplete").run()
    assert listed(app) == [third]
    app.selectbox(key="history_outcome").select("(any)").run()
    app.text_input(key="history_text").input("REX").run()
    assert listed(app) == [second]
    app.selectbox(key="history_model").select("small").run()
    assert listed(app) == []
    assert "No recorded run matches." in [info.value for info in app.info]


def test_opening_a_run_restores_its_inputs_and_shows_its_cards_and_raw_stream(
    remote_env, history_file
):
    run_id = record(
        history_file,
        [{"name": "Ann", "age": 31}, {"name": "Bob", "age": 42}],
        source_text="Ann is 31, Bob 42.",
        mode="json",
        parameters={"temperature": 0.7},
    )
    record(history_file, [], model="another")
    app = history_page()
    app.selectbox(key="history_run").set_value(run_id).run()
    app.button(key="open_run").click().run()
    assert not app.exception
    assert app.text_area(key="source_text").value == "Ann is 31, Bob 42."
    assert app.text_area(key="system_prompt").value == "Extract every person."
    assert app.radio(key="schema_kind").value == "pydantic"
    assert app.radio(key="provider_kind").value == "OpenAI-compatible"
    assert app.text_input(key="model_name").value == "two-users"
    assert app.selectbox(key="mode_remote").value == "json"
    assert app.slider(key="temperature").value == 0.7
    log = app.session_state["active_run"]
    assert [element.value.name for element in log.elements] == ["Ann", "Bob"]
    cards = "".join(html_texts(app))
    assert 'st-key-entity-card-1"' in cards and "#1 · User ·" in cards
    assert "<b>name</b>: Bob" in cards
    raw = '{"name": "Ann", "age": 31}, {"name": "Bob", "age": 42}'
    assert raw in "".join(texts_in(app, "raw-stream"))
    assert "Complete" in app.success[0].value


def test_an_opened_stopped_run_says_it_stopped_and_keeps_its_entities(history_file):
    run_id = record(history_file, [{"name": "Ann", "age": 31}], complete=False)
    app = history_page()
    app.selectbox(key="history_run").set_value(run_id).run()
    app.button(key="open_run").click().run()
    assert app.session_state["active_run"].entity_count == 1
    (stopped,) = [warning.value for warning in app.warning if "Stopped" in warning.value]
    assert "\\. Everything that arrived is kept." in stopped  # one full stop (escaped)


def test_an_opened_run_offers_its_run_file_replays_it_and_shares_it(history_file):
    """Its run file is rebuilt from the history: downloaded, replayed with no provider (none is
    configured here), carried by a share link like a run of the session."""
    run_id = record(history_file, [{"name": "Ann", "age": 31}, {"name": "Bob", "age": 42}])
    app = history_page()
    app.selectbox(key="history_run").set_value(run_id).run()
    app.button(key="open_run").click().run()
    app.switch_page("pages/playground.py").run()  # where AppTest's next runs go
    downloads = {button.key: button for button in app.get("download_button")}
    assert not downloads["download_run_file"].proto.disabled
    [link] = [
        node.value
        for node in next(n for n in app._tree if getattr(n, "key", None) == "share-run-link")
        if getattr(node, "type", "") == "code"
    ]
    shared = decode_state(link.split("?s=", 1)[1])
    assert shared.run is not None and shared.run.model == "two-users"
    assert "".join(chunk.text for chunk in shared.run.chunks).startswith('{"tasks": [')
    app.button(key="replay_instant").click().run()
    assert not app.exception
    assert [element.value.name for element in app.session_state["active_run"].elements] == [
        "Ann",
        "Bob",
    ]
    assert any(info.value.startswith("**Replay** of a run") for info in app.info)
    assert app.text_area(key="source_text").value == "Jason is 10 and John is 30."


def test_deleting_a_run_asks_first_then_removes_it(history_file):
    keep_id = record(history_file, [])
    doomed = record(history_file, [{"name": "Ann", "age": 31}])
    app = history_page()
    app.selectbox(key="history_run").set_value(doomed).run()
    app.button(key="delete_run").click().run()
    assert f"Delete run #{doomed} for good?" in app.warning[0].value
    app.button(key="cancel_delete").click().run()
    assert listed(app) == [doomed, keep_id]
    app.button(key="delete_run").click().run()
    app.button(key="confirm_delete").click().run()
    assert listed(app) == [keep_id]
    assert f"Run #{doomed} deleted." in app.success[0].value
    with History(history_file) as history:
        assert [run.id for run in history.list_runs()] == [keep_id]


def test_run_values_on_the_page_are_inert(history_file):
    hostile = "![x](https://attacker.example/p.png) **bold** <img src=x>"
    record(history_file, [{"name": hostile, "age": 1}], model=hostile, source_text=hostile)
    app = history_page()
    assert not app.exception
    assert listed(app)
    assert not [text for text in markdown_texts(app) if "attacker" in text]


def test_an_unreadable_history_is_one_sentence(history_file):
    history_file.write_bytes(b"not a database" * 200)
    app = history_page()
    assert not app.exception
    assert "cannot be opened" in app.error[0].value
    assert history_file.read_bytes() == b"not a database" * 200


def test_a_run_whose_inputs_a_link_would_refuse_is_not_opened_and_says_why(history_file):
    # Written by another program: the playground's widgets would refuse the temperature.
    run_id = record(history_file, [{"name": "Ann", "age": 31}], parameters={"temperature": 1e308})
    app = history_page()
    app.selectbox(key="history_run").set_value(run_id).run()
    app.button(key="open_run").click().run()
    assert not app.exception
    (warning,) = app.warning
    shown = warning.value.replace("\\", "").replace("\u2060", "")  # as text, not markdown
    assert shown.startswith(f"Run #{run_id} cannot be opened in the playground: its 'temperature'")
    assert app.session_state["history_run"] == run_id  # still on the History page
