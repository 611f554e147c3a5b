"""The How it works page: the instructor equivalent, why the wrapper, the "writing" card."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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
