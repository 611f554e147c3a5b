"""Live scoring in the playground (AppTest): marks on cards, the ghost card and the score line.

A case with three expected entities; the scripted reply has one correct entity, one with a wrong
field and one invented.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from iterplay.scoring import Case, CaseSet
from iterplay.share import SharedState, decode_state, encode_state
from iterplay.testing import Reply
from tests.apptest_page import as_shown
from tests.test_app import PAGE, USER, html_text

TEXT = "Jason is 10, Mary is 42 and Tom is 7."
EXPECTED = (
    {"name": "Jason", "age": 10},
    {"name": "Mary", "age": 42},
    {"name": "Tom", "age": 7},
)
REPLY = json.dumps(
    {
        "tasks": [
            {"name": "Jason", "age": 10},
            {"name": "Mary", "age": 41},
            {"name": "Zed", "age": 3},
        ]
    }
)


@pytest.fixture
def scored_env(monkeypatch, scripted_server):
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test-key-123456")
    monkeypatch.setenv("ITERPLAY_MODEL", "scored")
    scripted_server.script("scored", Reply.from_text(REPLY, channel="tool_call"))


def page_with_case(expected=EXPECTED) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params["s"] = encode_state(SharedState(schema=USER, text=TEXT, model="scored"))
    app.session_state["cases"] = CaseSet((Case(TEXT, tuple(expected)),))
    return app.run()


def extract(app: AppTest) -> AppTest:
    next(b for b in app.button if b.label == "Extract").click()
    return app.run()


def marks(app: AppTest) -> list[str]:
    html = html_text(app)
    return [part.split('"', 1)[0] for part in html.split('data-mark="')[1:]]


def test_cards_are_marked_correct_partial_and_invented(scored_env):
    app = extract(page_with_case())
    assert not app.exception
    assert marks(app) == ["correct", "partial", "invented"]
    html = html_text(app)
    assert "differs in <b>age</b> (expected 42)" in html


def test_a_missed_expected_entity_appears_as_a_ghost_card(scored_env):
    app = extract(page_with_case())
    html = html_text(app)
    assert "st-key-missed-card-2" in html and "Tom" in html.split("st-key-missed-card-2")[1]


def test_the_score_line_shows_precision_recall_and_f1(scored_env):
    app = extract(page_with_case())
    line = next(text.value for text in app.text if text.value.startswith("✓"))
    assert line == ("✓ 1 · ≈ 1 · ✗ 1 · missed 1 — precision 0.33 · recall 0.33 · F1 0.33")


def test_a_rerun_keeps_the_marks(scored_env):
    app = extract(page_with_case())
    app.run()
    assert marks(app) == ["correct", "partial", "invented"]


def test_an_expected_entity_that_does_not_validate_is_an_error_on_the_case(scored_env):
    app = page_with_case(({"name": "Jason", "age": "ten"},))
    warnings = [as_shown(w.value) for w in app.warning]
    assert any("expected entity 1: age" in w for w in warnings)


def test_a_card_becomes_an_expected_entity_in_one_click(scored_env):
    app = extract(page_with_case(expected=()))
    (picker,) = [group for group in app.get("button_group") if group.key.startswith("add-expected")]
    picker.set_value(1).run()
    assert not app.exception
    (case,) = app.session_state["cases"].cases
    assert case.expected == ({"name": "Mary", "age": 41},)
    shared = decode_state(app.query_params["s"])
    assert shared.cases is not None and shared.cases.cases == (case,)


def test_a_link_carries_the_cases_and_the_run_is_scored_against_them(scored_env):
    link = SharedState(
        schema=USER, text=TEXT, model="scored", cases=CaseSet((Case(TEXT, EXPECTED),))
    )
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params["s"] = encode_state(link)
    app = extract(app.run())
    assert not app.exception
    assert marks(app) == ["correct", "partial", "invented"]
