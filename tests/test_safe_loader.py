"""The pydantic schema loader: declarative code loads, anything that could run code is refused."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from textwrap import dedent

import pytest
from pydantic import ValidationError

from iterplay.errors import SchemaError
from iterplay.schema import load_schema, trusted_code_enabled

HEADER = "from pydantic import BaseModel, Field\n"


def load(source: str):
    return load_schema(dedent(source))


def refusal(source: str) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        load(source)
    return caught.value


@pytest.fixture(autouse=True)
def untrusted(monkeypatch):
    monkeypatch.delenv("ITERPLAY_TRUSTED_CODE", raising=False)


# -- accepted ---------------------------------------------------------------------------------


def test_simple_model_validates_data():
    schema = load("""
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str
            age: int
    """)
    user = schema.models["User"].model_validate({"name": "Jason", "age": 10})
    assert (user.name, user.age) == ("Jason", 10)


def test_loaded_model_rejects_invalid_data():
    schema = load("""
        from pydantic import BaseModel, Field
        class User(BaseModel):
            age: int
    """)
    with pytest.raises(ValidationError):
        schema.models["User"].model_validate({"age": "ten"})


def test_text_is_kept_and_the_server_loads_only_generated_source():
    text = HEADER + "class User(BaseModel):\n    name: str\n"
    schema = load_schema(text)
    assert (schema.kind, schema.text) == ("pydantic", text)
    assert schema.source.startswith("# Generated from the JSON Schema by datamodel-code-generator")
    assert "class User(BaseModel):" in schema.source


def test_models_are_listed_in_definition_order_without_enums():
    schema = load("""
        from enum import Enum
        from pydantic import BaseModel

        class B(BaseModel):
            x: int

        class Color(str, Enum):
            RED = "red"

        class A(BaseModel):
            b: B
            color: Color
    """)
    assert list(schema.models) == ["B", "A"]


def test_nested_models_optional_list_and_dict_validate():
    schema = load("""
        from typing import Optional
        from pydantic import BaseModel

        class Address(BaseModel):
            city: str

        class User(BaseModel):
            address: Optional[Address] = None
            previous: list[Address] = []
            scores: dict[str, int] = {}
    """)
    user = schema.models["User"].model_validate(
        {"address": {"city": "Paris"}, "previous": [{"city": "Oslo"}], "scores": {"a": 1}}
    )
    assert user.address.city == "Paris"
    assert user.previous[0].city == "Oslo"
    assert user.scores == {"a": 1}


def test_literal_and_str_enum_fields_validate():
    schema = load("""
        from enum import Enum
        from typing import Literal
        from pydantic import BaseModel

        class Color(str, Enum):
            RED = "red"
            GREEN = "green"

        class Item(BaseModel):
            kind: Literal["fruit", "vegetable"]
            color: Color = Color.RED
    """)
    item = schema.models["Item"].model_validate({"kind": "fruit", "color": "green"})
    assert item.color == "green"
    with pytest.raises(ValidationError):
        schema.models["Item"].model_validate({"kind": "stone"})


def test_annotated_field_constraints_and_descriptions_reach_the_json_schema():
    schema = load("""
        from typing import Annotated
        from pydantic import BaseModel, Field

        class User(BaseModel):
            name: Annotated[str, Field(description="Full name", min_length=1)]
            age: int = Field(ge=0, le=150, description="Age in years")
    """)
    properties = schema.models["User"].model_json_schema()["properties"]
    assert properties["name"] == {
        "description": "Full name",
        "minLength": 1,
        "title": "Name",
        "type": "string",
    }
    assert properties["age"]["description"] == "Age in years"
    assert (properties["age"]["minimum"], properties["age"]["maximum"]) == (0, 150)


def test_constrained_type_calls_and_annotated_types_are_accepted():
    schema = load("""
        from typing import Annotated
        from annotated_types import Gt
        from pydantic import BaseModel, conint, conlist, constr

        class Order(BaseModel):
            code: constr(pattern=r"^[A-Z]+$")
            quantity: conint(gt=0)
            lines: conlist(str, min_length=1)
            price: Annotated[float, Gt(0)]
    """)
    order = schema.models["Order"]
    assert order.model_validate({"code": "AB", "quantity": 1, "lines": ["x"], "price": 2.5})
    with pytest.raises(ValidationError):
        order.model_validate({"code": "ab", "quantity": 0, "lines": [], "price": -1})


def test_dates_and_datetimes_are_parsed():
    schema = load("""
        import datetime
        from datetime import date
        from pydantic import BaseModel

        class Event(BaseModel):
            day: date
            starts: datetime.datetime
    """)
    event = schema.models["Event"].model_validate(
        {"day": "2024-05-01", "starts": "2024-05-01T10:00:00"}
    )
    assert event.day == datetime.date(2024, 5, 1)
    assert event.starts.hour == 10


def test_future_annotations_resolve_classes_defined_later():
    schema = load("""
        from __future__ import annotations
        from pydantic import BaseModel

        class User(BaseModel):
            address: Address | None = None

        class Address(BaseModel):
            city: str
    """)
    user = schema.models["User"].model_validate({"address": {"city": "Rome"}})
    assert user.address.city == "Rome"


def test_string_forward_references_resolve_including_self_reference():
    schema = load("""
        from pydantic import BaseModel

        class Node(BaseModel):
            name: str
            children: list["Node"] = []
            owner: "Owner | None" = None

        class Owner(BaseModel):
            name: str
    """)
    node = schema.models["Node"].model_validate(
        {"name": "a", "children": [{"name": "b"}], "owner": {"name": "c"}}
    )
    assert node.children[0].name == "b"
    assert node.owner.name == "c"


def test_docstrings_become_json_schema_descriptions():
    schema = load('''
        """Schema for people."""
        from pydantic import BaseModel

        class User(BaseModel):
            """A person mentioned in the text."""

            name: str
            """Attribute docstrings are fine too."""
    ''')
    assert schema.models["User"].model_json_schema()["description"] == (
        "A person mentioned in the text."
    )


def test_model_config_applies():
    schema = load("""
        from pydantic import BaseModel, ConfigDict

        class User(BaseModel):
            model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
            name: str
    """)
    user_model = schema.models["User"]
    assert user_model.model_validate({"name": "  Ann "}).name == "Ann"
    with pytest.raises(ValidationError):
        user_model.model_validate({"name": "Ann", "age": 3})


def test_type_aliases_and_module_attributes_are_accepted():
    schema = load("""
        import typing
        from pydantic import BaseModel, Field

        Tags = list[str]
        Score: typing.TypeAlias = typing.Annotated[int, Field(ge=0)]

        class Post(BaseModel):
            tags: Tags
            score: Score
            note: typing.Optional[str] = None
    """)
    assert schema.models["Post"].model_validate({"tags": ["a"], "score": 3}).tags == ["a"]


def test_root_model_and_inheritance_are_accepted():
    schema = load("""
        from pydantic import BaseModel, RootModel

        class Base(BaseModel):
            id: int

        class User(Base):
            name: str

        class Users(RootModel[list[User]]):
            pass
    """)
    users = schema.models["Users"].model_validate([{"id": 1, "name": "Ann"}])
    assert users.root[0].name == "Ann"


def test_field_default_factory_and_negative_literals_are_accepted():
    schema = load("""
        from pydantic import BaseModel, Field
        class Reading(BaseModel):
            values: list[float] = Field(default_factory=list)
            offset: int = Field(default=-3, ge=-10)
    """)
    assert schema.models["Reading"]().offset == -3


def test_schema_with_no_model_is_refused():
    error = refusal("from pydantic import BaseModel\n")
    assert "define at least one class deriving from BaseModel" in str(error)


# -- refused, with the line ---------------------------------------------------------------------


def assert_refused_at(source: str, line: int, *words: str) -> SchemaError:
    error = refusal(source)
    assert error.line == line
    assert str(error).startswith(f"line {line}")
    for word in words:
        assert word in str(error)
    return error


def test_import_os_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel
        import os
    """,
        2,
        "'os'",
    )


