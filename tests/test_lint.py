"""Schema lint, one fixture per rule: the wrapper's JSON Schema in, findings out.

Models are built with pydantic directly (the wrapper takes model classes), so each fixture is the
schema a user would write. The llama.cpp rules are also checked against llama-cpp-python's own
converter: a keyword reported as not enforced leaves the grammar exactly as it was.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import AnyUrl, BaseModel, ConfigDict, Field, create_model

from iterplay.lint import (
    RULES,
    Finding,
    Severity,
    index_schema,
    lint_schema,
    lint_wrapper,
    rules_for,
)
from iterplay.wrapper import build_wrapper


def found(findings: tuple[Finding, ...], rule: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule == rule]


def lint_models(*models: type[BaseModel], provider: str = "openai") -> tuple[Finding, ...]:
    return lint_wrapper(build_wrapper(models), provider)


class Strict(BaseModel):
    """A model OpenAI strict mode takes as it is, but for the wrapper's own object."""

    model_config = ConfigDict(extra="forbid")
    name: str
    age: int


# -- OpenAI strict mode ----------------------------------------------------------------------


def test_every_object_without_additional_properties_false_is_named_wrapper_included():
    class User(BaseModel):
        name: str

    findings = found(lint_models(User), "openai.additional-properties")
    assert [f.path for f in findings] == ["#", "#/$defs/User"]
    assert "`IterableUser` accepts properties it does not name" in findings[0].message
    assert 'extra="forbid"' in findings[1].fix


def test_a_model_that_forbids_extra_fields_leaves_only_the_wrapper_to_fix():
    findings = lint_models(Strict)
    assert [(f.rule, f.path) for f in findings] == [("openai.additional-properties", "#")]
    # The wrapper is iterplay's: the fix never asks the user to change it in their schema.
    assert "ConfigDict" not in findings[0].fix and "built for you" in findings[0].fix


def test_a_dict_field_is_a_free_form_object_make_strict_cannot_fix():
    class Tagged(Strict):
        tags: dict[str, str]

    [finding] = [
        f for f in found(lint_models(Tagged), "openai.additional-properties") if f.path != "#"
    ]
    assert finding.path == "#/$defs/Tagged/properties/tags"
    assert "`Tagged.tags` is a free-form object" in finding.message
    assert "cannot" in finding.fix


def test_optional_nullable_field_must_be_listed_in_required():
    class User(Strict):
        email: str | None = None

    [finding] = found(lint_models(User), "openai.optional-field")
    assert finding.path == "#/$defs/User/properties/email"
    assert finding.severity is Severity.ERROR
    assert "`User.email` is optional" in finding.message
    assert "already accepts null" in finding.fix


def test_optional_field_with_a_value_default_is_told_how_to_become_nullable():
    class Address(Strict):
        city: str = "Paris"

    [finding] = found(lint_models(Address), "openai.optional-field")
    assert "city: <type> | None = None" in finding.fix


def test_a_default_is_not_permitted():
    class Address(Strict):
        city: str = "Paris"

    [finding] = found(lint_models(Address), "openai.default")
    assert finding.path == "#/$defs/Address/properties/city"
    assert '("Paris")' in finding.message


class Cat(Strict):
    kind: Literal["cat"]


class Dog(Strict):
    kind: Literal["dog"]


class Owner(Strict):
    pet: Cat | Dog = Field(discriminator="kind")


def test_one_of_from_a_discriminated_union_is_refused():
    [finding] = found(lint_models(Owner), "openai.refused-keyword")
    assert finding.path == "#/$defs/Owner/properties/pet/oneOf"
    assert "`Owner.pet` uses `oneOf`" in finding.message
    assert "anyOf" in finding.fix


def test_a_length_constraint_is_outside_the_documented_subset():
    class User(Strict):
        nick: str = Field(min_length=2)

    [finding] = found(lint_models(User), "openai.undocumented-keyword")
    assert finding.path == "#/$defs/User/properties/nick/minLength"
    assert finding.severity is Severity.WARNING


