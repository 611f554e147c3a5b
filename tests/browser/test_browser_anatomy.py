"""The stream anatomy on the How it works page, in chromium, for a run made in the playground.

The scripted model writes a valid element, an invalid one and a valid one, each a pause after
the last: the scrubber then has moments with no card, some cards and every card, and at each
the cards on screen must be exactly the elements whose text had arrived. Screenshots of the view
go to docs/screenshots/ when ITERPLAY_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from iterplay.testing import Piece, Reply
from tests.browser.playground_page import (
    LOAD_TIMEOUT_MS,
    RUN_TIMEOUT_MS,
    Playground,
    eventually,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
JASON = '{"name": "Jason", "age": 10}'
BOB = '{"name": "Bob", "age": "old"}'
JOHN = '{"name": "John", "age": 30}'
ELEMENTS = [JASON, BOB, JOHN]
PAUSE = 0.4
RERUN_TIMEOUT_MS = 15_000  # a rerun of the page, on a loaded machine
CARDS = "[class*='st-key-anatomy-entity-card-'], [class*='st-key-anatomy-invalid-card-']"


def _reply() -> Reply:
    pieces = ["Here:\n", '{"tasks": [', JASON, ", ", BOB, ", ", JOHN, "]}"]
    return Reply(pieces=tuple(Piece(text, PAUSE) for text in pieces), channel="tool_call")


@pytest.fixture
def anatomy(playground: Playground, scenario) -> Page:
    """The How it works page after a run of three elements in the playground."""
    playground.open(scenario(_reply()))
    playground.extract_button.click()
    page = playground.page
    expect(page.locator(".st-key-entity-card-2")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    playground.visit_how_it_works()
    expect(page.locator(".st-key-anatomy-stream")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    return page


def stream_text(page: Page) -> str:
    return page.locator(".st-key-anatomy-stream .anatomy-stream").inner_text()


def cards_on_screen(page: Page) -> list[int]:
    keys = page.locator(CARDS).evaluate_all("cards => cards.map(card => card.className)")
    return sorted(int(re.search(r"card-(\d+)", key).group(1)) for key in keys)


def complete_in(text: str) -> list[int]:
    """The elements whose whole text (and so their closing brace) is in ``text``."""
    return [index for index, element in enumerate(ELEMENTS) if element in text]


def move_scrubber_to(page: Page, fraction: float) -> None:
    """Click the scrubber's track at ``fraction`` of its width; wait until the view redrew."""
    slider = page.locator(".st-key-anatomy-moment input[type='range']")
    before = slider.input_value()
    track = page.locator(".st-key-anatomy-moment [role='group'] > div").first
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
    expect(slider).not_to_have_value(before, timeout=RERUN_TIMEOUT_MS)
    summary = page.get_by_text(re.compile(r"^At \d+\.\d{4} s:"))
    expect(summary).to_contain_text(
        f"At {float(slider.input_value()):.4f} s:", timeout=RERUN_TIMEOUT_MS
    )


def cards_once_redrawn(page: Page) -> list[int]:
    """The cards on screen once they are exactly the elements complete in the text shown.

    Streamlit removes the cards of the previous moment only when the rerun ends, so this waits
    (with a deadline) for the column to settle; then it must hold."""
    eventually(lambda: cards_on_screen(page) == complete_in(stream_text(page)), timeout=15)
    return cards_on_screen(page)


def test_the_scrubber_shows_exactly_the_cards_that_existed_at_each_moment(anatomy):
    page = anatomy
    expect(page.locator(CARDS)).to_have_count(3)
    assert cards_once_redrawn(page) == [0, 1, 2]

    seen = []
    for fraction in (0.02, 0.5, 0.98):
        move_scrubber_to(page, fraction)
        seen.append(cards_once_redrawn(page))

    assert seen[0] == [] and 0 < len(seen[1]) < 3 and seen[2] == [0, 1, 2]
    if os.environ.get("ITERPLAY_UPDATE_SCREENSHOTS"):
        move_scrubber_to(page, 0.5)
        cards_once_redrawn(page)
        screenshot_view(page, "anatomy-scrubbed.png")


def test_choosing_a_card_highlights_its_span_and_choosing_a_span_its_card(anatomy):
    page = anatomy
    control = page.locator(".st-key-anatomy-element")
    selected_span = page.locator(".st-key-anatomy-stream .anatomy-selected")
    expect(selected_span).to_have_count(0)

    page.locator(".st-key-anatomy-show-1 button").click()

    expect(selected_span).to_have_text(BOB, timeout=RERUN_TIMEOUT_MS)
    expect(page.locator(".st-key-anatomy-invalid-card-1.anatomy-selected")).to_have_count(1)
    expect(control.get_by_role("radio", name="#1 ⚠️")).to_have_attribute("aria-checked", "true")

    control.get_by_role("radio", name="#2", exact=True).click()

    expect(selected_span).to_have_text(JOHN, timeout=RERUN_TIMEOUT_MS)
    expect(page.locator(".st-key-anatomy-entity-card-2.anatomy-selected")).to_have_count(1)
    expect(page.locator(".iterplay-card.anatomy-selected")).to_have_count(1)
    if os.environ.get("ITERPLAY_UPDATE_SCREENSHOTS"):
        screenshot_view(page, "anatomy.png")


def test_the_timeline_chart_renders(anatomy):
    chart = anatomy.locator(".st-key-anatomy-timeline")

    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    box = chart.bounding_box()
    assert box is not None and box["height"] > 100


def screenshot_view(page: Page, name: str) -> None:
    """The stream section, from the scrubber to the chart, into docs/screenshots/``name``."""
    page.set_viewport_size({"width": 1440, "height": 1800})
    scrubber, chart = (
        page.locator(".st-key-anatomy-moment"),
        page.locator(".st-key-anatomy-timeline"),
    )
    scrubber.evaluate("element => element.scrollIntoView({block: 'start'})")
    top, bottom = scrubber.bounding_box(), chart.bounding_box()
    assert top is not None and bottom is not None
    clip = {
        "x": top["x"] - 16,
        "y": max(top["y"] - 16, 0),
        "width": top["width"] + 32,
        "height": bottom["y"] + bottom["height"] - top["y"] + 48,
    }
    page.screenshot(path=str(SCREENSHOTS / name), clip=clip)
