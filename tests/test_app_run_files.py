"""Run files in the playground under AppTest: the current run as one, a run file replayed.

The runs stream from the real scripted server; replays run with no provider at all (the
environment names none, and the embedded model is never started).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import zlib

import pytest
from streamlit.testing.v1 import AppTest

from iterplay.events import Entity
from iterplay.limits import limits
from iterplay.run_file import RunFile, run_file_json
from iterplay.share import SharedState, decode_state, encode_state
from iterplay.testing import Reply
from tests.apptest_page import PAGE, as_shown, html_texts, open_page, texts_in
from tests.recorded_runs import USER, recorded_run_file

ADULT = USER.replace("age: int", "age: int = Field(ge=18)").replace(
    "import BaseModel", "import BaseModel, Field"
)

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


def playground_run_file(monkeypatch, scripted_server) -> RunFile:
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
    run_file = playground_run_file(monkeypatch, scripted_server)
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


# -- open, replay, download in the playground ----------------------------------------------------


@pytest.fixture
def limited(monkeypatch):
    """Set ITERPLAY_* limits for this test (they are read once per process, so re-read them)."""

    def set_limits(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        limits.cache_clear()

    yield set_limits
    monkeypatch.undo()
    limits.cache_clear()


def run_file_text(scripted_server) -> str:
    return run_file_json(
        recorded_run_file(scripted_server, Reply.from_text(TWO_USERS, channel="tool_call"))
    )


def upload(app: AppTest, name: str, content: bytes) -> AppTest:
    app.file_uploader(key="run_file_upload").upload(name, content, "application/json")
    return app.run()


def errors(app: AppTest) -> list[str]:
    return [as_shown(error.value) for error in app.error]


def test_a_run_file_opened_in_the_playground_replays_with_no_provider(
    no_provider_env, scripted_server
):
    text = run_file_text(scripted_server)
    scripted_server.stop()
    app = open_page()
    app.text_area(key="source_text").set_value("Something else entirely.").run()
    app.radio(key="replay_speed").set_value("Instant").run()
    upload(app, "run.json", text.encode())
    assert not app.exception
    assert app.text_area(key="source_text").value == "Jason is 10 and John is 30."
    names = [element.value.name for element in app.session_state["active_run"].elements]
    assert names == ["Jason", "John"]
    assert any(info.value.startswith("**Replay** of a run") for info in app.info)
    assert "replayed at once" in next(i.value for i in app.info if "Replay" in i.value)


def test_a_file_that_is_not_a_run_file_is_one_sentence(no_provider_env):
    app = upload(open_page(), "notes.json", b"hello")
    assert not app.exception
    assert errors(app) == [
        "notes.json is not JSON (line 1, column 1: Expecting value), so it is not a run file."
    ]
    assert "active_run" not in app.session_state


def test_a_run_file_from_a_later_iterplay_is_refused_in_one_sentence(
    no_provider_env, scripted_server
):
    data = json.loads(run_file_text(scripted_server))
    app = upload(open_page(), "run.json", json.dumps({**data, "version": 2}).encode())
    assert errors(app) == [
        "run.json was written by a newer iterplay (run file version 2; this one reads version "
        "1); upgrade iterplay to replay it."
    ]


def test_a_run_file_that_is_not_utf8_is_one_sentence(no_provider_env):
    app = upload(open_page(), "run.json", b'{"format": "\xff\xfe"}' + bytes([0xFF]))
    assert errors(app) == ["run.json is not UTF-8 text, so it is not a run file."]


def test_a_run_file_over_the_size_limit_is_refused(no_provider_env, scripted_server, limited):
    text = run_file_text(scripted_server)
    limited(ITERPLAY_MAX_RUN_FILE_BYTES="1000")
    app = upload(open_page(), "run.json", text.encode())
    assert errors(app) == [
        "run.json is larger than the limit of 1,000 bytes for a run file "
        "(ITERPLAY_MAX_RUN_FILE_BYTES), so it was not opened."
    ]
    assert "active_run" not in app.session_state


def test_a_damaged_run_file_names_the_damage(no_provider_env, scripted_server):
    data = json.loads(run_file_text(scripted_server))
    data["chunks"][0]["t"] = -1
    app = upload(open_page(), "run.json", json.dumps(data).encode())
    assert errors(app) == [
        "run.json is damaged (chunks.0.t: Input should be greater than or equal to 0)."
    ]


def test_the_run_on_screen_replays_against_the_edited_schema(remote_env):
    app = open_page()
    app.button(key="extract").click().run()
    app.session_state["schema_texts"] = {**app.session_state["schema_texts"], "pydantic": ADULT}
    del app.session_state["schema_editor"]  # the editor is seeded anew with the text, as typed
    app.run()
    remote_env.stop()  # the replay needs no provider
    app.button(key="replay_instant").click().run()
    assert not app.exception
    log = app.session_state["active_run"]
    assert [type(element).__name__ for element in log.elements] == ["Invalid", "Entity"]
    assert "st-key-invalid-card-0" in "".join(html_texts(app))
    notice = next(info.value for info in app.info if "Replay" in info.value)
    assert "the schema on screen (edited since the recording)" in notice
    assert app.session_state["session_run"].run_file().schema.source == ADULT


def test_the_replay_buttons_show_once_a_run_is_over(remote_env):
    app = open_page()
    assert not [button for button in app.button if button.key.startswith("replay_")]
    app.button(key="extract").click().run()
    keys = [button.key for button in app.button if button.key.startswith("replay_")]
    assert keys == ["replay_1x", "replay_4x", "replay_instant"]


def test_the_downloads_are_offered_for_the_run_on_screen(remote_env):
    app = open_page()
    assert not app.get("download_button")
    app.button(key="extract").click().run()
    keys = [button.key for button in app.get("download_button")]
    assert keys == ["download_json", "download_jsonl", "download_csv", "download_run_file"]
    assert not any(button.proto.disabled for button in app.get("download_button"))


# -- share links with a recording ----------------------------------------------------------------


def token_data(token: str) -> dict:
    return json.loads(zlib.decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))))


def raw_token(data: object) -> str:
    compressed = zlib.compress(json.dumps(data).encode())
    return base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def shared_with_run(run_file: RunFile) -> str:
    return encode_state(SharedState(schema=USER, text="Jason is 10 and John is 30.", run=run_file))


def test_a_share_link_with_a_recording_replays_it_with_no_provider(
    no_provider_env, scripted_server
):
    run_file = recorded_run_file(scripted_server, Reply.from_text(TWO_USERS, channel="tool_call"))
    scripted_server.stop()
    app = open_page(shared_with_run(run_file))
    assert not app.exception
    names = [element.value.name for element in app.session_state["active_run"].elements]
    assert names == ["Jason", "John"]
    assert any(info.value.startswith("**Replay** of a run") for info in app.info)


def test_a_share_link_with_a_damaged_recording_is_one_sentence(no_provider_env, scripted_server):
    run_file = recorded_run_file(scripted_server, Reply.from_text(TWO_USERS, channel="tool_call"))
    data = token_data(shared_with_run(run_file))
    data["run"]["version"] = 2
    app = open_page(raw_token(data))
    assert not app.exception
    warning = as_shown(app.warning[0].value)
    assert warning.startswith("This share link has a bad 'run' value (the recorded run was")
    assert "active_run" not in app.session_state


def codes_in(app: AppTest, container_key: str) -> list[str]:
    block = next(node for node in app._tree if getattr(node, "key", None) == container_key)
    return [node.value for node in block if getattr(node, "type", "") == "code"]


def test_a_run_that_is_over_offers_a_link_with_the_run(remote_env):
    app = open_page()
    app.button(key="extract").click().run()
    [link] = codes_in(app, "share-run-link")
    shared = decode_state(link.split("?s=", 1)[1])
    assert shared.run is not None
    assert run_file_json(shared.run) == run_file_json(app.session_state["session_run"].run_file())
    assert shared.text == "Jason is 10 and John is 30."


def test_a_run_too_big_for_a_link_offers_its_run_file_instead(remote_env, limited):
    limited(ITERPLAY_MAX_SHARE_RUN_BYTES="100")
    app = open_page()
    app.button(key="extract").click().run()
    warning = as_shown(app.warning[0].value)
    assert warning.startswith("This run is too big to share in a link (")
    assert warning.endswith("the limit is 100); share its run file instead.")
    assert [button.key for button in app.get("download_button")][-1] == "share_run_file"


@pytest.mark.parametrize("speed", [0, 4])
def test_a_replay_shows_the_recorded_runs_times_at_any_speed(
    no_provider_env, scripted_server, speed
):
    """The cards carry the recorded times; the stats line keeps the same clock: a 2.5 s run
    replayed at once or at 4x says it took 2.5 s, not the fraction the replay took."""
    recorded = recorded_run_file(scripted_server, Reply.from_text(TWO_USERS, channel="tool_call"))
    later = tuple(dataclasses.replace(chunk, t=chunk.t + 2.0) for chunk in recorded.chunks)
    end = dataclasses.replace(
        recorded.end, stats=dataclasses.replace(recorded.end.stats, total_time=2.5)
    )
    app = opened_in_playground(dataclasses.replace(recorded, chunks=later, end=end), speed)
    app.run()  # the output follows the replay to its end
    assert not app.exception
    assert app.session_state["active_run"].finished
    stats = next(m.value for m in app.markdown if "elapsed" in m.value)
    assert "elapsed 2.50 s" in stats
    assert f"first token {later[0].t:.2f} s" in stats
