"""Which models a run extracts: the root models, or the ones the user names.

A root is a model that no other model of the schema uses, directly or inside ``list``,
``Optional``, unions, ``dict`` or ``Annotated``: it is what a user means by "the schema". Two
shapes are read the way a user means them rather than literally:

- a model that another model of the file inherits from is a building block, not a root (a
  JSON Schema ``allOf`` becomes such a base class);
- a ``RootModel[list[Item]]`` (what a JSON Schema whose top level is an array of objects
  becomes) stands for ``Item``: the Iterable wrapper already makes the list, so ``Item`` is the
  root and the run streams items rather than one list.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args, get_origin

from pydantic import BaseModel, RootModel

from iterplay.errors import SchemaError

if TYPE_CHECKING:
    from iterplay.schema.loaded import LoadedSchema


def find_roots(models: dict[str, type[BaseModel]]) -> tuple[str, ...]:
    """Names of the root models, in definition order."""
    used = set()
    for model in models.values():
        used.update(base for base in model.__mro__[1:] if base in models.values())
        for field in model.model_fields.values():
            used.update(other for other in _models_in(field.annotation) if other is not model)
    roots: list[str] = []
    for name, model in models.items():
        if model in used:
            continue
        root = _list_item_name(model, models) or name
        if root not in roots:
            roots.append(root)
    return tuple(roots)


@dataclass(frozen=True)
class TargetChoice:
    """The models a run extracts, and what to tell the user when the rule chose them."""

    names: tuple[str, ...]
    note: str | None = None


def choose_targets(schema: LoadedSchema, names: Sequence[str] | None = None) -> TargetChoice:
    """The one rule for the CLI and the playground: the named models in the given order, else
    the root models (one: it; several: all of them, which makes the wrapper a union). An empty
    ``names`` means no choice was made, like ``None``. With no root, the user must choose.
    """
    if names:
        unknown = [name for name in names if name not in schema.models]
        if unknown:
            raise SchemaError(
                f"unknown target '{unknown[0]}'; the schema defines {', '.join(schema.models)}"
            )
        return TargetChoice(tuple(names))
    if len(schema.roots) == 1:
        return TargetChoice(schema.roots)
    if not schema.roots:
        raise SchemaError(
            "every model is used by another model, so there is no root model: choose a target"
        )
    return TargetChoice(
        schema.roots,
        f"several root models ({', '.join(schema.roots)}): extracting all of them (the wrapper "
        "holds a union of them); choose targets to narrow it",
    )


def select_targets(
    schema: LoadedSchema, names: Sequence[str] | None = None
) -> tuple[type[BaseModel], ...]:
    """The models ``choose_targets`` names."""
    return tuple(schema.models[name] for name in choose_targets(schema, names).names)


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in get_args(annotation):
        yield from _models_in(argument)


def _list_item_name(model: type[BaseModel], models: dict[str, type[BaseModel]]) -> str | None:
    if not issubclass(model, RootModel):
        return None
    annotation = model.model_fields["root"].annotation
    items = get_args(annotation)
    if get_origin(annotation) is list and len(items) == 1:
        return next((name for name, other in models.items() if other is items[0]), None)
    return None
