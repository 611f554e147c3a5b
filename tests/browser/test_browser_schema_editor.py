"""The schema editor in the browser: edits apply as you type; errors show inline; JSON Schema."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


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
