"""Extraction in the browser: share link -> Extract -> cards, error cards, endings, Stop."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from iterplay.share import SharedState
from iterplay.testing import Reply
from tests.browser.playground_page import USER, share_link
from tests.ports import open_connections

pytestmark = pytest.mark.browser

PEOPLE = [{"name": "Ann", "age": 31}, {"name": "Bob", "age": 42}, {"name": "Cy", "age": 7}]


def tasks_json(elements: Sequence[dict]) -> str:
    return json.dumps({"tasks": list(elements)})


def first_then_gate(gate: str, elements: Sequence[dict] = (PEOPLE[0], PEOPLE[1])) -> Reply:
    """The first element at once; the rest only once the test opens ``gate`` (if ever)."""
    return Reply.held_after_first_element(tasks_json(elements), gate, channel="tool_call")


def test_share_link_prefills_text_schema_and_mode_and_extract_uses_them(
    playground, scenario, provider_server
):
    link = scenario(
        Reply.from_text(tasks_json(PEOPLE), channel="content"),
        text="Ann, Bob and Cy.",
        mode="json_schema",
    )
    playground.open(link)
    assert playground.editor_text() == USER
    expect(playground.source_text).to_have_value("Ann, Bob and Cy.")
    expect(playground.mode).to_have_value(re.compile(r"^json_schema —"))
    assert "Complete" in playground.extract()
    expect(playground.entity_cards).to_have_count(3)
    request = provider_server.requests[-1]
    assert request["response_format"]["type"] == "json_schema"
    assert "Ann, Bob and Cy." in json.dumps(request["messages"])


def test_extract_shows_one_card_per_entity_with_its_values(playground, scenario):
    playground.open(scenario(Reply.from_text(tasks_json(PEOPLE), channel="tool_call")))
    assert "Complete" in playground.extract()
    expect(playground.entity_cards).to_have_count(3)
    assert playground.all_card_fields() == [
        {"name": "Ann", "age": "31"},
        {"name": "Bob", "age": "42"},
        {"name": "Cy", "age": "7"},
    ]
    expect(playground.invalid_cards).to_have_count(0)


def test_raw_stream_pane_shows_exactly_the_streamed_text(playground, scenario):
    streamed = '{"tasks": [\n  {"name": "Ann", "age": 31},\n  {"name": "Bob", "age": 42}\n]}'
    playground.open(scenario(Reply.from_text(streamed, chunk_size=5, channel="tool_call")))
    playground.extract()
    assert playground.raw_stream() == streamed


def test_invalid_element_gets_an_error_card_and_later_entities_still_appear(playground, scenario):
    elements = [PEOPLE[0], {"name": "Bob", "age": "forty-two"}, PEOPLE[2]]
    playground.open(scenario(Reply.from_text(tasks_json(elements), channel="tool_call")))
    playground.extract()
    expect(playground.entity_card(0)).to_be_visible()
    invalid = playground.invalid_card(1)
    expect(invalid).to_contain_text("failed validation")
    expect(invalid).to_contain_text("Input should be a valid integer")
    expect(invalid).to_contain_text('"age": "forty-two"')
    expect(playground.entity_card(2)).to_contain_text("Cy")
    expect(playground.entity_cards).to_have_count(2)


def test_truncated_run_says_so_and_keeps_the_entities_before_it(playground, scenario):
    text = tasks_json(PEOPLE)
    cut = text.index('{"name": "Bob"') + 10
    reply = Reply.from_text(text[:cut], channel="tool_call", finish_reason="length")
    playground.open(scenario(reply))
    ending = playground.extract()
    assert "Truncated" in ending and "max-tokens limit" in ending
    expect(playground.entity_cards).to_have_count(1)
    assert playground.card_fields(0) == {"name": "Ann", "age": "31"}


def test_cut_connection_says_so_and_keeps_the_entities_before_it(playground, scenario):
    pieces = [json.dumps(PEOPLE[0]).join(['{"tasks": [', ", "]), '{"name": "Bo', 'b", "age": 42}]}']
    playground.open(scenario(Reply.from_pieces(pieces, channel="tool_call", drop_after=2)))
    ending = playground.extract()
    assert "Cut off" in ending and "the connection closed" in ending
    expect(playground.entity_cards).to_have_count(1)
    assert playground.card_fields(0) == {"name": "Ann", "age": "31"}


def test_two_sessions_at_once_see_only_their_own_runs(
    new_playground, scenario, provider_server, request
):
    """One session's run is held after its first card while another session runs and finishes;
    only then is the first one let go."""
    slow, fast, bystander = new_playground(), new_playground(), new_playground()
    gate = f"{request.node.name}-slow"
    slow_link = scenario(first_then_gate(gate, PEOPLE))
    fast_link = scenario(
        Reply.from_text(tasks_json([{"name": "Zed", "age": 99}]), channel="tool_call"),
        text="Zed is 99.",
    )
    slow.open(slow_link)
    fast.open(fast_link)
    bystander.open(slow_link)
    slow.extract_button.click()
    expect(slow.entity_card(0)).to_be_visible()
    fast.extract()
    expect(slow.ending).to_have_count(0)  # the slow run is still going: the two overlapped
    provider_server.open_gate(gate)
    slow.wait_for_ending()
    assert [card["name"] for card in slow.all_card_fields()] == ["Ann", "Bob", "Cy"]
    assert fast.all_card_fields() == [{"name": "Zed", "age": "99"}]
    expect(bystander.entity_cards).to_have_count(0)
    expect(bystander.ending).to_have_count(0)
    assert "Zed" not in slow.page_text() and "Ann" not in fast.page_text()


def test_a_new_run_does_not_show_the_previous_runs_output_beside_it(
    playground, scenario, provider_server, request
):
    """The second run is held after its first card: by then nothing of the first run, whose
    cards came one by one, is on the page, faded or not."""
    gate = f"{request.node.name}-second"
    one_by_one = Reply.from_text(tasks_json(PEOPLE), chunk_size=7, pause=0.1, channel="tool_call")
    held = first_then_gate(gate, [{"name": "Zed", "age": 99}, {"name": "Yan", "age": 98}])
    playground.open(scenario(one_by_one, held, text="People."))
    playground.extract()
    assert [card["name"] for card in playground.all_card_fields()] == ["Ann", "Bob", "Cy"]

    playground.extract_button.click()
    expect(playground.entity_card(0)).to_contain_text("Zed")

    expect(playground.entity_cards).to_have_count(1)
    expect(playground.ending).to_have_count(0)
    expect(playground.page.get_by_text("Add a card to the expected entities")).to_have_count(0)
    assert "Bob" not in playground.raw_stream() and "Cy" not in playground.page_text()
    provider_server.open_gate(gate)
    assert "Complete" in playground.wait_for_ending()


def test_stop_during_a_pause_keeps_the_first_card_and_says_stopped(playground, scenario):
    """Stop works while the provider is silent: it shows within seconds, whereas the rest of
    the answer never comes."""
    playground.open(scenario(first_then_gate("never")))
    playground.extract_button.click()
    expect(playground.entity_card(0)).to_be_visible()
    playground.stop_button.click()
    expect(playground.ending).to_contain_text("Stopped", timeout=5_000)
    assert playground.card_fields(0) == {"name": "Ann", "age": "31"}
    expect(playground.entity_cards).to_have_count(1)


def test_a_rate_limited_run_says_it_waits_then_shows_the_cards(playground, scenario):
    """The wait is long enough to be seen on a busy machine, and within the 10 s cap."""
    limited = Reply(status=429, error={"message": "Slow down."}, headers={"Retry-After": "8"})
    answer = Reply.from_text(tasks_json(PEOPLE[:1]), channel="tool_call")
    playground.open(scenario(limited, answer))
    playground.extract_button.click()
    notice = playground.page.get_by_text(re.compile(r"Retrying in 8 s \(retry 1 of 2\)"))
    expect(notice).to_be_visible()
    # Provider text is inert markdown: invisible word joiners break what could become a link.
    shown = notice.inner_text().replace("\u2060", "")
    assert "rate limiting requests (429): Slow down." in shown
    assert "Complete" in playground.wait_for_ending()
    expect(notice).to_have_count(0)
    assert playground.all_card_fields() == [{"name": "Ann", "age": "31"}]


def test_stop_before_the_first_token_shows_the_time_until_stop(playground, scenario):
    """The provider holds its answer back; the live clock passes a second, then Stop."""
    playground.open(scenario(Reply(headers_delay=60, channel="tool_call")))
    playground.extract_button.click()
    expect(playground.stats_line).to_contain_text(re.compile(r"elapsed [1-9]\d*\.\d\d s"))
    playground.stop_button.click()
    expect(playground.ending).to_contain_text("Stopped", timeout=5_000)
    assert playground.elapsed_seconds() >= 1.0


def test_stop_while_the_provider_is_silent_needs_no_clock_tick(
    new_playground, tuned_app, provider_server
):
    """The loop waiting on a silent provider sends nothing between clock ticks, and Stop must
    not wait for one (the clock ticks once a second): here it never ticks, and Stop shows."""
    silent = tuned_app({"components.run_view.TICK_SECONDS": 3600})
    provider_server.script("silent-no-tick", first_then_gate("never"))
    playground = new_playground()
    state = SharedState(schema=USER, text="Ann is 31 and Bob 42.", model="silent-no-tick")
    playground.open(share_link(silent.url, state))
    playground.extract_button.click()
    expect(playground.entity_card(0)).to_be_visible()
    playground.stop_button.click()
    expect(playground.ending).to_contain_text("Stopped", timeout=5_000)
    assert playground.card_fields(0) == {"name": "Ann", "age": "31"}
    assert "Traceback" not in silent.log_text()


@pytest.mark.parametrize("attempt", range(3))
def test_an_edit_while_the_provider_is_silent_leaves_the_run_to_the_new_page_run(
    new_playground, tuned_app, provider_server, attempt
):
    """The edit starts a new page run at once and the old one, following the same run, goes
    on until its next Streamlit call: with no clock tick to make one, it must still end before
    it takes the events that come after the edit (``stop_point``), or the page never shows the
    ending. Either run may take them first, hence a few attempts."""
    silent = tuned_app({"components.run_view.TICK_SECONDS": 3600})
    gate, model = f"silent-edit-{attempt}", f"silent-edit-{attempt}"
    provider_server.script(model, first_then_gate(gate, PEOPLE))
    playground = new_playground()
    state = SharedState(schema=USER, text="Ann is 31, Bob is 42 and Cy is 7.", model=model)
    playground.open(share_link(silent.url, state))
    playground.extract_button.click()
    expect(playground.entity_card(0)).to_be_visible()
    playground.set_editor_text(USER.rstrip() + "\n    nickname: str | None = None\n")
    expect(playground.page.get_by_text("Out of date")).to_be_visible()
    provider_server.open_gate(gate)
    assert "Complete" in playground.wait_for_ending()
    assert [playground.card_fields(i)["name"] for i in range(3)] == ["Ann", "Bob", "Cy"]
    assert "Traceback" not in silent.log_text()


def test_stop_closes_the_connection_to_the_provider(playground, scenario, provider_server):
    port = urlsplit(provider_server.url).port
    playground.open(scenario(first_then_gate("never")))
    before = open_connections(port)
    playground.extract_button.click()
    expect(playground.entity_card(0)).to_be_visible()
    run_connections = open_connections(port) - before
    assert run_connections
    playground.stop_button.click()
    expect(playground.ending).to_contain_text("Stopped", timeout=5_000)
    deadline = time.monotonic() + 3
    while run_connections & open_connections(port):
        assert time.monotonic() < deadline, "the run's provider connection is still open"
        time.sleep(0.1)


def test_editing_the_schema_during_a_run_does_not_stop_it(playground, scenario, provider_server):
    """The run belongs to the session: the edit draws the page again, the stream goes on, and
    the results say they came from the schema as it was."""
    gate = "after-the-edit"
    playground.open(scenario(first_then_gate(gate, PEOPLE)))
    playground.extract_button.click()
    expect(playground.entity_card(0)).to_be_visible()
    playground.set_editor_text(USER.rstrip() + "\n    nickname: str | None = None\n")
    expect(playground.page.get_by_text("Out of date")).to_be_visible()
    expect(playground.ending).to_have_count(0)  # still streaming: the edit did not end it
    provider_server.open_gate(gate)
    assert "Complete" in playground.wait_for_ending()
    assert [card["name"] for card in playground.all_card_fields()] == ["Ann", "Bob", "Cy"]


def test_two_lanes_against_two_models_stream_at_the_same_time(
    playground, scenario, provider_server, request
):
    """Lane 0 is held after its first card; lane 1's card shows meanwhile, in its own column."""
    gate = f"{request.node.name}-lane-0"
    lane_model = f"{request.node.name}-lane-1"
    provider_server.script(
        lane_model, Reply.from_text(tasks_json([{"name": "Zed", "age": 99}]), channel="tool_call")
    )
    lane = {"model": lane_model, "mode": None, "system_prompt": None, "temperature": None}
    playground.open(scenario(first_then_gate(gate, PEOPLE), lanes=[lane]))
    playground.extract_button.click()
    expect(playground.entity_card(0)).to_be_visible()
    lane_card = playground.page.locator(".st-key-lane1-entity-card-0")
    expect(lane_card).to_contain_text("Zed")
    expect(playground.entity_cards).to_have_count(1)  # lane 0 has not finished
    provider_server.open_gate(gate)
    expect(playground.ending).to_have_count(2, timeout=30_000)
    assert [card["name"] for card in playground.all_card_fields()] == ["Ann", "Bob", "Cy"]
    expect(playground.page.locator(".st-key-lane1-raw-stream")).to_contain_text("Zed")
    expect(playground.page.get_by_text(re.compile("^Lane diff"))).to_be_visible()
