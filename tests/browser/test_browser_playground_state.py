"""The playground keeps the user's work: across pages, schema kinds and reloads."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from iterplay.examples import JSON_SCHEMA, PYDANTIC_SCHEMA
from iterplay.share import SharedState, decode_state
from tests.browser.playground_page import eventually

pytestmark = pytest.mark.browser

EDITED_SCHEMA = PYDANTIC_SCHEMA + "    city: str"
EDITED_TEXT = "Ann is 31 and lives in Oslo."
EMBEDDED = "Embedded (tiny local model)"
# A rerun's answer can take many seconds on a loaded two-core machine.
ROUND_TRIP_SECONDS = 30.0
ROUND_TRIP_MS = ROUND_TRIP_SECONDS * 1000


def shared_state(link: str) -> SharedState:
    return decode_state(parse_qs(urlsplit(link).query)["s"][0])


def fields(state: SharedState) -> tuple[str, str, str | None, str | None]:
    return state.schema, state.text, state.model, state.mode


def test_inputs_survive_a_visit_to_another_page(playground, app):
    playground.open(app.url)
    playground.type_at_end_of_editor("    city: str")
    playground.enter_text("source_text", EDITED_TEXT)
    playground.enter_text("model_name", "bigger-model")
    playground.choose_mode("json_schema")
    expected = (EDITED_SCHEMA, EDITED_TEXT, "bigger-model", "json_schema")
    eventually(
        lambda: fields(shared_state(playground.share_link())) == expected,
        timeout=ROUND_TRIP_SECONDS,
    )

    playground.visit_how_it_works()
    playground.visit_playground()

    eventually(lambda: playground.editor_text() == EDITED_SCHEMA, timeout=ROUND_TRIP_SECONDS)
    expect(playground.text_field("source_text")).to_have_value(EDITED_TEXT, timeout=ROUND_TRIP_MS)
    expect(playground.text_field("model_name")).to_have_value("bigger-model", timeout=ROUND_TRIP_MS)
    expect(playground.mode).to_have_value(re.compile(r"^json_schema —"), timeout=ROUND_TRIP_MS)


def test_provider_choice_survives_a_visit_to_another_page(playground, app):
    playground.open(app.url)
    playground.choose_provider_kind(EMBEDDED)
    playground.choose_mode("md_json")
    eventually(
        lambda: shared_state(playground.share_link()).mode == "md_json", timeout=ROUND_TRIP_SECONDS
    )

    playground.visit_how_it_works()
    playground.visit_playground()

    expect(playground.page.get_by_role("radio", name=EMBEDDED, exact=True)).to_be_checked(
        timeout=ROUND_TRIP_MS
    )
    expect(playground.mode).to_have_value(re.compile(r"^md_json —"), timeout=ROUND_TRIP_MS)


def test_the_providers_fields_come_back_after_the_embedded_model_and_another_page(playground, app):
    """Drawn again after runs without them, the base URL and model fields showed empty (the
    browser mounted them anew without their values) and Extract was greyed out."""
    playground.open(app.url)
    playground.enter_text("model_name", "bigger-model")
    base_url = playground.text_field("base_url").input_value()
    playground.choose_provider_kind(EMBEDDED)
    playground.visit_how_it_works()
    playground.visit_playground()
    expect(playground.page.get_by_role("radio", name=EMBEDDED, exact=True)).to_be_checked(
        timeout=ROUND_TRIP_MS
    )

    playground.choose_provider_kind("OpenAI-compatible")
    expect(playground.text_field("base_url")).to_have_value(base_url)
    expect(playground.text_field("model_name")).to_have_value("bigger-model")
    expect(playground.extract_button).to_be_enabled()


def test_a_field_added_in_pydantic_survives_a_switch_to_json_schema_and_back(playground, app):
    playground.open(app.url)
    playground.type_at_end_of_editor("    city: str")
    eventually(
        lambda: shared_state(playground.share_link()).schema == EDITED_SCHEMA,
        timeout=ROUND_TRIP_SECONDS,
    )

    playground.choose_schema_kind("JSON Schema")
    assert '"city"' in playground.editor_text()
    expect(playground.page.get_by_text("Converted from Pydantic.")).to_be_visible(
        timeout=ROUND_TRIP_MS
    )

    playground.choose_schema_kind("Pydantic")
    assert playground.editor_text() == EDITED_SCHEMA
    back = "Back to your own Pydantic text, as the JSON Schema one was not edited."
    expect(playground.page.get_by_text(back)).to_be_visible(timeout=ROUND_TRIP_MS)


def test_a_property_added_in_json_schema_survives_a_switch_to_pydantic_and_back(playground, app):
    playground.open(app.url)
    playground.choose_schema_kind("JSON Schema")
    playground.set_editor_text(
        JSON_SCHEMA.replace('"name": {', '"email": {"type": "string"},\n    "name": {')
    )
    eventually(
        lambda: '"email"' in shared_state(playground.share_link()).schema,
        timeout=ROUND_TRIP_SECONDS,
    )

    playground.choose_schema_kind("Pydantic")
    generated = playground.editor_text()
    assert "    email: str | None = None\n" in generated

    playground.set_editor_text(generated.rstrip() + "\n    city: str\n")
    eventually(
        lambda: "city: str" in shared_state(playground.share_link()).schema,
        timeout=ROUND_TRIP_SECONDS,
    )
    playground.choose_schema_kind("JSON Schema")
    properties = json.loads(playground.editor_text())["properties"]
    assert list(properties) == ["email", "name", "age", "city"]


def test_a_schema_that_does_not_load_is_kept_and_the_switch_says_why(playground, app):
    playground.open(app.url)
    playground.type_at_end_of_editor("    zip: Intt")
    expect(playground.extract_button).to_be_disabled(timeout=ROUND_TRIP_MS)

    playground.choose_schema_kind("JSON Schema")
    note = playground.page.locator("[data-testid='stAlert']").filter(has_text="not converted")
    expect(note).to_contain_text("Intt", timeout=ROUND_TRIP_MS)
    assert playground.editor_text() == JSON_SCHEMA

    playground.choose_schema_kind("Pydantic")
    assert playground.editor_text() == PYDANTIC_SCHEMA + "    zip: Intt"


def address_bar_state(playground) -> SharedState:
    return shared_state(playground.address())


def schema_text_and_mode(state: SharedState) -> tuple[str, str, str | None]:
    return state.schema, state.text, state.mode


def test_a_reload_restores_the_playground_from_the_address_bar(playground, app):
    playground.open(app.url)
    playground.type_at_end_of_editor("    city: str")
    playground.enter_text("source_text", EDITED_TEXT)
    playground.choose_mode("json_schema")
    expected = (EDITED_SCHEMA, EDITED_TEXT, "json_schema")
    eventually(
        lambda: schema_text_and_mode(address_bar_state(playground)) == expected,
        timeout=ROUND_TRIP_SECONDS,
    )

    playground.page.reload()
    playground.ready()

    eventually(lambda: playground.editor_text() == EDITED_SCHEMA, timeout=ROUND_TRIP_SECONDS)
    expect(playground.text_field("source_text")).to_have_value(EDITED_TEXT, timeout=ROUND_TRIP_MS)
    expect(playground.mode).to_have_value(re.compile(r"^json_schema —"), timeout=ROUND_TRIP_MS)


def test_a_reload_keeps_the_embedded_model_chosen(playground, app):
    playground.open(app.url)
    playground.choose_provider_kind(EMBEDDED)
    playground.choose_mode("md_json")
    eventually(lambda: address_bar_state(playground).mode == "md_json", timeout=ROUND_TRIP_SECONDS)

    playground.page.reload()
    playground.ready()

    expect(playground.page.get_by_role("radio", name=EMBEDDED, exact=True)).to_be_checked(
        timeout=ROUND_TRIP_MS
    )
    expect(playground.mode).to_have_value(re.compile(r"^md_json —"), timeout=ROUND_TRIP_MS)


def test_a_bookmarked_address_opens_the_playground_as_it_was(new_playground, app):
    author = new_playground().open(app.url)
    author.enter_text("source_text", EDITED_TEXT)
    eventually(lambda: address_bar_state(author).text == EDITED_TEXT, timeout=ROUND_TRIP_SECONDS)

    reader = new_playground().open(author.address())

    expect(reader.text_field("source_text")).to_have_value(EDITED_TEXT, timeout=ROUND_TRIP_MS)
