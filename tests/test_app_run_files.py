"""Run files in the playground under AppTest: the current run as one, a run file replayed.

The runs stream from the real scripted server; replays run with no provider at all (the
environment names none, and the embedded model is never started).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from iterplay.events import Entity
from iterplay.run_file import RunFile, run_file_json
from iterplay.testing import Reply
from tests.apptest_page import PAGE, html_texts, open_page, texts_in

TWO_USERS = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'


@pytest.fixture
def remote_env(monkeypatch, scripted_server, history_file):
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test-key-123456")
    monkeypatch.setenv("ITERPLAY_MODEL", "two-users")
    scripted_server.script("two-users", Reply.from_text(TWO_USERS, channel="tool_call"))
    return scripted_server


@pytest.fixture
def no_provider_env(monkeypatch, history_file):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)


def recorded_run_file(monkeypatch, scripted_server) -> RunFile:
    """A run of the playground against the scripted server, as the playground records it."""
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test-key-123456")
    monkeypatch.setenv("ITERPLAY_MODEL", "two-users")
    scripted_server.script("two-users", Reply.from_text(TWO_USERS, channel="tool_call"))
    app = open_page()
    app.text_area(key="source_text").set_value("Jason is 10. John is 30.").run()
    app.button(key="extract").click().run()
    return app.session_state["session_run"].run_file()


def page_opening(run_file_text: str, page: str, speed: float) -> None:
    """Another page (the gallery) opening a run file in the playground, then the playground."""
    import runpy

    import streamlit as st

    from components.replay_panel import open_run_file
    from iterplay.run_file import parse_run_file

    if "test.opened" not in st.session_state:
        st.session_state["test.opened"] = True
        open_run_file(parse_run_file(run_file_text, "run.json"), speed)
    runpy.run_path(page, run_name="__main__")


def opened_in_playground(run_file: RunFile, speed: float = 0) -> AppTest:
    app = AppTest.from_function(
        page_opening, args=(run_file_json(run_file), PAGE, speed), default_timeout=30
    )
    return app.run()


def test_the_current_run_is_a_run_file_once_extract_has_run(remote_env):
    app = open_page()
    app.button(key="extract").click().run()
    run_file = app.session_state["session_run"].run_file()
    assert app.session_state["session_run"].log is app.session_state["active_run"]
    assert "".join(chunk.text for chunk in run_file.chunks) == TWO_USERS
    assert [e.value.name for e in run_file.events if isinstance(e, Entity)] == ["Jason", "John"]
    assert run_file.end is not None and run_file.end.complete
    assert (run_file.model, run_file.mode) == ("two-users", "tools")


def test_a_run_file_opened_from_another_page_restores_its_inputs_and_replays(
    monkeypatch, scripted_server
):
    run_file = recorded_run_file(monkeypatch, scripted_server)
    scripted_server.stop()
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL"):
        monkeypatch.delenv(name)
    app = opened_in_playground(run_file)
    assert not app.exception
    assert app.text_area(key="source_text").value == "Jason is 10. John is 30."
    log = app.session_state["active_run"]
    assert [element.value.name for element in log.elements] == ["Jason", "John"]
    cards = "".join(html_texts(app))
    assert 'st-key-entity-card-1"' in cards and "<b>name</b>: John" in cards
    assert TWO_USERS in "".join(texts_in(app, "raw-stream"))
    notice = next(info.value for info in app.info if "Replay" in info.value)
    assert "with `two-users` in `tools` mode" in notice and "no provider is called" in notice
    assert f"recorded on {run_file.recorded_at[:10]} at " in notice
    assert "recorded schema" in notice
