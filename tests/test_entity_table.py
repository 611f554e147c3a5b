"""Entities as table rows: nested fields become dotted columns, lists their JSON."""

from __future__ import annotations

from pydantic import BaseModel

from components.entity_table import entity_table, table_row
from iterplay.events import Entity


class Address(BaseModel):
    city: str
    zip: str | None = None


class Person(BaseModel):
    name: str
    address: Address
    tags: list[str]


class Pet(BaseModel):
    name: str


def entity(index: int, value: BaseModel) -> Entity:
    return Entity(index=index, value=value, span=(0, 0), t=0.1)


def test_nested_fields_become_dotted_columns_and_lists_their_json():
    person = Person(name="Ann", address=Address(city="Oslo"), tags=["a", "b"])
    assert table_row(entity(3, person)) == {
        "#": 3,
        "model": "Person",
        "name": "Ann",
        "address.city": "Oslo",
        "address.zip": None,
        "tags": '["a", "b"]',
    }


def test_the_model_column_is_kept_only_when_rows_have_different_models():
    one_kind = entity_table([table_row(entity(0, Pet(name="Rex")))])
    assert list(one_kind.columns) == ["#", "name"]
    person = Person(name="Ann", address=Address(city="Oslo"), tags=[])
    two_kinds = entity_table([table_row(entity(0, Pet(name="Rex"))), table_row(entity(1, person))])
    assert list(two_kinds["model"]) == ["Pet", "Person"]
