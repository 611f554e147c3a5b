"""Which schema errors get a gutter mark in the editor: those whose line is in its text."""

from __future__ import annotations

import pytest

from components.schema_editor import _line_in_editor
from iterplay.errors import SchemaError
from iterplay.schema import load_schema
from iterplay.schema.safe_loader import load_generated


def error_of(load) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        load()
    return caught.value


def test_a_pydantic_error_is_marked_on_its_line():
    broken = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    age: Intt\n"
    assert _line_in_editor(error_of(lambda: load_schema(broken, "pydantic"))) == 4


def test_invalid_json_is_marked_on_its_line():
    assert (
        _line_in_editor(error_of(lambda: load_schema('{\n  "type": "object",\n}', "json_schema")))
        == 3
    )


def test_an_error_in_code_generated_from_a_json_schema_is_not_marked():
    generated = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    age: Intt\n"
    error = error_of(lambda: load_generated(generated))
    assert error.line == 4
    assert _line_in_editor(error) is None
