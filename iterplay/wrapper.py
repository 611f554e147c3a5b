"""The instructor-compatible ``Iterable{Name}`` wrapper around the target model(s).

instructor turns ``Iterable[User]`` into a model ``IterableUser`` with one field
``tasks: list[User]``; the model is asked to fill that, and the stream is split on the elements of
``tasks``. Keeping the same names and descriptions means a prompt tuned here behaves the same in
instructor. Unlike instructor, ``tasks`` is required (no default): grammar-constrained decoders
may otherwise stop at ``{}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Union

from pydantic import BaseModel, Field, TypeAdapter, create_model


@dataclass(frozen=True)
class Wrapper:
    """The wrapper model plus what each consumer needs of it."""

    targets: tuple[type[BaseModel], ...]
    model: type[BaseModel]

    @property
    def name(self) -> str:
        return self.model.__name__

    @property
    def task_name(self) -> str:
        return task_name_of(self.targets)

    @property
    def description(self) -> str:
        return self.model.__doc__ or ""

    @cached_property
    def json_schema(self) -> dict[str, Any]:
        """What the model is asked to produce."""
        return self.model.model_json_schema()

    @cached_property
    def element_adapter(self) -> TypeAdapter:
        """Validates one element of ``tasks`` (the target, or the union of targets)."""
        return TypeAdapter(element_type(self.targets))

    def json_schema_text(self) -> str:
        return json.dumps(self.json_schema, indent=2)

    def python_source(self) -> str:
        """The wrapper as the Python a user would write by hand, for teaching."""
        return wrapper_source([target.__name__ for target in self.targets])


def wrapper_source(target_names: Sequence[str]) -> str:
    """The source of ``Iterable{Name}`` for targets of these names (a run file keeps only the
    names): what ``build_wrapper`` creates, written as a user would write it by hand."""
    task_name = "Or".join(target_names)
    if len(target_names) == 1:
        element = target_names[0]
    else:
        element = "Union[" + ", ".join(target_names) + "]"
    return (
        f"class {wrapper_name(task_name)}(BaseModel):\n"
        f'    """{wrapper_description(task_name)}"""\n\n'
        f"    tasks: list[{element}] = Field(\n"
        f'        description="{tasks_description(task_name)}",\n'
        f"    )\n"
    )


def task_name_of(targets: Sequence[type[BaseModel]]) -> str:
    """``User`` for one target, ``UserOrProduct`` for a union."""
    return "Or".join(t.__name__ for t in targets)


def element_type(targets: Sequence[type[BaseModel]]) -> Any:
    if len(targets) == 1:
        return targets[0]
    return Union[tuple(targets)]  # noqa: UP007 - a runtime union of classes


def wrapper_name(task_name: str) -> str:
    return f"Iterable{task_name}"


def wrapper_description(task_name: str) -> str:
    return f"Correct segmentation of `{task_name}` tasks"


def tasks_description(task_name: str) -> str:
    return f"Correctly segmented list of `{task_name}` tasks"


def build_wrapper(targets: Sequence[type[BaseModel]]) -> Wrapper:
    """Create ``Iterable{Name}`` with ``tasks: list[Target]`` (or ``list[Union[...]]``)."""
    if not targets:
        raise ValueError("at least one target model is needed")
    task_name = task_name_of(targets)
    model = create_model(
        wrapper_name(task_name),
        __doc__=wrapper_description(task_name),
        tasks=(list[element_type(targets)], Field(description=tasks_description(task_name))),
    )
    return Wrapper(targets=tuple(targets), model=model)
