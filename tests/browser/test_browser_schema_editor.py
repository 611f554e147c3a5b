"""The schema editor in the browser: edits apply as you type; errors show inline and in the
gutter; JSON Schema; underscores, Enter and long lines behave as in any code editor."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.playground_page import EDITOR_IFRAME, eventually

pytestmark = pytest.mark.browser

INK_CONTRAST = 50


def test_typing_a_field_updates_the_wrapper_without_an_apply_button(playground, app):
    playground.open(app.url)
    playground.type_at_end_of_editor("    city: str")
    wrapper = playground.open_expander("The wrapper")
    wrapper.get_by_role("tab", name="JSON Schema").click()
    schema = wrapper.get_by_role("tabpanel", name="JSON Schema")
    expect(schema).to_contain_text('"city"')
    assert playground.editor_text().endswith("    age: int\n    city: str")
    expect(playground.extract_button).to_be_enabled()


def test_broken_line_shows_an_inline_error_with_its_line_and_disables_extract(playground, app):
    playground.open(app.url)
    playground.type_at_end_of_editor("    zip: Intt")
    error = playground.page.locator("[data-testid='stAlert']").filter(has_text="Schema error")
    expect(error).to_contain_text("line 7")
    expect(error).to_contain_text("Intt")
    expect(playground.extract_button).to_be_disabled()
    expect(playground.page.get_by_text("The wrapper")).to_have_count(0)


def test_json_schema_toggle_shows_generated_pydantic_and_extracts(playground, app):
    playground.open(app.url)
    playground.choose_schema_kind("JSON Schema")
    assert playground.editor_mode() == "ace/mode/json"
    assert '"title": "User"' in playground.editor_text()
    generated = playground.open_expander("View as pydantic")
    expect(generated.locator("code")).to_contain_text("class User(BaseModel):")
    assert "Complete" in playground.extract()
    assert playground.all_card_fields() == [
        {"name": "Jason", "age": "10"},
        {"name": "John", "age": "30"},
    ]


def ink_pixels(png: bytes) -> int:
    """Pixels of a screenshot clearly darker than its background (its most common shade)."""
    shades = Image.open(io.BytesIO(png)).convert("L").histogram()
    background = shades.index(max(shades))
    return sum(shades[: max(background - INK_CONTRAST, 0)])


def test_underscores_are_drawn_in_the_editor(playground, app):
    """unit_price must not read as "unit price": the underscore's cell holds dark pixels."""
    playground.open(app.url)
    playground.type_at_end_of_editor("    a_b: int")
    eventually(lambda: playground.editor_text().endswith("a_b: int"))
    cell = playground.editor_cell_box(row=6, column=5)
    assert playground.editor_text().splitlines()[6][5] == "_"
    inside = {**cell, "x": cell["x"] + 1, "width": cell["width"] - 2}
    assert ink_pixels(playground.page.screenshot(clip=inside)) >= 3


def test_enter_after_a_word_starts_a_new_line(playground, app):
    """Autocompletion must not take the Enter key (it turned `str` + Enter into `ststr`)."""
    playground.open(app.url)
    playground.type_at_end_of_editor("    city: str")
    playground.page.keyboard.press("Enter")
    playground.page.keyboard.type("zip: int")
    eventually(lambda: playground.editor_text().endswith("zip: int"))
    assert playground.editor_text().endswith("    city: str\n    zip: int")


def test_schema_error_line_is_marked_in_the_editor_gutter(playground, app):
    playground.open(app.url)
    playground.type_at_end_of_editor("    zip: Intt")
    gutter_error = playground.page.frame_locator(EDITOR_IFRAME).locator(
        ".ace_gutter-cell.ace_error"
    )
    expect(gutter_error).to_have_text("7")
    for _ in "Intt":
        playground.page.keyboard.press("Backspace")
    playground.page.keyboard.type("int")
    expect(gutter_error).to_have_count(0)


def test_long_json_schema_lines_wrap_instead_of_running_off_the_editor(playground, app):
    playground.open(app.url)
    playground.choose_schema_kind("JSON Schema")
    long_value = "a description long enough to run past the right edge of the editor " * 2
    playground.type_at_end_of_editor(f'\n"{long_value}"')
    wrapped = "element => element.env.editor.session.getScreenLength() > " + (
        "element.env.editor.session.getLength()"
    )
    eventually(lambda: playground.editor.evaluate(wrapped))
