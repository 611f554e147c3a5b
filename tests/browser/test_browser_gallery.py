"""The gallery in a real chromium, on an app whose provider cannot be reached: an example opens
in the playground and its recorded run replays there, card by card, with no provider
(screenshot in docs/screenshots/gallery.png when ITERPLAY_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from iterplay.events import Entity
from iterplay.gallery import load_example
from tests.browser.harness import REPO, AppProcess, free_port
from tests.browser.playground_page import LOAD_TIMEOUT_MS, Playground

pytestmark = pytest.mark.browser

SCREENSHOT = REPO / "docs" / "screenshots" / "gallery.png"


@pytest.fixture(scope="module")
def offline_app(artifacts_dir, tmp_path_factory) -> Iterator[AppProcess]:
    """The app pointed at a loopback port nothing listens on: no provider at all."""
    env = {
        "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "OPENAI_API_KEY": "sk-nobody-listens",
        "ITERPLAY_LOG_DIR": str(tmp_path_factory.mktemp("offline-app-logs")),
        "ITERPLAY_DB": str(tmp_path_factory.mktemp("offline-history") / "history.db"),
    }
    with AppProcess(env, artifacts_dir / "offline-app.log") as process:
        yield process


def test_an_example_opens_in_the_playground_and_replays_with_no_provider(
    new_playground, offline_app
):
    playground = new_playground()
    page = playground.page
    playground.open(offline_app.url)
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Gallery").click()
    expect(page.get_by_role("heading", name="Gallery")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    expect(page.locator("[class*='st-key-gallery-example-']")).to_have_count(8)
    if os.environ.get("ITERPLAY_UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOT))

    example = load_example("people")
    recorded = [e.value["name"] for e in example.run_file.events if isinstance(e, Entity)]
    speed = page.get_by_role("radiogroup", name="Replay speed")
    speed.get_by_role("radio", name="4×", exact=True).click()
    expect(speed.get_by_role("radio", name="4×", exact=True)).to_be_checked()
    page.locator(".st-key-gallery-open-people button").click()

    Playground(page).ready()
    expect(page.locator(".st-key-replay-notice")).to_contain_text(
        "no provider is called", timeout=LOAD_TIMEOUT_MS
    )
    for index, name in enumerate(recorded):
        card = page.locator(f".st-key-entity-card-{index}")
        expect(card).to_contain_text(name, timeout=LOAD_TIMEOUT_MS)
    expect(page.locator("[data-testid='stAlert']").filter(has_text="Complete")).to_be_visible(
        timeout=LOAD_TIMEOUT_MS
    )
    assert playground.editor_text() == example.schema
    expect(playground.source_text).to_have_value(example.text)
    assert "sk-nobody-listens" not in page.content()
    log = offline_app.log_text()
    assert "Traceback" not in log
    assert not re.search(r"could not reach|connection refused", log, re.IGNORECASE)