def test_from_os_import_is_refused():
    assert_refused_at("from os import path\n", 1, "'os'")


def test_module_level_function_is_refused():
    error = assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        def f():
            return 1
    """,
        2,
        "functions are not allowed",
    )
    assert "ITERPLAY_TRUSTED_CODE=1" in str(error)


def test_method_in_a_class_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str

            def greet(self):
                return "hi"
    """,
        5,
        "functions are not allowed",
    )


def test_field_validator_is_refused_at_its_decorator():
    assert_refused_at(
        """\
        from pydantic import BaseModel, field_validator

        class User(BaseModel):
            name: str

            @field_validator("name")
            @classmethod
            def shout(cls, value):
                return value.upper()
    """,
        6,
        "functions are not allowed",
    )


def test_dunder_import_call_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str = __import__("os").getcwd()
    """,
        3,
        "__import__",
    )


def test_open_in_a_default_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str = open("/etc/passwd").read()
    """,
        3,
        "not allowed",
    )


def test_dunder_attribute_access_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str = ().__class__
    """,
        3,
        "__class__",
    )


def test_lambda_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str = Field(default=lambda: "x")
    """,
        3,
        "lambdas are not allowed",
    )


def test_default_factory_other_than_a_container_or_model_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str = Field(default_factory=lambda: "x")
    """,
        3,
        "default_factory may only be",
    )


def test_comprehension_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            tags: list[int] = [i for i in range(3)]
    """,
        3,
        "comprehensions are not allowed",
    )


