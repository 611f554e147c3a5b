"""The playground's layout at 1440×900: Extract always in view, Ctrl+Enter runs, the output
follows the stream, many entities fit in a table, and the theme follows the browser."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from iterplay.testing import Piece, Reply
from tests.browser.playground_page import USER, eventually

pytestmark = pytest.mark.browser

TWO_MODELS = USER + "\n\nclass Product(BaseModel):\n    title: str\n"
BROKEN = USER + "    zip: Intt\n"
LONG_SCHEMA = USER + "".join(f"    field_{n}: str | None = None\n" for n in range(24))


def people(count: int) -> list[dict]:
    return [{"name": f"person-{n}", "age": n} for n in range(count)]


def one_element_per_piece(elements: list[dict], pause: float) -> Reply:
    """``{"tasks": [`` then one element per piece, each ``pause`` seconds after the last."""
    pieces = [Piece('{"tasks": [\n')]
    pieces += [
        Piece(("" if n == 0 else ",\n") + json.dumps(element, indent=1), pause)
        for n, element in enumerate(elements)
    ]
    pieces.append(Piece("\n]}", pause))
    return Reply(pieces=tuple(pieces), channel="tool_call")


def at_bottom(pane) -> bool:
    return pane.evaluate("e => e.scrollHeight - e.scrollTop - e.clientHeight < 2")


def scrolls(pane) -> bool:
    return pane.evaluate("e => e.scrollHeight > e.clientHeight + 50")


@pytest.mark.parametrize(
    "schema",
    [USER, BROKEN, TWO_MODELS, LONG_SCHEMA],
    ids=["default", "schema-error", "target-picker", "long-schema"],
)
def test_extract_and_stop_are_in_view_without_scrolling(playground, scenario, schema):
    playground.open(scenario(Reply.from_text("{}"), schema=schema))
    expect(playground.page.get_by_text("Schema as")).to_be_visible()
    assert playground.in_viewport(playground.extract_button)
    assert playground.in_viewport(playground.stop_button)


def test_extract_stays_in_view_wherever_the_page_is_scrolled(playground, scenario):
    playground.open(scenario(Reply.from_text("{}"), schema=LONG_SCHEMA))
    playground.open_expander("System prompt")
    main = playground.page.locator("[data-testid='stMain']")
    bottom = main.evaluate("main => main.scrollHeight - main.clientHeight")
    assert bottom > 300, "the page is too short to test scrolling"
    for top in [*range(0, bottom, 150), bottom]:
        main.evaluate("(main, top) => { main.scrollTop = top; }", top)
        assert playground.in_viewport(playground.extract_button), f"scrolled to {top}"
    playground.extract_button.click()
    playground.wait_for_ending()


def test_ctrl_enter_in_the_text_box_runs_with_the_text_just_typed(
    playground, scenario, provider_server
):
    playground.open(
        scenario(Reply.from_text(json.dumps({"tasks": people(2)}), channel="tool_call"))
    )
    playground.source_text.fill("Zoe is 5 and Max is 6.")
    # As after a typed key: the widget has seen the edit (its hint says so) before the press.
    expect(playground.widget("source_text").get_by_test_id("InputInstructions")).to_contain_text(
        "to apply"
    )
    playground.source_text.press("Control+Enter")
    assert "Complete" in playground.wait_for_ending()
    expect(playground.entity_cards).to_have_count(2)
    assert "Zoe is 5 and Max is 6." in json.dumps(provider_server.requests[-1]["messages"])


def test_ctrl_enter_in_the_editor_runs_with_the_field_just_typed(
    playground, scenario, provider_server
):
    playground.open(
        scenario(Reply.from_text(json.dumps({"tasks": people(2)}), channel="tool_call"))
    )
    playground.type_at_end_of_editor("    city: str | None = None")
    playground.page.keyboard.press("Control+Enter")
    assert "Complete" in playground.wait_for_ending()
    parameters = provider_server.requests[-1]["tools"][0]["function"]["parameters"]
    assert "city" in json.dumps(parameters)
    assert playground.editor_text().endswith("    city: str | None = None")


def test_raw_pane_and_card_list_keep_the_newest_part_in_view(playground, scenario):
    playground.open(scenario(one_element_per_piece(people(40), pause=0.08)))
    playground.extract_button.click()
    expect(playground.entity_card(20)).to_be_attached()
    raw = playground.page.locator(".st-key-raw-stream")
    cards = playground.page.locator(".st-key-entity-list")
    assert scrolls(raw) and scrolls(cards)
    eventually(lambda: at_bottom(raw) and at_bottom(cards))
    playground.wait_for_ending()
    eventually(lambda: at_bottom(raw) and at_bottom(cards))
    expect(playground.entity_card(39)).to_be_in_viewport()


def test_a_lanes_raw_pane_and_card_list_keep_its_newest_part_in_view(
    playground, scenario, provider_server
):
    reply = one_element_per_piece(people(40), pause=0.08)
    provider_server.script("lane-1-of-the-layout-test", reply)
    lane = {"model": "lane-1-of-the-layout-test", "mode": None, "system_prompt": None}
    playground.open(scenario(reply, lanes=[{**lane, "temperature": None}]))
    playground.extract_button.click()
    page = playground.page
    expect(page.locator(".st-key-lane1-entity-card-20")).to_be_attached()
    raw = page.locator(".st-key-lane1-raw-stream")
    cards = page.locator(".st-key-lanes-entity-list")
    assert scrolls(raw) and scrolls(cards)
    eventually(lambda: at_bottom(raw) and at_bottom(cards))
    expect(page.locator(".st-key-lane1-entity-card-39")).to_be_attached(timeout=15_000)
    eventually(lambda: at_bottom(raw) and at_bottom(cards))


def test_each_lanes_cards_sit_in_its_column_and_the_kth_cards_of_the_lanes_in_one_row(
    playground, scenario, provider_server
):
    # The lanes' cards are drawn in one grid (components/lane_cards.py), placed by CSS.
    replies = {1: one_element_per_piece(people(3), pause=0.05)}
    replies[2] = one_element_per_piece(people(5), pause=0.03)
    lanes = []
    for number, reply in replies.items():
        provider_server.script(f"grid-lane-{number}", reply)
        lane = {"model": f"grid-lane-{number}", "mode": None, "system_prompt": None}
        lanes.append({**lane, "temperature": None})
    playground.open(scenario(one_element_per_piece(people(2), pause=0.05), lanes=lanes))
    playground.extract_button.click()
    page = playground.page
    expect(playground.ending).to_have_count(3, timeout=15_000)
    boxes = {}
    for number, reply in replies.items():
        column = page.locator(f".st-key-lane{number}-raw-stream").bounding_box()
        for index in range(len(reply.pieces) - 2):
            card = page.locator(f".st-key-lane{number}-entity-card-{index}")
            card.scroll_into_view_if_needed()
            box = boxes[number, index] = card.bounding_box()
            middle = box["x"] + box["width"] / 2
            assert column["x"] < middle < column["x"] + column["width"], (number, index)
    for index in range(3):
        assert abs(boxes[1, index]["y"] - boxes[2, index]["y"]) < 2, index
    assert boxes[2, 4]["y"] > boxes[2, 3]["y"] > boxes[2, 2]["y"]


def test_a_pane_scrolled_up_by_the_user_stays_where_they_put_it(playground, scenario):
    playground.open(scenario(one_element_per_piece(people(60), pause=0.08)))
    playground.extract_button.click()
    expect(playground.entity_card(12)).to_be_attached()
    raw = playground.page.locator(".st-key-raw-stream")
    raw.hover()
    playground.page.mouse.wheel(0, -100_000)
    eventually(lambda: raw.evaluate("e => e.scrollTop") == 0)
    expect(playground.entity_card(40)).to_be_attached()
    assert raw.evaluate("e => e.scrollTop") == 0
    playground.wait_for_ending()
    assert raw.evaluate("e => e.scrollTop") == 0


def test_entities_can_be_shown_as_a_table_instead_of_cards(playground, scenario):
    playground.open(
        scenario(Reply.from_text(json.dumps({"tasks": people(30)}), channel="tool_call"))
    )
    assert "Complete" in playground.extract()
    playground.show_entities_as("Table")
    expect(playground.entity_table).to_be_visible()
    expect(playground.entity_cards).to_have_count(0)
    playground.show_entities_as("Cards")
    expect(playground.entity_cards).to_have_count(30)


def test_switching_to_the_table_during_a_run_does_not_stop_it(playground, scenario):
    playground.open(scenario(one_element_per_piece(people(12), pause=0.25)))
    playground.extract_button.click()
    expect(playground.entity_card(1)).to_be_attached()
    playground.show_entities_as("Table")
    assert "Complete" in playground.wait_for_ending()
    expect(playground.entity_table).to_be_visible()
    expect(playground.page.get_by_text("12 entities", exact=False)).to_be_visible()


def test_the_app_follows_a_dark_browser_preference(new_playground, scenario):
    playground = new_playground(color_scheme="dark").open(scenario(Reply.from_text("{}")))
    background = playground.page.locator(".stApp").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    red, green, blue = (int(part) for part in background[4:-1].split(",")[:3])
    assert red + green + blue < 3 * 80, background
    editor_theme = "element => element.env.editor.getTheme()"
    eventually(lambda: playground.editor.evaluate(editor_theme) == "ace/theme/tomorrow_night")
