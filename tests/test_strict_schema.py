"""Make strict: the wrapper schema fixed for OpenAI strict mode, as a pure function."""

from __future__ import annotations

import copy
from typing import Literal

import pytest
from pydantic import AnyUrl, BaseModel, Field

from iterplay.events import Entity
from iterplay.lint import lint_schema
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run import run_extraction
from iterplay.strict_schema import make_strict
from iterplay.testing import Reply
from iterplay.wrapper import build_wrapper


class Address(BaseModel):
    street: str
    city: str = "Paris"


class Cat(BaseModel):
    kind: Literal["cat"]


class Dog(BaseModel):
    kind: Literal["dog"]


class User(BaseModel):
    """A person."""

    name: str = Field(min_length=1, description="Full name")
    nick: str = Field(max_length=8)
    email: str | None = None
    url: AnyUrl | None = None
    address: Address | None = None
    pet: Cat | Dog = Field(discriminator="kind")


def strict_user() -> dict:
    return make_strict(build_wrapper([User]).json_schema)


def test_the_strict_wrapper_schema_has_no_openai_findings():
    assert lint_schema(strict_user(), "openai") == ()


def test_every_object_is_closed_and_lists_every_property_as_required():
    strict = strict_user()
    for schema in (strict, strict["$defs"]["User"], strict["$defs"]["Address"]):
        assert schema["additionalProperties"] is False
        assert schema["required"] == list(schema["properties"])


def test_an_optional_nullable_field_stays_nullable_and_loses_its_default():
    email = strict_user()["$defs"]["User"]["properties"]["email"]
    assert email == {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Email"}


def test_a_field_with_a_value_default_becomes_required_but_not_nullable():
    """The user's model still validates: a null there would be an invalid entity."""
    city = strict_user()["$defs"]["Address"]["properties"]["city"]
    assert city == {"title": "City", "type": "string"}


def test_unsupported_constraints_move_into_the_description():
    properties = strict_user()["$defs"]["User"]["properties"]
    assert properties["name"]["description"] == "Full name (minLength: 1)"
    assert "minLength" not in properties["name"]
    assert properties["nick"]["description"] == "(maxLength: 8)"


def test_an_unsupported_format_moves_into_the_description():
    url = strict_user()["$defs"]["User"]["properties"]["url"]["anyOf"][0]
    assert "format" not in url and 'format: "uri"' in url["description"]


def test_one_of_becomes_any_of():
    pet = strict_user()["$defs"]["User"]["properties"]["pet"]
    assert "oneOf" not in pet and len(pet["anyOf"]) == 2


def test_make_strict_does_not_change_its_input():
    schema = build_wrapper([User]).json_schema
    before = copy.deepcopy(schema)
    make_strict(schema)
    assert schema == before


class Counts(BaseModel):
    by_word: dict[str, int]


class Things(BaseModel):
    things: list


@pytest.mark.parametrize(
    ("model", "rule"),
    [(Counts, "openai.additional-properties"), (Things, "openai.untyped-value")],
)
def test_what_make_strict_cannot_fix_is_still_reported(model, rule):
    findings = lint_schema(make_strict(build_wrapper([model]).json_schema), "openai")
    assert [f.rule for f in findings] == [rule]


@pytest.mark.parametrize(("mode", "channel"), [("json_schema", "content"), ("tools", "tool_call")])
def test_a_strict_run_sends_strict_true_and_still_validates_entities(
    scripted_server, mode, channel
):
    class Person(BaseModel):
        name: str
        email: str | None = None

    reply = '{"tasks": [{"name": "Mary", "email": null}, {"name": "Sam", "email": "s@x.io"}]}'
    scripted_server.script("strict-model", Reply.from_text(reply, channel=channel))
    provider = ProviderConfig(scripted_server.url, "strict-model", api_key="sk-strict-0123456789")
    wrapper = build_wrapper([Person])
    request = ExtractionRequest(wrapper, "Mary and Sam.", "strict-model", mode, strict=True)
    events = list(run_extraction(provider, request))
    assert [e.value.name for e in events if isinstance(e, Entity)] == ["Mary", "Sam"]
    [sent] = scripted_server.requests
    if mode == "json_schema":
        assert sent["response_format"]["json_schema"]["strict"] is True
        assert sent["response_format"]["json_schema"]["schema"] == make_strict(wrapper.json_schema)
    else:
        assert sent["tools"][0]["function"]["strict"] is True
