"""A link straight to a page, as the first visit of a freshly started app, gets the app's pages.

Streamlit treats a ``pages/`` directory beside ``app.py`` as a legacy multipage app until
``app.py`` first calls ``st.navigation``; before ``components/navigation.py`` a link to
``/history`` opened after a restart showed the directory's files in the sidebar (``app``,
``compare``, ``gallery``, ...) and the page without the app's page config. It needs an app
process no one has visited yet, so this module starts its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import VIEWPORT, scripted_provider_env
from tests.browser.harness import AppProcess

# The sidebar shows each page as its icon and its title.
APP_PAGES = [
    re.compile(f"{title}$")
    for title in ("Playground", "Gallery", "History", "Compare", "How it works")
]


@pytest.fixture
def fresh_app(provider_server, artifacts_dir, tmp_path) -> Iterator[AppProcess]:
    env = scripted_provider_env(provider_server, tmp_path) | {
        "ITERPLAY_DB": str(tmp_path / "history.db")
    }
    with AppProcess(env, artifacts_dir / "fresh-app.log") as process:
        yield process


def test_a_link_to_a_page_opened_first_after_a_start_shows_the_apps_pages(
    fresh_app, browser, artifacts_dir
):
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{fresh_app.url}history")
        expect(page.get_by_role("heading", name="History", level=1)).to_be_visible(timeout=30_000)
        links = page.get_by_test_id("stSidebarNavLink")
        expect(links).to_have_text(APP_PAGES)
        links.filter(has_text="Playground").click()
        expect(page.get_by_role("button", name="Extract")).to_be_visible(timeout=30_000)
        expect(links).to_have_text(APP_PAGES)
        page.screenshot(path=artifacts_dir / "fresh-app-history-link.png", full_page=True)
    finally:
        context.close()
    assert "Traceback" not in fresh_app.log_text()
