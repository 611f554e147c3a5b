"""The playground page logic with AppTest (the ace editor itself is browser-tested)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Widget

from iterplay.request import DEFAULT_SYSTEM_PROMPT
from iterplay.share import SharedState, decode_state, encode_state
from iterplay.testing import Reply

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")
USER = "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
TWO_USERS = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'


@pytest.fixture
def no_provider_env(monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def remote_env(monkeypatch, scripted_server):
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test-key-123456")
    monkeypatch.setenv("ITERPLAY_MODEL", "two-users")
    scripted_server.script("two-users", Reply.from_text(TWO_USERS, channel="tool_call"))
    return scripted_server


def open_page(token: str | None = None) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=30)
    if token is not None:
        app.query_params["s"] = token
    return app.run()


def html_text(app: AppTest) -> str:
    """The HTML the page drew with st.html: entity cards, error cards, the partial card."""
    return "\n".join(element.proto.body for element in app.get("html"))


def all_text(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.code]
    parts += [e.value for e in app.error] + [w.value for w in app.warning]
    parts += [s.value for s in app.success] + [t.value for t in app.text_input]
    parts.append(html_text(app))
    return "\n".join(str(p) for p in parts)


def infos(app: AppTest) -> list[str]:
    return [info.value for info in app.info]


def test_default_playground_is_ready_to_extract(no_provider_env):
    app = open_page()
    assert not app.exception
    assert app.text_area(key="source_text").value == "Jason is 10 and John is 30."
    assert not app.button(key="extract").disabled and app.button(key="extract").label == "Extract"
    assert "class IterableUser(BaseModel)" in all_text(app)


def test_embedded_provider_is_the_default_without_a_key(no_provider_env):
    app = open_page()
    assert app.radio(key="provider_kind").value.startswith("Embedded")
    assert any("tiny" in info.value for info in app.info)


def test_broken_schema_shows_line_and_blocks_extract(no_provider_env):
    broken = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    age: Intt\n"
    token = encode_state(SharedState(schema=broken))
    app = open_page(token)
    assert not app.exception
    assert "line 4" in app.error[0].value and "Intt" in app.error[0].value
    assert app.button(key="extract").disabled


def test_share_link_prefills_every_input(no_provider_env):
    state = SharedState(
        schema='{"title": "Product", "type": "object", "properties": {"sku": {"type": "string"}}}',
        schema_kind="json_schema",
        text="SKU-1 and SKU-2",
        system_prompt="Extract products.",
        model="my-model",
        mode="md_json",
        temperature=0.5,
    )
    app = open_page(encode_state(state))
    assert app.radio(key="schema_kind").value == "json_schema"
    assert app.text_area(key="source_text").value == "SKU-1 and SKU-2"
    assert app.text_area(key="system_prompt").value == "Extract products."
    assert app.selectbox(key="mode_embedded").value == "md_json"
    assert app.slider(key="temperature").value == 0.5
    assert "class Product(BaseModel)" in all_text(app)


def test_damaged_share_link_warns_and_shows_defaults(no_provider_env):
    app = open_page("this-is-not-a-token")
    assert not app.exception
    assert "damaged" in app.warning[0].value
    assert app.text_area(key="source_text").value == "Jason is 10 and John is 30."


def test_provider_defaults_come_from_the_environment(remote_env):
    app = open_page()
    assert app.radio(key="provider_kind").value == "OpenAI-compatible"
    assert app.text_input(key="base_url").value == remote_env.url
    assert app.text_input(key="model_name").value == "two-users"


def test_server_key_is_used_but_never_shown(remote_env):
    app = open_page()
    assert app.text_input(key="api_key").value == ""
    app.button(key="extract").click().run()
    assert "sk-secret-test-key-123456" not in all_text(app)
    assert app.session_state["active_run"].entity_count == 2


def test_extract_streams_entities_into_cards(remote_env):
    app = open_page()
    app.button(key="extract").click().run()
    log = app.session_state["active_run"]
    assert [e.value.name for e in log.elements] == ["Jason", "John"]
    assert "Complete" in app.success[0].value
    assert 'class="iterplay-card st-key-entity-card-0"' in html_text(app)
    assert "<b>name</b>: Jason" in html_text(app)


def test_invalid_element_gets_an_error_card_and_the_stream_goes_on(remote_env):
    remote_env.script(
        "two-users",
        Reply.from_text(
            '{"tasks": [{"name": "A", "age": "old"}, {"name": "B", "age": 3}]}',
            channel="tool_call",
        ),
    )
    app = open_page()
    app.button(key="extract").click().run()
    log = app.session_state["active_run"]
    assert (log.invalid_count, log.entity_count) == (1, 1)
    assert "st-key-invalid-card-0" in html_text(app) and "failed validation" in html_text(app)


def test_truncated_run_says_so_and_keeps_entities(remote_env):
    remote_env.script(
        "two-users",
        Reply.from_text(TWO_USERS[:45], channel="tool_call", finish_reason="length"),
    )
    app = open_page()
    app.button(key="extract").click().run()
    assert app.session_state["active_run"].entity_count == 1
    assert "Truncated" in app.warning[0].value
    # The element it was writing stays, said to be unfinished: nothing is writing it any more.
    assert "✂️ #1 never finished" in html_text(app) and "writing #1" not in html_text(app)


def test_unreachable_provider_fails_in_one_sentence(remote_env, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    app = open_page()
    app.button(key="extract").click().run()
    assert not app.exception
    assert "Could not connect" in app.error[0].value
    assert "Traceback" not in all_text(app)


def test_results_survive_a_rerun(remote_env):
    app = open_page()
    app.button(key="extract").click().run()
    app.run()
    assert app.session_state["active_run"].entity_count == 2
    assert "<b>name</b>: John" in html_text(app)


def test_model_output_is_shown_as_text_never_as_html(remote_env):
    hostile = '{"tasks": [{"name": "<img src=x onerror=alert(1)> **bold** $x$", "age": 1}]}'
    remote_env.script("two-users", Reply.from_text(hostile, channel="tool_call"))
    app = open_page()
    app.button(key="extract").click().run()
    assert "&lt;img src=x onerror=alert(1)&gt; **bold** $x$" in html_text(app)
    assert "<img" not in html_text(app)


def test_pydantic_pasted_as_json_schema_offers_the_switch_and_takes_it(no_provider_env):
    app = open_page(encode_state(SharedState(schema=USER, schema_kind="json_schema")))
    assert "invalid JSON" in app.error[0].value
    assert "This looks like Python — switch to Pydantic?" in infos(app)
    app.button(key="switch_schema_kind").click().run()
    assert app.radio(key="schema_kind").value == "pydantic"
    assert not app.error
    assert "class IterableUser(BaseModel)" in all_text(app)


def test_json_pasted_as_pydantic_offers_the_switch(no_provider_env):
    schema = '{"title": "User", "type": "object", "properties": {"name": {"type": "string"}}}'
    app = open_page(encode_state(SharedState(schema=schema, schema_kind="pydantic")))
    assert "This looks like JSON — switch to JSON Schema?" in infos(app)
    app.button(key="switch_schema_kind").click().run()
    assert app.radio(key="schema_kind").value == "json_schema"
    assert "class User(BaseModel)" in all_text(app)


def test_a_broken_schema_of_the_right_kind_offers_no_switch(no_provider_env):
    app = open_page(encode_state(SharedState(schema=USER.replace("int", "Intt"))))
    assert app.error
    assert not [button for button in app.button if button.key == "switch_schema_kind"]


def test_inputs_survive_a_visit_to_another_page(remote_env):
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.text_area(key="source_text").input("Ann is 31.").run()
    app.radio(key="provider_kind").set_value("Embedded (tiny local model)").run()
    app.selectbox(key="mode_embedded").select("md_json").run()
    app.switch_page("pages/how_it_works.py").run()
    app.switch_page("pages/playground.py").run()
    assert app.text_area(key="source_text").value == "Ann is 31."
    assert app.radio(key="provider_kind").value.startswith("Embedded")
    assert app.selectbox(key="mode_embedded").value == "md_json"


def test_the_address_bar_carries_the_current_inputs(remote_env):
    app = open_page()
    app.text_area(key="source_text").input("Ann is 31.").run()
    app.selectbox(key="mode_remote").select("json").run()
    shared = decode_state(app.query_params["s"])
    assert (shared.text, shared.mode, shared.model) == ("Ann is 31.", "json", "two-users")


def test_a_link_from_an_openai_compatible_model_says_so_where_the_server_has_none(
    no_provider_env,
):
    app = open_page(encode_state(SharedState(schema=USER, text="Ann", model="gpt-4o")))
    assert app.radio(key="provider_kind").value.startswith("Embedded")
    note = next(w.value for w in app.warning if "link was made with" in w.value)
    assert "gpt-4o" in note and "OpenAI-compatible" in note and "embedded model" in note
    app.radio(key="provider_kind").set_value("OpenAI-compatible").run()
    assert not [w for w in app.warning if "link was made with" in w.value]
    assert app.text_input(key="model_name").value == "gpt-4o"


def test_a_link_naming_a_model_uses_the_servers_provider(remote_env):
    app = open_page(encode_state(SharedState(schema=USER, text="Ann", model="other-model")))
    assert app.radio(key="provider_kind").value == "OpenAI-compatible"
    assert app.text_input(key="model_name").value == "other-model"
    assert not [w for w in app.warning if "link was made with" in w.value]


def test_a_link_from_the_embedded_model_chooses_it_where_the_server_has_a_provider(remote_env):
    app = open_page(encode_state(SharedState(schema=USER, text="Ann", mode="md_json")))
    assert app.radio(key="provider_kind").value.startswith("Embedded")
    assert app.selectbox(key="mode_embedded").value == "md_json"


def test_entities_can_be_shown_as_a_table_with_one_row_each(remote_env):
    app = open_page()
    app.button[0].click().run()
    app.segmented_control(key="entity_view").set_value("table").run()
    assert app.dataframe[0].value.to_dict("records") == [
        {"#": 0, "name": "Jason", "age": 10},
        {"#": 1, "name": "John", "age": 30},
    ]
    assert "st-key-entity-card-" not in html_text(app)


def test_system_prompt_reset_brings_back_the_default(no_provider_env):
    app = open_page()
    assert app.button(key="reset_system_prompt").disabled
    app.text_area(key="system_prompt").set_value("Answer in French.").run()
    app.button(key="reset_system_prompt").click().run()
    assert app.text_area(key="system_prompt").value == DEFAULT_SYSTEM_PROMPT
    assert app.button(key="reset_system_prompt").disabled


def test_the_table_view_outlives_a_visit_to_another_page(no_provider_env):
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.segmented_control(key="entity_view").set_value("table").run()
    app.switch_page("pages/how_it_works.py").run()
    app.switch_page("pages/playground.py").run()
    assert app.segmented_control(key="entity_view").value == "table"


def test_strict_outputs_send_the_strict_wrapper_schema(remote_env):
    app = open_page()
    assert not app.checkbox(key="strict").value
    app.checkbox(key="strict").check().run()
    app.button(key="extract").click().run()
    assert not app.exception
    function = remote_env.requests[-1]["tools"][0]["function"]
    assert function["strict"] is True
    assert function["parameters"]["additionalProperties"] is False


def test_strict_outputs_are_offered_only_where_a_mode_can_use_them(remote_env):
    app = open_page()
    assert [box for box in app.checkbox if box.key == "strict"]
    app.selectbox(key="mode_remote").select("json").run()
    assert not [box for box in app.checkbox if box.key == "strict"]
    app.radio(key="provider_kind").set_value(app.radio(key="provider_kind").options[0]).run()
    assert app.radio(key="provider_kind").value.startswith("Embedded")
    assert not [box for box in app.checkbox if box.key == "strict"]


TWO_ROOTS = """from pydantic import BaseModel


