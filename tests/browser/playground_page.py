"""A page object for the playground: what a test can do and see, in the app's own terms.

It only uses the stable hooks of DESIGN "UI test hooks" (the primary **Extract** button, the
``st-key-...`` classes of cards and panes) plus widget labels a user reads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import quote

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from iterplay.share import SharedState, encode_state

USER = "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
EDITOR_IFRAME = "iframe[title='streamlit_ace.streamlit_ace']"
ENTITY_CARDS = "[class*='st-key-entity-card-']"
INVALID_CARDS = "[class*='st-key-invalid-card-']"
ENDING = re.compile(r"(Complete|Truncated|Cut off|Limit reached|Stopped|Failed|Incomplete) —")
ELAPSED = re.compile(r"elapsed (\d+\.\d+) s")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \".*\", line \d+")
EDITOR_LANGUAGE = {"Pydantic": "python", "JSON Schema": "json"}
LOAD_TIMEOUT_MS = 30_000
RUN_TIMEOUT_MS = 20_000


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a condition Playwright's ``expect`` cannot express (one spanning two frames)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def share_link(app_url: str, state: SharedState) -> str:
    return f"{app_url}?s={quote(encode_state(state))}"


class Playground:
    """One browser tab showing the playground."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, url: str) -> Playground:
        """Load ``url`` and wait until the playground is ready."""
        self.page.goto(url)
        return self.ready()

    def ready(self) -> Playground:
        """Wait until the editor, the Extract button and the raw pane are there.

        The raw pane is drawn last: once it is there, the run that drew the page has sent its
        inputs, and typing into them is not overwritten by that run's values arriving late.
        """
        expect(self.extract_button).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        expect(self.editor).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        expect(self.page.locator(".st-key-raw-stream")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        return self

    # --- inputs -------------------------------------------------------------------------
    @property
    def extract_button(self) -> Locator:
        return self.page.get_by_role("button", name="Extract", exact=True)

    @property
    def stop_button(self) -> Locator:
        return self.page.get_by_role("button", name="Stop", exact=True)

    @property
    def editor(self) -> Locator:
        return self.page.frame_locator(EDITOR_IFRAME).locator("#ace-editor")

    def editor_text(self) -> str:
        return self.editor.evaluate("element => element.env.editor.getValue()")

    def type_at_end_of_editor(self, text: str) -> None:
        """Click into the editor, go to the very end and type, key by key, as a user would."""
        self.page.frame_locator(EDITOR_IFRAME).locator(".ace_content").click()
        self.page.keyboard.press("Control+End")
        self.page.keyboard.type(text)

    def editor_cell_box(self, row: int, column: int) -> dict[str, float]:
        """The page-coordinate box of one character cell of the editor (0-based row, column)."""
        cell = self.editor.evaluate(
            """(element, [row, column]) => {
                const renderer = element.env.editor.renderer;
                const at = renderer.textToScreenCoordinates(row, column);
                return {x: at.pageX, y: at.pageY,
                        width: renderer.characterWidth, height: renderer.lineHeight};
            }""",
            [row, column],
        )
        frame = self.page.locator(EDITOR_IFRAME).bounding_box()
        return {**cell, "x": cell["x"] + frame["x"], "y": cell["y"] + frame["y"]}

    @property
    def source_text(self) -> Locator:
        return self.page.get_by_label("Source text")

    def widget(self, key: str) -> Locator:
        """The widget with this session-state key (Streamlit gives it the class st-key-<key>)."""
        return self.page.locator(f".st-key-{key}")

    def text_field(self, key: str) -> Locator:
        """The input or text area of the text widget with this key."""
        return self.widget(key).locator("input, textarea")

    def enter_text(self, key: str, text: str) -> None:
        """Replace a text widget's value and commit it with Enter (Ctrl+Enter in a text area).

        The key is pressed once the widget shows its "Press ... to apply" hint: pressed before
        the widget has seen the edit, it commits nothing.
        """
        field = self.text_field(key)
        hint = self.widget(key).get_by_test_id("InputInstructions")
        field.fill(text)
        expect(hint).to_contain_text("to apply")
        field.press("Control+Enter")
        expect(hint).not_to_contain_text("to apply")

    def set_editor_text(self, text: str) -> None:
        """Replace the editor's whole text at once, as a paste does."""
        self.editor.evaluate("(element, text) => element.env.editor.setValue(text, 1)", text)

    def visit_how_it_works(self) -> None:
        """Leave the playground for the How it works page, as a user does from the sidebar."""
        self.page.get_by_test_id("stSidebarNavLink").filter(has_text="How it works").click()
        heading = self.page.get_by_role("heading", name="How it works")
        expect(heading).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        expect(self.extract_button).to_have_count(0)

    def visit_playground(self) -> Playground:
        """Come back to the playground from another page through the sidebar."""
        self.page.get_by_test_id("stSidebarNavLink").filter(has_text="Playground").click()
        return self.ready()

    @property
    def mode(self) -> Locator:
        return self.page.get_by_role("combobox", name="Mode")

    def choose_mode(self, mode: str) -> None:
        # Scrolled to the middle of the sidebar first, as a user would: the box can sit at the
        # window's bottom edge (below the page links), where its list has no room to open.
        self.mode.evaluate("box => box.scrollIntoView({block: 'center'})")
        self.mode.click()
        self.page.get_by_role("option", name=re.compile(rf"^{re.escape(mode)} —")).click()
        expect(self.mode).to_have_value(re.compile(rf"^{re.escape(mode)} —"))

    @property
    def provider_kind(self) -> Locator:
        return self.page.get_by_role("radiogroup", name="Model provider")

    def choose_provider_kind(self, label: str) -> None:
        """Pick "Embedded (tiny local model)" or "OpenAI-compatible" in the sidebar."""
        self.provider_kind.get_by_text(label, exact=True).click()
        expect(self.page.get_by_role("radio", name=label, exact=True)).to_be_checked()
        # The sidebar is redrawn for the new kind (its own mode box): wait for that run.
        expect(self.widget("base_url")).to_have_count(
            0 if label.startswith("Embedded") else 1, timeout=LOAD_TIMEOUT_MS
        )

    def choose_schema_kind(self, label: str) -> None:
        """Pick "Pydantic" or "JSON Schema"; waits until the new editor replaced the old one."""
        self.page.get_by_role("radiogroup", name="Schema as").get_by_text(label, exact=True).click()
        expect(self.page.get_by_role("radio", name=label, exact=True)).to_be_checked()
        language = EDITOR_LANGUAGE[label]
        eventually(lambda: self._single_editor_mode() == f"ace/mode/{language}")

    def editor_mode(self) -> str:
        return self.editor.evaluate("element => element.env.editor.session.getMode().$id")

    def _single_editor_mode(self) -> str | None:
        """The editor's mode once exactly one editor is mounted (a remount briefly shows two)."""
        if self.page.locator(EDITOR_IFRAME).count() != 1:
            return None
        try:
            return self.editor_mode()
        except PlaywrightError:  # the frame went away between the two calls
            return None

    def open_expander(self, title: str) -> Locator:
        """Open the expander whose title contains ``title`` (if it is closed); returns it."""
        summary = self.page.locator("summary", has_text=title)
        expander = self.page.locator("[data-testid='stExpander']").filter(has=summary)
        expect(expander).to_have_count(1)  # a rerun that moves it briefly shows two
        if expander.locator("details").get_attribute("open") is None:
            expander.locator("summary").click()
        return expander

    def address(self) -> str:
        """The address bar as the page sees it (``page.url`` can miss a ``pushState``)."""
        return self.page.evaluate("window.location.href")

    def share_link(self) -> str:
        """The link in the Share box."""
        code = self.open_expander("Share this playground").locator("code")
        expect(code).to_contain_text("?s=")
        return code.inner_text().strip()

    # --- outputs ------------------------------------------------------------------------
    def extract(self) -> str:
        """Press Extract and wait for the run's ending line; returns it."""
        self.extract_button.click()
        return self.wait_for_ending()

    def show_entities_as(self, label: str) -> None:
        """Pick "Cards" or "Table" for the entities."""
        view = self.page.get_by_role("radiogroup", name="Show entities as")
        view.get_by_role("radio", name=label, exact=True).click()

    @property
    def entity_table(self) -> Locator:
        """The table view (a canvas: its rows are checked with AppTest, not here)."""
        return self.page.locator("[data-testid='stDataFrame']")

    @property
    def ending(self) -> Locator:
        return self.page.locator("[data-testid='stAlert']").filter(has_text=ENDING)

    def wait_for_ending(self, timeout_ms: float = RUN_TIMEOUT_MS) -> str:
        expect(self.ending).to_be_visible(timeout=timeout_ms)
        return self.ending.inner_text()

    @property
    def entity_cards(self) -> Locator:
        return self.page.locator(ENTITY_CARDS)

    @property
    def invalid_cards(self) -> Locator:
        return self.page.locator(INVALID_CARDS)

    def entity_card(self, index: int) -> Locator:
        return self.page.locator(f".st-key-entity-card-{index}")

    def invalid_card(self, index: int) -> Locator:
        return self.page.locator(f".st-key-invalid-card-{index}")

    def card_fields(self, index: int) -> dict[str, str]:
        """``{field: value}`` from the card's ``field: value`` lines."""
        lines = self.entity_card(index).inner_text().splitlines()
        return dict(line.split(": ", 1) for line in lines if ": " in line)

    def all_card_fields(self) -> list[dict[str, str]]:
        return [self.card_fields(index) for index in range(self.entity_cards.count())]

    @property
    def stats_line(self) -> Locator:
        """The run's one line of figures, starting with a stopwatch."""
        return self.page.get_by_text(re.compile(r"^⏱"))

    def elapsed_seconds(self) -> float:
        return float(ELAPSED.search(self.stats_line.inner_text())[1])

    def raw_stream(self) -> str:
        """The raw pane's text: its segments, in order, joined."""
        segments = self.page.locator(".st-key-raw-stream [data-testid='stText']")
        return "".join(segments.all_inner_texts())

    def in_viewport(self, locator: Locator) -> bool:
        """Whether ``locator`` lies wholly inside the browser window as it is scrolled now."""
        box = locator.bounding_box()
        size = self.page.viewport_size
        return (
            box is not None
            and box["x"] >= 0
            and box["y"] >= 0
            and box["x"] + box["width"] <= size["width"]
            and box["y"] + box["height"] <= size["height"]
        )

    def page_text(self) -> str:
        return self.page.locator("body").inner_text()

    def assert_no_traceback(self) -> None:
        assert self.page.locator("[data-testid='stException']").count() == 0
        assert not TRACEBACK.search(self.page_text())
