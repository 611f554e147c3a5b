"""JSON Schema text becomes pydantic source, loaded through the same safe loader."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from iterplay.errors import SchemaError
from iterplay.schema import load_schema, select_targets

USER = {
    "title": "User",
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Full name"},
        "age": {"type": "integer", "minimum": 0},
    },
    "required": ["name", "age"],
}


def load(schema: object):
    return load_schema(json.dumps(schema, indent=2), kind="json_schema")


def refusal(text: str) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        load_schema(text, kind="json_schema")
    return caught.value


def test_title_names_the_model_and_it_validates():
    schema = load(USER)
    assert list(schema.models) == ["User"]
    user = schema.models["User"].model_validate({"name": "Jason", "age": 10})
    assert (user.name, user.age) == ("Jason", 10)


def test_required_fields_and_constraints_are_enforced():
    user_model = load(USER).models["User"]
    with pytest.raises(ValidationError):
        user_model.model_validate({"name": "Jason"})
    with pytest.raises(ValidationError):
        user_model.model_validate({"name": "Jason", "age": -1})


def test_descriptions_reach_the_models_json_schema():
    properties = load(USER).models["User"].model_json_schema()["properties"]
    assert properties["name"]["description"] == "Full name"
    assert properties["age"]["minimum"] == 0


def test_generated_source_is_kept_beside_the_text():
    text = json.dumps(USER)
    schema = load_schema(text, kind="json_schema")
    assert (schema.kind, schema.text) == ("json_schema", text)
    assert "class User(BaseModel):" in schema.source


def test_generated_source_is_deterministic():
    assert load(USER).source == load(USER).source
    assert "generated" in load(USER).source.splitlines()[0].lower()


def test_nested_objects_arrays_and_enums_become_models():
    schema = load(
        {
            "title": "Order",
            "type": "object",
            "properties": {
                "customer": {
                    "title": "Customer",
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                },
                "lines": {
                    "type": "array",
                    "items": {
                        "title": "Line",
                        "type": "object",
                        "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer"}},
                    },
                },
                "status": {"type": "string", "enum": ["open", "closed"]},
            },
        }
    )
    assert set(schema.models) == {"Customer", "Line", "Order"}
    order = schema.models["Order"].model_validate(
        {
            "customer": {"name": "Ann"},
            "lines": [{"sku": "A1", "quantity": 2}],
            "status": "open",
        }
    )
    assert order.lines[0].quantity == 2
    with pytest.raises(ValidationError):
        schema.models["Order"].model_validate({"status": "lost"})


def test_local_references_are_followed():
    schema = load(
        {
            "title": "User",
            "type": "object",
            "properties": {"home": {"$ref": "#/$defs/Address"}},
            "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}},
        }
    )
    assert schema.models["User"].model_validate({"home": {"city": "Oslo"}}).home.city == "Oslo"


def test_top_level_array_of_objects_targets_the_item_model():
    schema = load(
        {
            "type": "array",
            "items": {
                "title": "User",
                "type": "object",
                "properties": {"name": {"type": "string"}},
            },
        }
    )
    assert schema.roots == ("User",)
    assert select_targets(schema) == (schema.models["User"],)


def test_invalid_json_names_the_line_and_column():
    error = refusal('{\n  "type": "object",\n  "title": \n}')
    assert (error.line, error.column) == (4, 1)
    assert str(error).startswith("line 4, column 1: invalid JSON")


@pytest.mark.parametrize(("text", "kind"), [("[1, 2]", "an array"), ('"x"', "a string")])
def test_json_that_is_not_an_object_is_refused(text, kind):
    message = str(refusal(text))
    assert "must be a JSON object such as {" in message
    assert message.endswith(f"not {kind}")


def test_misspelt_type_is_refused_with_its_location():
    error = refusal(json.dumps({"type": "object", "properties": {"age": {"type": "integr"}}}))
    assert "not a valid JSON Schema at properties/age/type" in str(error)


@pytest.mark.parametrize(
    "reference", ["other.json", "file:///etc/passwd", "https://example.com/schema.json"]
)
def test_references_outside_the_document_are_refused(reference):
    error = refusal(json.dumps({"type": "object", "properties": {"a": {"$ref": reference}}}))
    assert "only references inside the schema are allowed" in str(error)


def test_reference_to_a_missing_definition_is_refused():
    error = refusal(json.dumps({"type": "object", "properties": {"a": {"$ref": "#/$defs/No"}}}))
    assert "#/$defs/No" in str(error)


@pytest.mark.parametrize("pattern", ["^(?=a)a+$", "^(?!x).*$", "(a)\\1", "(?<=a)b"])
def test_patterns_only_the_backtracking_engine_runs_are_refused_with_their_place(pattern):
    error = refusal(
        json.dumps({"title": "A", "type": "object", "properties": {"x": {"pattern": pattern}}})
    )
    assert f"the pattern {json.dumps(pattern)} at properties/x needs look-around" in str(error)
    assert "stall the server" in str(error)


def test_patterns_the_linear_engine_runs_load():
    properties = {"x": {"type": "string", "pattern": "^[a-z]+$"}}
    schema = load({"title": "A", "type": "object", "properties": properties})
    with pytest.raises(ValidationError):
        schema.models["A"].model_validate({"x": "ABC"})