def test_a_string_format_outside_the_documented_list_is_named():
    class Page(Strict):
        url: AnyUrl

    [finding] = found(lint_models(Page), "openai.string-format")
    assert finding.path == "#/$defs/Page/properties/url/format"
    assert '"uri"' in finding.message


def test_any_and_bare_list_items_have_no_type():
    class Loose(Strict):
        anything: Any
        things: list

    findings = found(lint_models(Loose), "openai.untyped-value")
    assert [f.path for f in findings] == [
        "#/$defs/Loose/properties/anything",
        "#/$defs/Loose/properties/things/items",
    ]


def nested_models(levels: int) -> type[BaseModel]:
    """``L1`` holds ``L2`` ... holds ``L{levels}``: ``levels`` objects, one inside the other."""
    model = create_model(f"L{levels}", __config__=ConfigDict(extra="forbid"), value=(str, ...))
    for level in range(levels - 1, 0, -1):
        model = create_model(f"L{level}", __config__=ConfigDict(extra="forbid"), child=(model, ...))
    return model


def test_the_wrapper_level_pushes_a_ten_level_model_over_the_nesting_limit():
    model = nested_models(10)
    assert found(lint_schema(model.model_json_schema()), "openai.nesting-depth") == []
    [finding] = found(lint_models(model), "openai.nesting-depth")
    assert finding.path == "#/$defs/L10"
    assert "`IterableL1.tasks[]" + ".child" * 9 + "` is nested 11 objects deep" in finding.message
    assert "counting the wrapper `IterableL1`" in finding.message


def test_a_nine_level_model_fits_with_its_wrapper():
    assert found(lint_models(nested_models(9)), "openai.nesting-depth") == []


def test_a_recursive_model_is_not_endlessly_deep():
    class Node(Strict):
        children: list[Node]

    assert found(lint_models(Node), "openai.nesting-depth") == []


def wide_model(fields: int, name_length: int = 1) -> type[BaseModel]:
    names = [f"f{i:0{name_length}d}" for i in range(fields)]
    return create_model(
        "Wide", __config__=ConfigDict(extra="forbid"), **{n: (int, ...) for n in names}
    )


def test_the_wrappers_tasks_property_counts_toward_the_property_limit():
    assert found(lint_models(wide_model(4_999)), "openai.total-properties") == []
    [finding] = found(lint_models(wide_model(5_000)), "openai.total-properties")
    assert "5,001 properties in all, counting the wrapper's `tasks`" in finding.message


def enum_model(values: list[str]) -> type[BaseModel]:
    return create_model(
        "Coded", __config__=ConfigDict(extra="forbid"), code=(Literal[tuple(values)], ...)
    )


def test_more_than_a_thousand_enum_values_in_all_are_refused():
    assert (
        found(lint_models(enum_model([f"v{i}" for i in range(1_000)])), "openai.enum-values") == []
    )
    [finding] = found(
        lint_models(enum_model([f"v{i}" for i in range(1_001)])), "openai.enum-values"
    )
    assert finding.path == "#" and "1,001 enum values" in finding.message


def test_a_large_string_enum_is_capped_in_length():
    values = [f"{i:03d}" + "x" * 57 for i in range(251)]  # 251 values of 60 characters
    [finding] = found(lint_models(enum_model(values)), "openai.enum-values")
    assert finding.path == "#/$defs/Coded/properties/code/enum"
    assert "251 string values totalling 15,060 characters" in finding.message


def test_names_and_enum_values_are_capped_in_total_length():
    model = wide_model(4_000, name_length=30)  # 4,000 names of 31 characters
    [finding] = found(lint_models(model), "openai.string-length")
    assert "124," in finding.message and "120,000" in finding.message


# -- llama.cpp's grammar ---------------------------------------------------------------------