class User(BaseModel):
    name: str
    age: int


class Product(BaseModel):
    title: str
    price: float
"""


def test_several_roots_default_to_what_the_cli_extracts(remote_env):
    from iterplay.schema import load_schema
    from iterplay.schema.targets import choose_targets

    link = SharedState(schema=TWO_ROOTS, text="Ann is 3. A lamp, 9 EUR.", model="two-users")
    app = open_page(encode_state(link))
    (picker,) = app.multiselect
    assert tuple(picker.value) == choose_targets(load_schema(TWO_ROOTS, "pydantic")).names
    assert picker.value == ["User", "Product"]
    app.button(key="extract").click().run()
    assert remote_env.requests[-1]["tools"][0]["function"]["name"] == "IterableUserOrProduct"


def test_a_complete_run_with_nothing_valid_is_not_shown_as_a_success(remote_env):
    remote_env.script("two-users", Reply.from_text('{"tasks": []}', channel="tool_call"))
    app = open_page()
    app.button(key="extract").click().run()
    assert not app.success
    ending = next(w.value for w in app.warning if "Complete" in w.value)
    assert "the model returned an empty list" in ending


def test_a_complete_run_whose_elements_all_failed_says_so(remote_env):
    wrong = '{"name": "A", "age": "old"}'
    remote_env.script(
        "two-users",
        Reply.from_text('{"tasks": [' + wrong + ", " + wrong + "]}", channel="tool_call"),
    )
    app = open_page()
    app.button(key="extract").click().run()
    assert not app.success
    ending = next(w.value for w in app.warning if "Complete" in w.value)
    assert "all 2 elements failed validation" in ending


def out_of_date_notes(app: AppTest) -> list[str]:
    return [info for info in infos(app) if "Out of date" in info]


def test_extract_reruns_only_the_output_when_the_page_is_as_drawn(remote_env):
    app = open_page()
    app.button(key="extract").click().run()
    assert not app.exception
    # The run drew its cards, and the script run drew nothing else: the browser keeps the
    # page it has and redraws the output alone (AppTest's tree holds what the run drew).
    assert "<b>name</b>: John" in html_text(app)
    assert [area.key for area in app.text_area] == []
    app.run()  # a full run of the page shows the same run, ended
    assert app.text_area(key="source_text").value
    assert "<b>name</b>: John" in html_text(app)
    assert len(remote_env.requests) == 1


def test_every_widget_of_the_playground_has_a_key(remote_env):
    """Extract reruns only the output when no widget changed with the click, and it can tell
    only for widgets whose value the session state holds under a key (extract_pressed)."""
    app = open_page()
    app.button(key="add-lane").click().run()
    app.button(key="case-start").click().run()
    app.button(key="extract").click().run()
    app.run()
    widgets = [node for node in _nodes(app._tree) if isinstance(node, Widget)]
    assert len(widgets) > 20
    assert [type(widget).__name__ for widget in widgets if not widget.key] == []


def _nodes(node):
    yield node
    children = getattr(node, "children", None)
    for child in children.values() if isinstance(children, dict) else ():
        yield from _nodes(child)


def test_extract_right_after_a_page_run_cut_short_draws_the_page_then_runs(remote_env):
    app = open_page()
    # What a run of the page that began and was stopped before it drew the page leaves behind
    # (Streamlit starts the next run at once): the output's places in the page's columns are
    # gone, and a rerun of the output alone would have nowhere to write.
    app._fragment_storage.clear_outside_wrappers()
    app.button(key="extract").click().run()
    assert not app.exception
    assert app.text_area(key="source_text").value  # the page was drawn again ...
    assert "<b>name</b>: John" in html_text(app)  # ... and the run started, once
    assert len(remote_env.requests) == 1


def test_results_say_which_inputs_changed_since_they_were_made(remote_env):
    app = open_page()
    app.button(key="extract").click().run()
    app.run()  # the whole page again: Extract redrew only the output
    app.text_area(key="source_text").input("Ann is 31.").run()
    assert "the text has changed" in out_of_date_notes(app)[0]
    app.selectbox(key="mode_remote").select("json").run()
    assert "the text and the mode have changed" in out_of_date_notes(app)[0]
    assert "<b>name</b>: John" in html_text(app)  # the old cards stay, marked


def test_results_of_the_inputs_on_screen_are_not_marked(remote_env):
    app = open_page()
    app.button(key="extract").click().run()
    app.run()
    assert out_of_date_notes(app) == []
    app.text_area(key="source_text").input("Ann is 31.").run()
    app.button(key="extract").click().run()
    assert out_of_date_notes(app) == []
