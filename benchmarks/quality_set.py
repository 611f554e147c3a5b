"""A small labelled set for the embedded model: short texts and the entities they state.

Three schemas (people, products, events), five or six texts each, one with nothing to extract.
The expected entities are what a careful human would write down from the text alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


class Person(BaseModel):
    name: str
    age: int


class Product(BaseModel):
    name: str
    price: float


class Event(BaseModel):
    name: str
    city: str


@dataclass(frozen=True)
class Case:
    domain: str
    schema: type[BaseModel]
    text: str
    expected: tuple[dict[str, Any], ...]


def _people(text: str, *entities: tuple[str, int]) -> Case:
    return Case("people", Person, text, tuple({"name": n, "age": a} for n, a in entities))


def _products(text: str, *entities: tuple[str, float]) -> Case:
    return Case("products", Product, text, tuple({"name": n, "price": p} for n, p in entities))


def _events(text: str, *entities: tuple[str, str]) -> Case:
    return Case("events", Event, text, tuple({"name": n, "city": c} for n, c in entities))


CASES: tuple[Case, ...] = (
    _people("Consider this data: Jason is 10 and John is 30.", ("Jason", 10), ("John", 30)),
    _people("Mary is 45 years old and her son Tom is 12.", ("Mary", 45), ("Tom", 12)),
    _people("Alice, aged 33, met Bob, who is 29, in Paris.", ("Alice", 33), ("Bob", 29)),
    _people("Our oldest club member, Rita, turned 81 last week.", ("Rita", 81)),
    _people(
        "Carlos (52), Mei (27) and Ahmed (40) joined the team.",
        ("Carlos", 52),
        ("Mei", 27),
        ("Ahmed", 40),
    ),
    _people("The weather in Oslo was cold and rainy all week."),
    _products(
        "The coffee mug costs $12.50 and the teapot costs $30.",
        ("coffee mug", 12.5),
        ("teapot", 30),
    ),
    _products("A USB cable is $5.", ("USB cable", 5)),
    _products(
        "We sell a laptop for 999 dollars and a mouse for 25 dollars.",
        ("laptop", 999),
        ("mouse", 25),
    ),
    _products(
        "Price list: pencil 0.99, notebook 3.49, eraser 0.50.",
        ("pencil", 0.99),
        ("notebook", 3.49),
        ("eraser", 0.5),
    ),
    _products("The headphones are on sale for $79.99.", ("headphones", 79.99)),
    _events("PyCon US takes place in Pittsburgh.", ("PyCon US", "Pittsburgh")),
    _events(
        "The Berlin Marathon is run in Berlin and the Boston Marathon in Boston.",
        ("Berlin Marathon", "Berlin"),
        ("Boston Marathon", "Boston"),
    ),
    _events(
        "Glastonbury Festival happens in Pilton every June.", ("Glastonbury Festival", "Pilton")
    ),
    _events(
        "Comic-Con is held in San Diego, and Gamescom in Cologne.",
        ("Comic-Con", "San Diego"),
        ("Gamescom", "Cologne"),
    ),
    _events("The 2024 Summer Olympics were held in Paris.", ("2024 Summer Olympics", "Paris")),
)
