"""Switching a schema between pydantic and JSON Schema, and guessing which one a text is."""

from __future__ import annotations

import json

import pytest

from iterplay.errors import SchemaError
from iterplay.examples import JSON_SCHEMA, PYDANTIC_SCHEMA
from iterplay.schema import load_schema
from iterplay.schema_kind import convert_schema, guess_schema_kind

WITH_CITY = PYDANTIC_SCHEMA + "    city: str\n"
TWO_ROOTS = '''\
from enum import Enum
from typing import Optional

from pydantic import BaseModel, Field


class Color(str, Enum):
    red = "red"
    blue = "blue"


class Address(BaseModel):
    """Where someone lives."""

    city: str = Field(description="the city")
    zip: Optional[str] = None


class User(BaseModel):
    name: str
    age: int = Field(ge=0)
    color: Color = Color.red
    addresses: list[Address] = []


class Product(BaseModel):
    sku: str
    unit_price: float = Field(0, title="Unit Price")
'''


def field_names(text: str, kind: str, model: str) -> list[str]:
    return list(load_schema(text, kind).models[model].model_fields)


def test_pydantic_becomes_a_json_schema_with_the_added_field():
    conversion = convert_schema(WITH_CITY, "pydantic")
    assert conversion.kind == "json_schema"
    document = json.loads(conversion.text)
    assert document["title"] == "User"
    assert list(document["properties"]) == ["name", "age", "city"]
    assert document["required"] == ["name", "age", "city"]


def test_json_schema_becomes_pydantic_with_the_added_property():
    edited = JSON_SCHEMA.replace(
        '"age": {"type": "integer"}', '"age": {"type": "integer"},\n    "email": {"type": "string"}'
    )
    conversion = convert_schema(edited, "json_schema")
    assert conversion.kind == "pydantic"
    assert field_names(conversion.text, "pydantic", "User") == ["name", "age", "email"]


def test_converting_back_an_unedited_conversion_gives_back_the_original_text():
    there = convert_schema(WITH_CITY, "pydantic")
    back = convert_schema(there.text, "json_schema", last=there)
    assert back.text == WITH_CITY


def test_an_edit_after_a_conversion_is_converted_not_undone():
    there = convert_schema(WITH_CITY, "pydantic")
    edited = there.text.replace('"city"', '"town"')
    back = convert_schema(edited, "json_schema", last=there)
    assert field_names(back.text, "pydantic", "User") == ["name", "age", "town"]


def test_nested_models_enums_constraints_and_every_root_survive_the_round_trip():
    there = convert_schema(TWO_ROOTS, "pydantic")
    back = load_schema(convert_schema(there.text, "json_schema").text, "pydantic")
    assert set(back.roots) == {"User", "Product"}
    assert set(back.models) == {"Address", "User", "Product"}
    age = back.models["User"].model_json_schema()["properties"]["age"]
    assert age["minimum"] == 0
    assert "Where someone lives." in (back.models["Address"].__doc__ or "")
    assert back.models["User"].model_validate({"name": "A", "age": 1}).color == "red"


def test_a_schema_that_does_not_load_is_not_converted():
    with pytest.raises(SchemaError, match="Intt"):
        convert_schema(PYDANTIC_SCHEMA.replace("age: int", "age: Intt"), "pydantic")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (PYDANTIC_SCHEMA, "pydantic"),
        ("class User(BaseModel):\n    name: str\n", "pydantic"),
        ("import pydantic\n", "pydantic"),
        (JSON_SCHEMA, "json_schema"),
        ('  \n{"type": "object"', "json_schema"),
        ("name: str", None),
        ("", None),
    ],
)
def test_guess_schema_kind(text, kind):
    assert guess_schema_kind(text) == kind
