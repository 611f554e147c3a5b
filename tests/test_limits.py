"""The bounds: read from ITERPLAY_* variables, defaults otherwise, and a bad value said plainly."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import fields

import pytest

from iterplay.errors import ConfigError, InputError
from iterplay.events import Entity, Invalid, Token
from iterplay.inputs import check_max_tokens, check_temperature, check_text, valid_unicode
from iterplay.limits import Limits, limits, limits_from_environ
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run import run_extraction
from iterplay.schema import load_schema
from iterplay.testing import Reply, ScriptedServer
from iterplay.wrapper import build_wrapper
from tests.apptest_page import extract_button, open_page, texts_in
from tests.spans import assert_spans_locate_elements
from tests.test_cli import ITERPLAY, USER_PY, clean_env


def test_defaults_hold_without_any_variable():
    assert limits_from_environ({}) == Limits()
    assert Limits().text_bytes == 200_000 and Limits().schema_bytes == 100_000


def test_each_limit_is_set_by_its_own_variable():
    for item in fields(Limits):
        variable = item.metadata["variable"]
        assert variable.startswith("ITERPLAY_MAX_")
        assert getattr(limits_from_environ({variable: "1_234"}), item.name) == 1234


def test_share_links_may_expand_to_eight_times_their_length():
    assert limits_from_environ({"ITERPLAY_MAX_SHARE_CHARS": "1000"}).share_json_bytes == 8000


@pytest.mark.parametrize(
    "value", ["abc", "-5", "0", "1.5", "٣", "9" * 5000, "1e6"], ids=lambda value: value[:8]
)
def test_a_bad_value_names_the_variable(value):
    with pytest.raises(ConfigError, match=r"^ITERPLAY_MAX_TOKENS must be a whole number"):
        limits_from_environ({"ITERPLAY_MAX_TOKENS": value})


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.01, 2.01, True, "0.5", [0.5]])
def test_temperature_outside_zero_to_two_is_refused(value):
    with pytest.raises(InputError, match="temperature"):
        check_temperature(value)


@pytest.mark.parametrize(
    "value", [0, -1, 32_001, 10**5000, True, 1.5], ids=["0", "-1", "32001", "1e5000", "true", "1.5"]
)
def test_max_tokens_outside_the_limit_is_refused(value):
    with pytest.raises(InputError, match="Max tokens must be a whole number from 1 to 32,000"):
        check_max_tokens(value, Limits())


def test_text_is_measured_in_utf8_bytes():
    assert check_text("source text", "é" * 5, 10) == "é" * 5
    with pytest.raises(InputError, match="11 bytes; the limit is 10"):
        check_text("source text", "é" * 5 + "x", 10)


def test_a_lone_surrogate_is_refused_with_its_position():
    with pytest.raises(InputError, match="position 3"):
        check_text("system prompt", "ab\ud800", 100)


def test_lone_surrogates_become_replacement_characters_for_display():
    assert valid_unicode("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert valid_unicode("Zoë 🎉") == "Zoë 🎉"


# -- limits on a run, through the core, the CLI and the page ------------------------------------

FIVE_USERS = json.dumps({"tasks": [{"name": f"U{n}", "age": n} for n in range(5)]})


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


def run_events(server: ScriptedServer, model: str) -> list:
    provider = ProviderConfig(base_url=server.url, model=model)
    wrapper = build_wrapper([load_schema(USER_PY).models["User"]])
    events = list(run_extraction(provider, ExtractionRequest(wrapper, "text", model, "json")))
    assert_spans_locate_elements(events)
    return events


def test_a_run_stops_after_the_entities_limit(scripted_server, limited):
    limited(ITERPLAY_MAX_ENTITIES="2")
    scripted_server.script("five", Reply.from_text(FIVE_USERS, chunk_size=5))
    events = run_events(scripted_server, "five")
    assert [event.index for event in events if isinstance(event, Entity | Invalid)] == [0, 1]
    assert (events[-1].ending, events[-1].complete) == ("limit", False)
    assert "ITERPLAY_MAX_ENTITIES" in events[-1].message


def test_a_run_that_ends_at_the_entities_limit_is_complete(scripted_server, limited):
    limited(ITERPLAY_MAX_ENTITIES="5")
    scripted_server.script("five", Reply.from_text(FIVE_USERS, chunk_size=5))
    assert run_events(scripted_server, "five")[-1].complete


def test_a_run_stops_after_the_stream_limit(scripted_server, limited):
    limited(ITERPLAY_MAX_STREAM_CHARS="40")
    scripted_server.script("five", Reply.from_text(FIVE_USERS, chunk_size=5))
    events = run_events(scripted_server, "five")
    assert sum(len(event.text) for event in events if isinstance(event, Token)) <= 45
    assert events[-1].ending == "limit" and "ITERPLAY_MAX_STREAM_CHARS" in events[-1].message


def test_the_cli_says_where_the_entities_limit_stopped_it(scripted_server, tmp_path):
    scripted_server.script("five", Reply.from_text(FIVE_USERS, chunk_size=5))
    (tmp_path / "user.py").write_text(USER_PY, encoding="utf-8")
    completed = subprocess.run(
        [*ITERPLAY, "extract", "--schema", str(tmp_path / "user.py"), "--text", "-",
         "--base-url", scripted_server.url, "--model", "five", "--mode", "json"],
        input="Five people.", capture_output=True, text=True, timeout=60,
        env=clean_env(ITERPLAY_MAX_ENTITIES="3"),
    )  # fmt: skip
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [line["type"] for line in lines] == ["entity"] * 3 + ["done"]
    assert lines[-1]["ending"] == "limit" and completed.returncode == 1


def test_the_page_holds_no_more_raw_stream_than_its_limit(scripted_server, limited, monkeypatch):
    limited(ITERPLAY_MAX_RAW_PANE_CHARS="30", ITERPLAY_MAX_ENTITIES="4")
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unused-0000000")
    monkeypatch.setenv("ITERPLAY_MODEL", "five")
    scripted_server.script("five", Reply.from_text(FIVE_USERS, chunk_size=5, channel="tool_call"))
    app = open_page()
    extract_button(app).click().run()
    raw = "".join(texts_in(app, "raw-stream"))
    assert raw == FIVE_USERS[:30]
    assert any("ITERPLAY_MAX_RAW_PANE_CHARS" in caption.value for caption in app.caption)
    assert any(warning.value.startswith("**Limit reached**") for warning in app.warning)
    assert app.session_state["active_run"].entity_count == 4
