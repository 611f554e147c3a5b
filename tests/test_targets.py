"""Which models a run extracts: the root by default, or the ones the user names."""

from __future__ import annotations

from textwrap import dedent

import pytest

from iterplay.errors import SchemaError
from iterplay.schema import load_schema, select_targets
from iterplay.schema.targets import TargetChoice, choose_targets


def load(source: str):
    return load_schema("from pydantic import BaseModel, RootModel\n" + dedent(source))


USER_WITH_ADDRESS = """
    class Address(BaseModel):
        city: str

    class User(BaseModel):
        name: str
        address: Address | None = None
"""

TWO_ROOTS = """
    class Person(BaseModel):
        name: str

    class Company(BaseModel):
        name: str
"""


def test_single_root_is_the_default_target():
    schema = load(USER_WITH_ADDRESS)
    assert select_targets(schema) == (schema.models["User"],)


def test_nested_model_is_not_a_root():
    assert load(USER_WITH_ADDRESS).roots == ("User",)


def test_model_used_inside_list_dict_or_annotated_is_not_a_root():
    schema = load("""
        from typing import Annotated
        from pydantic import Field

        class A(BaseModel):
            x: int

        class B(BaseModel):
            x: int

        class C(BaseModel):
            x: int

        class Holder(BaseModel):
            a: list[A]
            b: dict[str, B | None]
            c: Annotated[C, Field(description="the c")]
    """)
    assert schema.roots == ("Holder",)


def test_self_reference_keeps_a_model_a_root():
    schema = load("""
        class Node(BaseModel):
            children: list["Node"] = []
    """)
    assert schema.roots == ("Node",)


def test_base_class_of_another_model_is_not_a_root():
    schema = load("""
        class Person(BaseModel):
            name: str

        class Employee(Person):
            company: str
    """)
    assert schema.roots == ("Employee",)


def test_root_model_over_a_list_stands_for_its_item():
    schema = load("""
        class User(BaseModel):
            name: str

        class Users(RootModel[list[User]]):
            pass
    """)
    assert schema.roots == ("User",)


def test_several_roots_without_a_choice_are_all_extracted_and_the_note_says_so():
    schema = load(TWO_ROOTS)
    chosen = choose_targets(schema)
    assert chosen.names == ("Person", "Company")
    assert "several root models (Person, Company)" in chosen.note
    assert select_targets(schema) == (schema.models["Person"], schema.models["Company"])


def test_a_single_root_or_a_choice_needs_no_note():
    assert choose_targets(load(USER_WITH_ADDRESS)).note is None
    assert choose_targets(load(TWO_ROOTS), ["Company"]) == TargetChoice(("Company",))


def test_chosen_targets_are_returned_in_the_given_order():
    schema = load(TWO_ROOTS)
    assert select_targets(schema, ["Company", "Person"]) == (
        schema.models["Company"],
        schema.models["Person"],
    )


def test_a_nested_model_can_be_chosen_as_target():
    schema = load(USER_WITH_ADDRESS)
    assert select_targets(schema, ["Address"]) == (schema.models["Address"],)


def test_empty_choice_means_the_default_target():
    schema = load(USER_WITH_ADDRESS)
    assert select_targets(schema, []) == (schema.models["User"],)


def test_unknown_target_is_an_error_listing_the_models():
    with pytest.raises(SchemaError, match=r"unknown target 'Usr'.*Address, User"):
        select_targets(load(USER_WITH_ADDRESS), ["User", "Usr"])


def test_models_that_only_use_each_other_leave_no_default_target():
    schema = load("""
        class A(BaseModel):
            b: "B | None" = None

        class B(BaseModel):
            a: A | None = None
    """)
    assert schema.roots == ()
    with pytest.raises(SchemaError, match="choose a target"):
        select_targets(schema)
