"""Downloads of a run's entities: JSON, JSON Lines and CSV, specified on small inputs."""

from __future__ import annotations

import csv
import io
import json
from typing import Literal

from pydantic import BaseModel

from iterplay.downloads import entities_csv, entities_json, entities_jsonl
from iterplay.events import Entity, Invalid


class Address(BaseModel):
    street: str
    city: str


class Company(BaseModel):
    name: str
    address: Address
    tags: list[str] = []
    founded: int | None = None


class Person(BaseModel):
    kind: Literal["person"] = "person"
    name: str
    age: int


class Product(BaseModel):
    kind: Literal["product"] = "product"
    name: str
    price: float


def entity(index: int, value) -> Entity:
    return Entity(index, value, (0, 1), 0.1 * index)


def invalid(index: int) -> Invalid:
    errors = [{"type": "int_parsing", "loc": ["age"], "msg": "Input should be a valid integer"}]
    return Invalid(index, '{"name": "Bob", "age": "old"}', errors, (30, 59), 0.5)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


ACME = Company(name="Acme", address=Address(street="1 Main St", city="Springfield"), tags=["a"])


def test_nested_fields_become_dotted_columns():
    rows = csv_rows(entities_csv([entity(0, ACME)]))
    assert rows[0] == ["name", "address.street", "address.city", "tags", "founded"]
    assert rows[1][:3] == ["Acme", "1 Main St", "Springfield"]


def test_a_list_is_one_cell_holding_its_json():
    company = ACME.model_copy(update={"tags": ["big", 'old, "famous"']})
    rows = csv_rows(entities_csv([entity(0, company)]))
    assert json.loads(rows[1][3]) == ["big", 'old, "famous"']


def test_a_missing_optional_field_is_an_empty_cell():
    rows = csv_rows(entities_csv([entity(0, ACME)]))
    assert rows[1][4] == ""


def test_a_field_only_some_rows_have_leaves_the_others_empty():
    rows = csv_rows(entities_csv([entity(0, {"name": "A"}), entity(1, {"name": "B", "x": 1})]))
    assert rows == [["name", "x"], ["A", ""], ["B", "1"]]


def test_a_union_gives_the_union_of_columns_in_first_seen_order():
    elements = [
        entity(0, Person(name="Ann", age=31)),
        entity(1, Product(name="Lamp", price=9.5)),
        entity(2, Person(name="Bob", age=42)),
    ]
    rows = csv_rows(entities_csv(elements))
    assert rows[0] == ["kind", "name", "age", "price"]
    assert rows[1:] == [
        ["person", "Ann", "31", ""],
        ["product", "Lamp", "", "9.5"],
        ["person", "Bob", "42", ""],
    ]


def test_commas_quotes_newlines_and_unicode_survive_a_round_trip():
    name = 'Zoë, "the" Ünïcødé 🧩\nsecond line'
    text = entities_csv([entity(0, {"name": name, "note": "a\r\nb"})])
    assert csv_rows(text)[1] == [name, "a\r\nb"]


def test_booleans_and_nulls_are_written_plainly():
    rows = csv_rows(entities_csv([entity(0, {"ok": True, "bad": False, "none": None})]))
    assert rows[1] == ["true", "false", ""]


def test_a_text_cell_a_spreadsheet_would_run_as_a_formula_is_kept_as_text():
    rows = csv_rows(entities_csv([entity(0, {"a": "=HYPERLINK(1)", "b": "@x", "n": -5})]))
    assert rows[1] == ["'=HYPERLINK(1)", "'@x", "-5"]


def test_a_column_name_a_spreadsheet_would_run_as_a_formula_is_kept_as_text():
    # Keys come from the model (extra="allow", a dict field) or the schema's aliases.
    data = {'=HYPERLINK("http://x")': "open", "+1": {"@SUM(A1)": 2}, "name": "A"}
    header = csv_rows(entities_csv([entity(0, data)]))[0]
    assert header == ['\'=HYPERLINK("http://x")', "'+1.@SUM(A1)", "name"]


def test_invalid_elements_are_left_out_of_csv_and_jsonl():
    elements = [entity(0, {"name": "A"}), invalid(1), entity(2, {"name": "C"})]
    assert csv_rows(entities_csv(elements)) == [["name"], ["A"], ["C"]]
    assert entities_jsonl(elements) == '{"name": "A"}\n{"name": "C"}\n'


def test_json_lists_the_invalid_elements_with_their_errors():
    data = json.loads(entities_json([entity(0, ACME), invalid(1)]))
    assert data["entities"] == [ACME.model_dump(mode="json")]
    assert data["invalid"] == [
        {
            "index": 1,
            "raw": '{"name": "Bob", "age": "old"}',
            "span": [30, 59],
            "errors": [
                {"type": "int_parsing", "loc": ["age"], "msg": "Input should be a valid integer"}
            ],
        }
    ]


def test_json_and_jsonl_keep_unicode_as_written():
    elements = [entity(0, {"name": "Zoë 🧩"})]
    assert "Zoë 🧩" in entities_json(elements)
    assert entities_jsonl(elements) == '{"name": "Zoë 🧩"}\n'


def test_entities_that_are_plain_data_download_like_models():
    as_model = entities_csv([entity(0, ACME)])
    as_data = entities_csv([entity(0, ACME.model_dump(mode="json"))])
    assert as_model == as_data


def test_no_entities_is_an_empty_file_of_each_kind():
    assert entities_csv([]) == ""
    assert entities_jsonl([]) == ""
    assert json.loads(entities_json([])) == {"entities": [], "invalid": []}
