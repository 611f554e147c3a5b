"""The default playground on the real embedded model, as a new user first sees it."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.browser.harness import REPO

pytestmark = [pytest.mark.browser, pytest.mark.embedded]

README_SCREENSHOT = REPO / "docs/screenshots/playground.png"
UPDATE_SCREENSHOTS = os.environ.get("ITERPLAY_UPDATE_SCREENSHOTS") == "1"
MODEL_START_AND_RUN_MS = 120_000


def test_default_playground_extracts_the_example_with_the_embedded_model(
    playground, embedded_app, artifacts_dir
):
    """The first Extract says the model is starting, with an estimate, beside the button.

    Also the README's screenshot: ITERPLAY_UPDATE_SCREENSHOTS=1 ./test.sh writes it anew.
    """
    playground.open(embedded_app.url)
    expect(playground.page.get_by_role("radio", name="Embedded (tiny local model)")).to_be_checked()
    playground.extract_button.click()
    starting = playground.page.locator(".st-key-run-toolbar").get_by_text("Starting the embedded")
    expect(starting).to_be_in_viewport()
    expect(starting).to_contain_text(re.compile(r"\d+ to \d+ s"))
    assert "Complete" in playground.wait_for_ending(timeout_ms=MODEL_START_AND_RUN_MS)
    assert playground.all_card_fields() == [
        {"name": "Jason", "age": "10"},
        {"name": "John", "age": "30"},
    ]
    assert '"Jason"' in playground.raw_stream()
    target = README_SCREENSHOT if UPDATE_SCREENSHOTS else artifacts_dir / "playground.png"
    playground.page.screenshot(path=target, full_page=True)
