"""Live scoring in the browser: mark the right answers, extract, see ✓/≈/✗, a ghost card and
the score line (screenshot in docs/screenshots/scoring.png when ITERPLAY_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from iterplay.share import SharedState
from iterplay.testing import Reply
from tests.browser.playground_page import share_link

pytestmark = pytest.mark.browser

USER = "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
TEXT = "Jason is 10, Mary is 42 and Tom is 7."
EXPECTED = [{"name": "Jason", "age": 10}, {"name": "Mary", "age": 42}, {"name": "Tom", "age": 7}]
REPLY = {
    "tasks": [{"name": "Jason", "age": 10}, {"name": "Mary", "age": 41}, {"name": "Zed", "age": 3}]
}
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "scoring.png"


def test_marked_answers_score_the_run_live(playground, app, provider_server):
    provider_server.script("scoring", Reply.from_text(json.dumps(REPLY), channel="tool_call"))
    playground.open(share_link(app.url, SharedState(schema=USER, text=TEXT, model="scoring")))
    cases = playground.open_expander("Expected entities")
    cases.get_by_role("button", name="Start a case for this text").click()
    expected = playground.open_expander("Expected entities").locator("textarea")
    expected.fill(json.dumps(EXPECTED))
    expected.press("Control+Enter")
    expect(playground.open_expander("Expected entities")).to_contain_text(
        "3 expected for this text"
    )

    playground.extract()

    page = playground.page
    for index, mark in enumerate(["correct", "partial", "invented"]):
        card = page.locator(f".st-key-entity-card-{index}")
        expect(card.locator(f"[data-mark='{mark}']")).to_have_count(1)
    expect(page.locator(".st-key-entity-card-1")).to_contain_text("differs in age (expected 42)")
    expect(page.locator(".st-key-missed-card-2")).to_contain_text("Tom")
    expect(page.get_by_text("✓ 1 · ≈ 1 · ✗ 1 · missed 1 — precision 0.33")).to_be_visible()
    if os.environ.get("ITERPLAY_UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_adding_a_card_to_the_expected_entities_does_not_run_the_extraction_again(
    playground, app, provider_server
):
    model = "scoring-once"
    provider_server.script(model, Reply.from_text(json.dumps(REPLY), channel="tool_call"))
    playground.open(share_link(app.url, SharedState(schema=USER, text=TEXT, model=model)))
    playground.extract()
    page = playground.page
    picker = page.locator("[class*='st-key-add-expected-']")
    picker.get_by_text("＋ #1").click()
    # The click reruns the output (its fragment) alone: the card becomes an expected entity...
    playground.visit_how_it_works()
    playground.visit_playground()
    expect(playground.open_expander("Expected entities")).to_contain_text(
        "1 expected for this text"
    )
    # ... and the run that Extract started is not started again by that rerun.
    assert [body["model"] for body in provider_server.requests].count(model) == 1