# Shapes pydantic does not write but a JSON Schema user may: a type list, an enum beside a type,
# properties beside anyOf, a tuple with a count, object size limits.
HAND_WRITTEN = {
    "title": "IterableItem",
    "type": "object",
    "properties": {
        "tasks": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "nick": {"type": ["string", "null"], "minLength": 2},
                    "level": {"type": "string", "enum": ["a", "b"], "maxLength": 1},
                    "mixed": {
                        "anyOf": [{"type": "string"}, {"type": "integer"}],
                        "properties": {"x": {"type": "string"}},
                    },
                    "pair": {
                        "type": "array",
                        "prefixItems": [{"type": "string"}, {"type": "integer"}],
                        "minItems": 2,
                    },
                },
                "required": ["nick", "level", "mixed", "pair"],
                "minProperties": 1,
                "additionalProperties": False,
            },
        }
    },
    "required": ["tasks"],
}


class UntypedAny(BaseModel):
    anything: Any


class BareList(BaseModel):
    things: list


class UnanchoredPattern(BaseModel):
    code: str = Field(pattern=r"[A-Z]{3}")


def test_any_with_a_title_drops_the_whole_grammar():
    [finding] = found(lint_models(UntypedAny, provider="llama_cpp"), "llama_cpp.grammar-fallback")
    assert finding.path == "#/$defs/UntypedAny/properties/anything"
    assert finding.severity is Severity.ERROR
    assert "any JSON" in finding.message


def test_a_bare_list_drops_the_whole_grammar():
    [finding] = found(lint_models(BareList, provider="llama_cpp"), "llama_cpp.grammar-fallback")
    assert "its items have no type" in finding.message


def test_an_unanchored_pattern_drops_the_whole_grammar():
    findings = lint_models(UnanchoredPattern, provider="llama_cpp")
    [finding] = found(findings, "llama_cpp.grammar-fallback")
    assert finding.path == "#/$defs/UnanchoredPattern/properties/code"
    assert "^...$" in finding.fix


def test_numeric_bounds_are_left_to_validation():
    class User(BaseModel):
        age: int = Field(ge=0, le=130)

    findings = found(lint_models(User, provider="llama_cpp"), "llama_cpp.unenforced-keyword")
    assert {f.path for f in findings} == {
        "#/$defs/User/properties/age/minimum",
        "#/$defs/User/properties/age/maximum",
    }
    assert all(f.severity is Severity.WARNING for f in findings)
    assert "invalid card" in findings[0].message


def test_a_length_beside_a_pattern_is_not_enforced():
    class Coded(BaseModel):
        code: str = Field(pattern=r"^[A-Z]+$", max_length=5)

    [finding] = found(lint_models(Coded, provider="llama_cpp"), "llama_cpp.unenforced-keyword")
    assert finding.path == "#/$defs/Coded/properties/code/maxLength"
    assert "reads only `pattern`" in finding.message
    assert "anchored pattern" in finding.fix


def test_a_type_list_keeps_only_the_types():
    findings = found(lint_schema(HAND_WRITTEN, "llama_cpp"), "llama_cpp.unenforced-keyword")
    [finding] = [f for f in findings if f.path.endswith("/nick/minLength")]
    assert "`IterableItem.tasks.nick`" in finding.message
    assert "anyOf: [constrained type, null]" in finding.fix


def test_one_of_is_enforced_as_any_of():
    [finding] = found(lint_models(Owner, provider="llama_cpp"), "llama_cpp.one-of")
    assert finding.path == "#/$defs/Owner/properties/pet/oneOf"


def test_a_count_too_large_for_the_embedded_grammar_is_reported():
    class Team(BaseModel):
        members: list[str] = Field(max_length=5_000)

    [finding] = found(lint_models(Team, provider="llama_cpp"), "llama_cpp.grammar-count")
    assert "maxItems=5,000" in finding.message


def test_a_plain_model_is_clean_for_the_grammar():
    class User(BaseModel):
        name: str
        age: int
        email: str | None = None

    assert lint_models(User, provider="llama_cpp") == ()


# -- which rules apply ------------------------------------------------------------------------


def test_every_rule_has_a_fixture_above():
    source = Path(__file__).read_text(encoding="utf-8")
    assert [rule.id for rule in RULES if f'"{rule.id}"' not in source] == []