def test_call_to_other_function_inside_field_arguments_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str = Field(
                description=str(1),
            )
    """,
        4,
        "calling 'str' is not allowed",
    )


def test_syntax_error_is_refused_with_its_position():
    error = assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel)
            name: str
    """,
        2,
        "syntax error",
    )
    assert error.column is not None


def test_undefined_name_is_refused_with_line_and_column():
    error = assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            age: Intt
    """,
        3,
        "name 'Intt' is not defined",
    )
    assert error.column == 10


def test_decorator_on_a_class_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        @Field
        class User(BaseModel):
            name: str
    """,
        2,
        "decorators are not allowed",
    )


def test_source_over_100_kb_is_refused():
    source = HEADER + "class User(BaseModel):\n    name: str\n" + "#" * 100_000
    error = refusal(source)
    assert "100 KB" in str(error)


def test_character_that_is_not_valid_unicode_is_refused_with_its_position():
    error = refusal("from pydantic import BaseModel\nclass A(BaseModel):\n    x: str = '\ud800'\n")
    assert (error.line, error.column) == (3, 15)


def test_code_hidden_in_a_string_forward_reference_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: "__import__('os').system('true')"
    """,
        3,
        "__import__",
    )


def test_call_at_module_level_is_refused():
    assert_refused_at(HEADER + "x = print('hi')\n", 2, "calling 'print'")


def test_control_flow_at_module_level_is_refused():
    assert_refused_at(HEADER + "if True:\n    pass\n", 2, "top level")


def test_rebinding_an_allowed_name_is_refused():
    assert_refused_at(HEADER + "Field = list\n", 2, "already defined on line 1")


def test_importing_a_dangerous_pydantic_type_is_refused():
    assert_refused_at("from pydantic import ImportString\n", 1, "ImportString")


def test_pydantic_error_at_class_creation_names_the_class_line():
    error = assert_refused_at(
        """\
        from pydantic import BaseModel, Field

        class Broken(BaseModel):
            y: int = Field(discriminator="kind")
    """,
        3,
        "discriminated union",
    )
    assert "errors.pydantic.dev" not in str(error)


def test_class_used_before_its_definition_without_future_import_is_refused():
    assert_refused_at(
        """\
        from pydantic import BaseModel

        class User(BaseModel):
            address: Address

        class Address(BaseModel):
            city: str
    """,
        4,
        "name 'Address' is not defined",
        "from __future__ import annotations",
    )


# -- trusted mode -----------------------------------------------------------------------------

VALIDATOR_SOURCE = """\
    from pydantic import BaseModel, field_validator

    class User(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def shout(cls, value: str) -> str:
            return value.upper()
"""


def test_trusted_code_is_off_by_default():
    assert trusted_code_enabled() is False


def run_started_with_trusted_code(value: str, script: str) -> str:
    """Run ``script`` in a new process started with ITERPLAY_TRUSTED_CODE=value; its stdout."""
    environment = {**os.environ, "ITERPLAY_TRUSTED_CODE": value}
    completed = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


LOAD_VALIDATOR = (
    "from iterplay.errors import SchemaError\n"
    "from iterplay.schema import load_schema\n"
    f"source = {dedent(VALIDATOR_SOURCE)!r}\n"
    "try:\n"
    "    user = load_schema(source).models['User'].model_validate({'name': 'ann'})\n"
    "    print(user.name)\n"
    "except SchemaError as error:\n"
    "    print('refused:', error)\n"
)


def test_field_validator_runs_when_the_server_starts_trusting_schema_code():
    assert run_started_with_trusted_code("1", LOAD_VALIDATOR) == "ANN"


def test_field_validator_is_refused_unless_the_value_is_exactly_1():
    output = run_started_with_trusted_code("true", LOAD_VALIDATOR)
    assert output.startswith("refused: line 6") and "ITERPLAY_TRUSTED_CODE=1" in output


def test_trusted_code_cannot_be_switched_on_after_start_up(monkeypatch):
    monkeypatch.setenv("ITERPLAY_TRUSTED_CODE", "1")
    assert trusted_code_enabled() is False
    assert_refused_at(VALIDATOR_SOURCE, 6, "ITERPLAY_TRUSTED_CODE=1")


def test_trusted_code_errors_are_schema_errors_with_their_line(monkeypatch):
    monkeypatch.setattr("iterplay.schema.safe_loader._TRUSTED_AT_START", True)
    assert_refused_at(
        """\
        from pydantic import BaseModel
        x = 1 / 0
    """,
        2,
        "division by zero",
    )


def test_missing_pydantic_import_names_the_import_to_add():
    error = refusal("class User(BaseModel):\n    name: str\n")
    assert error.line == 1
    assert "from pydantic import BaseModel" in str(error)


# -- the round trip through JSON Schema -------------------------------------------------------


def test_a_setting_json_schema_cannot_carry_is_named_in_a_note():
    schema = load("""
        from pydantic import BaseModel, ConfigDict
        class User(BaseModel):
            model_config = ConfigDict(frozen=True)
            name: str
    """)
    assert schema.notes == (
        "User: model_config frozen cannot be carried by JSON Schema and is not applied",
    )


def test_a_schema_json_schema_carries_whole_has_no_notes():
    schema = load("""
        from typing import Optional
        from pydantic import BaseModel, Field
        class User(BaseModel):
            name: str = Field(description="full name", min_length=1)
            age: Optional[int] = None
    """)
    assert schema.notes == ()


def test_strict_carries_over_as_a_setting():
    schema = load("""
        from pydantic import BaseModel, ConfigDict
        class User(BaseModel):
            model_config = ConfigDict(strict=True)
            age: int
    """)
    with pytest.raises(ValidationError):
        schema.models["User"].model_validate({"age": "10"})


def test_inheritance_keeps_the_subclass_as_the_only_root():
    schema = load("""
        from pydantic import BaseModel
        class Person(BaseModel):
            name: str
        class Employee(Person):
            company: str
    """)
    assert schema.roots == ("Employee",)
    assert set(schema.models["Employee"].model_fields) == {"name", "company"}


def test_field_used_without_its_import_says_what_to_import():
    error = refusal("from pydantic import BaseModel\nclass A(BaseModel):\n    x: int = Field(1)\n")
    assert (error.line, error.column) == (3, 14)
    assert "name 'Field' is not defined; add 'from pydantic import Field' at the top" in str(error)
