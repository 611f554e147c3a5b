"""The default playground on the real embedded model, as a new user first sees it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.harness import REPO

pytestmark = [pytest.mark.browser, pytest.mark.embedded]

README_SCREENSHOT = REPO / "docs/screenshots/playground.png"
MODEL_START_AND_RUN_MS = 120_000


def test_default_playground_extracts_the_example_with_the_embedded_model(playground, embedded_app):
    playground.open(embedded_app.url)
    expect(playground.page.get_by_role("radio", name="Embedded (tiny local model)")).to_be_checked()
    playground.extract_button.click()
    assert "Complete" in playground.wait_for_ending(timeout_ms=MODEL_START_AND_RUN_MS)
    assert playground.all_card_fields() == [
        {"name": "Jason", "age": "10"},
        {"name": "John", "age": "30"},
    ]
    assert '"Jason"' in playground.raw_stream()
    README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    playground.page.screenshot(path=README_SCREENSHOT, full_page=True)