@pytest.mark.parametrize(
    ("provider", "mode", "applies"),
    [
        ("openai", "tools", True),
        ("openai", "json_schema", True),
        ("openai", "json", False),
        ("openai", "md_json", False),
        ("llama_cpp", "json", True),
        ("llama_cpp", "md_json", False),
    ],
)
def test_rules_apply_only_where_the_provider_enforces_the_schema(provider, mode, applies):
    assert bool(rules_for(provider, mode)) is applies


def test_findings_are_plain_json():
    class User(BaseModel):
        name: str

    record = lint_models(User)[0].to_dict()
    assert json.loads(json.dumps(record)) == {
        "rule": "openai.additional-properties",
        "severity": "error",
        "path": "#",
        "message": record["message"],
        "fix": record["fix"],
    }


def test_lint_does_not_change_the_schema():
    schema = build_wrapper([Owner]).json_schema
    before = copy.deepcopy(schema)
    lint_schema(schema, "openai")
    lint_schema(schema, "llama_cpp")
    assert schema == before


# -- the converter itself as the oracle --------------------------------------------------------


class Everything(BaseModel):
    """One of each shape the llama.cpp rules look at."""

    name: str = Field(min_length=1, max_length=40)
    code: str = Field(pattern=r"^[A-Z]+$", max_length=5)
    age: int = Field(ge=0, le=130)
    score: float = Field(gt=0, multiple_of=0.5)
    tags: list[str] = Field(min_length=1, max_length=3)
    unique: set[str]
    email: str | None = None
    url: AnyUrl
    when: str = Field(json_schema_extra={"format": "date"})
    pet: Cat | Dog = Field(discriminator="kind")
    nickname: str | None = Field(default=None, min_length=2)


def _grammar(schema: dict[str, Any]) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return json_schema_to_gbnf(json.dumps(schema))


def _without(schema: dict[str, Any], pointer: str) -> dict[str, Any]:
    """A copy of ``schema`` without the keyword ``pointer`` names."""
    copied = copy.deepcopy(schema)
    *parents, keyword = [t.replace("~1", "/").replace("~0", "~") for t in pointer[2:].split("/")]
    node = copied
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    del node[keyword]
    return copied


@pytest.mark.embedded
@pytest.mark.parametrize(
    ("schema", "expected"),
    [(build_wrapper([Everything]).json_schema, 7), (HAND_WRITTEN, 5)],
    ids=["pydantic", "hand-written"],
)
def test_every_keyword_reported_unenforced_leaves_the_real_grammar_unchanged(schema, expected):
    findings = found(lint_schema(schema, "llama_cpp"), "llama_cpp.unenforced-keyword")
    assert len(findings) == expected
    grammar = _grammar(schema)
    changed = [f.path for f in findings if _grammar(_without(schema, f.path)) != grammar]
    assert changed == []


@pytest.mark.embedded
def test_constraints_not_reported_do_change_the_real_grammar():
    schema = build_wrapper([Everything]).json_schema
    reported = {f.path for f in lint_schema(schema, "llama_cpp")}
    grammar = _grammar(schema)
    checked = []
    for node in index_schema(schema).nodes:
        for keyword in ("minLength", "maxLength", "pattern", "minItems", "maxItems", "enum"):
            pointer = f"{node.pointer}/{keyword}"
            if keyword in node.schema and pointer not in reported:
                checked.append(pointer)
                assert _grammar(_without(schema, pointer)) != grammar, pointer
    assert len(checked) >= 4


@pytest.mark.embedded
@pytest.mark.parametrize("model", [UntypedAny, BareList, UnanchoredPattern])
def test_every_node_reported_as_grammar_fallback_makes_the_real_converter_fail(model):
    schema = build_wrapper([model]).json_schema
    assert found(lint_schema(schema, "llama_cpp"), "llama_cpp.grammar-fallback")
    with pytest.raises((AssertionError, KeyError, ValueError)):
        _grammar(schema)
