"""Schema lint under the editor, with AppTest: findings per provider, drawn as plain text."""

from __future__ import annotations

import pytest

from iterplay.share import SharedState, encode_state
from tests.test_app import no_provider_env, open_page  # noqa: F401 - the fixture, by name below

pytestmark = pytest.mark.usefixtures("no_provider_env")

CONSTRAINED = """\
from pydantic import BaseModel, Field


class Person(BaseModel):
    name: str
    age: int = Field(ge=0)
"""


def lint_expander(app):
    [expander] = [e for e in app.expander if e.label.startswith("🔎 Schema lint")]
    return expander


def test_lint_counts_findings_for_each_provider_under_the_editor():
    app = open_page(encode_state(SharedState(schema=CONSTRAINED)))
    assert not app.exception
    assert lint_expander(app).label == "🔎 Schema lint: 2 for OpenAI strict, 1 for llama.cpp"


def test_findings_are_plain_text_with_rule_path_and_fix():
    app = open_page(encode_state(SharedState(schema=CONSTRAINED)))
    texts = [text.value for text in lint_expander(app).text]
    [minimum] = [text for text in texts if "llama_cpp.unenforced-keyword" in text]
    assert "#/$defs/Person/properties/age/minimum" in minimum
    assert "`Person.age`" in minimum and "\nfix: " in minimum
    assert not any("unenforced-keyword" in str(m.value) for m in app.markdown)


def test_make_strict_tab_shows_the_fixed_wrapper_schema():
    app = open_page(encode_state(SharedState(schema=CONSTRAINED)))
    [strict] = [code.value for code in lint_expander(app).code]
    assert '"additionalProperties": false' in strict
    assert '"required": [\n        "name",\n        "age"\n      ]' in strict
