"""Lanes in the playground (AppTest): variants of the run raced beside it, and their diff."""

from __future__ import annotations

import pytest

from components.entity_cards import CARD_STYLE
from components.raw_stream_pane import PANE_STYLE
from iterplay.testing import Reply
from tests.test_app import TWO_USERS, html_text, open_page

OTHER_USERS = '{"tasks": [{"name": "Jason", "age": 11}, {"name": "Mary", "age": 42}]}'


@pytest.fixture
def two_models(monkeypatch, scripted_server):
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test-key-123456")
    monkeypatch.setenv("ITERPLAY_MODEL", "two-users")
    scripted_server.script("two-users", Reply.from_text(TWO_USERS, channel="tool_call"))
    scripted_server.script("other-users", Reply.from_text(OTHER_USERS, channel="tool_call"))
    return scripted_server


def add_lane(app, model: str):
    app.button(key="add-lane").click().run()
    number = sum(1 for box in app.text_input if box.key.startswith("lane-setting-"))
    app.text_input(key=f"lane-setting-{number}-model").input(model).run()
    return app


def test_a_lane_runs_its_own_model_beside_lane_0_with_its_own_cards(two_models):
    app = add_lane(open_page(), "other-users")
    app.button(key="extract").click().run()
    assert not app.exception
    html = html_text(app)
    assert "st-key-entity-card-1" in html and "st-key-lane1-entity-card-1" in html
    lane_card = html.split("st-key-lane1-entity-card-1")[1]
    assert "Mary" in lane_card.split("st-key-")[0]
    assert {request["model"] for request in two_models.requests[-2:]} == {
        "two-users", "other-users",
    }  # fmt: skip


def test_lanes_use_the_styles_lane_0_puts_on_the_page_instead_of_their_own(two_models):
    # Each <style> the browser adds restyles the whole page, while the first cards are due.
    app = add_lane(add_lane(open_page(), "other-users"), "two-users")
    app.button(key="extract").click().run()
    assert not app.exception
    assert "st-key-lane2-entity-card-1" in html_text(app)
    bodies = [element.proto.body for element in app.get("html")]
    assert sum(CARD_STYLE.strip() in body for body in bodies) == 1
    assert sum(PANE_STYLE.strip() in body for body in bodies) == 1


def test_an_input_changed_with_the_click_on_extract_is_the_one_the_run_uses(two_models):
    app = add_lane(open_page(), "two-users")
    # Typed and clicked in one interaction (a field without an on_change, as the browser sends
    # a text's last keystrokes with the click): the page reruns in full and the lane runs the
    # model now in the field, not the one the page last drew.
    app.text_input(key="lane-setting-1-model").input("other-users")
    app.button(key="extract").click().run()
    assert not app.exception
    assert {request["model"] for request in two_models.requests[-2:]} == {
        "two-users", "other-users",
    }  # fmt: skip
    assert app.text_input(key="lane-setting-1-model").value == "other-users"


def test_the_lane_diff_says_what_all_some_and_one_lane_found(two_models):
    app = add_lane(open_page(), "other-users")
    app.button(key="extract").click().run()
    summary = next(e.label for e in app.expander if e.label.startswith("Lane diff"))
    # Jason/10 and Jason/11 pair with a differing age; John only in lane 0, Mary only in lane 1.
    assert summary == (
        "Lane diff — 0 found by all lanes · 0 by some · 3 by one · 1 with differing fields"
    )


def test_lanes_are_at_most_four_and_one_can_be_removed(two_models):
    app = open_page()
    for _ in range(3):
        app.button(key="add-lane").click().run()
    assert not [b for b in app.button if b.key == "add-lane"]
    app.button(key="lane-setting-2-remove").click().run()
    assert [b for b in app.button if b.key == "add-lane"]
    assert len(app.session_state["lanes"]) == 2


def test_a_share_link_with_lanes_restores_them_and_the_address_bar_keeps_them(two_models):
    from iterplay.share import SharedState, decode_state, encode_state
    from tests.test_app import USER

    lanes = [{"model": "other-users", "mode": "json", "system_prompt": None, "temperature": 0.5}]
    app = open_page(
        encode_state(SharedState(schema=USER, text="x", model="two-users", lanes=lanes))
    )
    assert app.text_input(key="lane-setting-1-model").value == "other-users"
    assert app.selectbox(key="lane-setting-1-mode").value == "json"
    assert decode_state(app.query_params["s"]).lanes == lanes


def test_a_lane_edited_is_in_the_address_bar_and_the_share_box_at_once(two_models):
    # Extract reruns only the output: a page run that drew the link before the lanes took
    # the edit would leave it in neither until some later edit (a reload lost the lane).
    from iterplay.share import decode_state

    app = add_lane(open_page(), "other-users")
    app.number_input(key="lane-setting-1-temperature").set_value(0.7).run()
    token = app.query_params["s"]
    [lane] = decode_state(token).lanes
    assert (lane["model"], lane["temperature"]) == ("other-users", 0.7)
    assert any(token in block.value for block in app.code)


def test_a_lane_that_failed_before_any_entity_is_left_out_of_the_diff_and_named(two_models):
    app = add_lane(add_lane(open_page(), "other-users"), "no-such-model")
    app.button(key="extract").click().run()
    assert not app.exception
    summary = next(e.label for e in app.expander if e.label.startswith("Lane diff"))
    assert summary == (
        "Lane diff — 0 found by all lanes · 0 by some · 3 by one · 1 with differing fields "
        "(lane 2 failed, left out)"
    )


def test_with_one_lane_left_to_compare_there_is_no_diff_and_it_says_why(two_models):
    app = add_lane(open_page(), "no-such-model")
    app.button(key="extract").click().run()
    assert not app.exception
    assert not [e for e in app.expander if e.label.startswith("Lane diff")]
    assert any(
        caption.value == "No lane diff: fewer than two lanes found anything to compare "
        "(lane 1 failed, left out)."
        for caption in app.caption
    )
