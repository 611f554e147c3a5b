"""The How it works page: the instructor equivalent, why the wrapper, the "writing" card, and,
after a run in the playground, that run's model, wrapper, schema, request and stream."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from iterplay.testing import Reply

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "how_it_works.py")


@pytest.fixture(scope="module")
def page() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not app.exception
    return app


def prose(app: AppTest) -> str:
    return "\n".join(block.value for block in app.markdown)


def test_it_shows_the_equivalent_instructor_call_and_for_loop(page):
    code = "\n".join(block.value for block in page.code)
    assert "instructor.from_openai(OpenAI()" in code
    assert "response_model=Iterable[User]" in code and "stream=True" in code
    assert "for user in users:" in code


def test_it_maps_each_playground_mode_to_an_instructor_mode(page):
    for mode, instructor_mode in [("tools", "TOOLS"), ("json_schema", "JSON_SCHEMA")]:
        assert f"`{mode}` is `Mode.{instructor_mode}`" in prose(page)


def test_it_says_why_the_tasks_wrapper_is_needed(page):
    assert "cannot be asked for a bare list" in prose(page)
    assert "tasks: list[User]" in "\n".join(block.value for block in page.code)


def test_it_explains_the_writing_card(page):
    assert "writing #n" in prose(page)
    assert "not validated" in prose(page)


# -- with a run in the playground: each step shows that run ------------------------------------

APP = str(Path(__file__).resolve().parents[1] / "app.py")
USER = "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
TWO_USERS = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'


@pytest.fixture
def after_a_run(monkeypatch, scripted_server) -> AppTest:
    """The How it works page, visited after an extraction in the playground."""
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test-key-123456")
    monkeypatch.setenv("ITERPLAY_MODEL", "anatomy-two-users")
    scripted_server.script("anatomy-two-users", Reply.from_text(TWO_USERS, channel="tool_call"))
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.button(key="extract").click().run()
    assert app.session_state["active_run"].entity_count == 2
    app.switch_page("pages/how_it_works.py").run()
    assert not app.exception
    return app


def cards(app: AppTest) -> list[str]:
    bodies = "".join(block.proto.body for block in app.html)
    return re.findall(r"st-key-(anatomy-(?:entity|invalid)-card-\d+)", bodies)


def test_without_a_run_the_page_says_how_to_see_one(page):
    assert any("Run an extraction in the playground" in info.value for info in page.info)
    assert not page.slider


def test_with_a_run_the_steps_show_its_model_wrapper_schema_and_request_in_order(after_a_run):
    codes = [block.value for block in after_a_run.code]

    model = codes.index(USER.strip())
    wrapper = next(i for i, code in enumerate(codes) if code.startswith("class IterableUser("))
    schema = next(i for i, code in enumerate(codes) if '"title": "IterableUser"' in code)
    request = next(i for i, code in enumerate(codes) if '"model": "anatomy-two-users"' in code)
    assert model < wrapper < schema < request
    assert "sk-secret-test-key-123456" not in "\n".join(codes)


def test_with_a_run_its_stream_is_classified_and_charted(after_a_run):
    bodies = "".join(block.proto.body for block in after_a_run.html)

    assert 'class="anatomy-stream"' in bodies and 'class="anatomy-element"' in bodies
    assert len(after_a_run.get("vega_lite_chart")) == 1
    assert cards(after_a_run) == ["anatomy-entity-card-0", "anatomy-entity-card-1"]


def test_the_scrubber_changes_the_stream_and_the_cards_shown(after_a_run):
    end = after_a_run.slider(key="anatomy-moment").value

    after_a_run.slider(key="anatomy-moment").set_value(0.0).run()
    assert cards(after_a_run) == []
    assert 'class="anatomy-element"' not in "".join(b.proto.body for b in after_a_run.html)

    after_a_run.slider(key="anatomy-moment").set_value(end).run()
    assert cards(after_a_run) == ["anatomy-entity-card-0", "anatomy-entity-card-1"]
