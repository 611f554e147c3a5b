"""Two recorded runs side by side: which entities each found, what changed, how inputs differ.

Run B is the reference. Its entities are the *expected* side of the scoring matcher
(``iterplay.scoring``), so entities are paired exactly as ``iterplay eval`` and live scoring
pair them: one to one, an entity equal in every field first, the rest by the most equal fields,
field values compared by type (strings normalized, numbers within a tolerance). Of run A's
entities, one paired in every field is *same*, one paired with differing fields is *changed*
(those fields named), one without a pair was *added* (only A found it); B's entities left
without a pair are *missing* (only B found them). A field that only one run's schema has counts
as changed when its values differ.

Fields are compared by the reference run's schema when it loads (else by run A's, else by the
JSON of the entities alone). Schemas and system prompts differ as a unified diff from B to A:
``+`` lines are A's.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

from iterplay.scoring import EntityComparer, Entry, ExpectedIndex, Mark, Scorer, comparer_for
from iterplay.stored_run import RunFigures, StoredRun
from iterplay.wrapper import Wrapper

_ANY_MODEL = "entity"  # the one model name when no schema loads


class Change(StrEnum):
    """What became of one entity between run B (the reference) and run A."""

    SAME = "same"
    CHANGED = "changed"
    ADDED = "added"  # only A has it
    MISSING = "missing"  # only B has it

    @property
    def label(self) -> str:
        return _CHANGE_LABELS[self]


_CHANGE_LABELS = {
    Change.SAME: "Same",
    Change.CHANGED: "Changed",
    Change.ADDED: "Added (only in A)",
    Change.MISSING: "Missing (only in B)",
}


@dataclass(frozen=True)
class EntityPair:
    """One row of the comparison: an entity of A, of B, or one of each."""

    change: Change
    a_index: int | None  # the element index of A's entity (as its card shows it)
    b_index: int | None
    a: dict[str, Any] | None
    b: dict[str, Any] | None
    changed_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunComparison:
    a: StoredRun
    b: StoredRun
    pairs: tuple[EntityPair, ...]
    field_names: tuple[str, ...]  # every field either side has, the reference schema's first
    schema_diff: str  # "" when the schemas (and their kinds and targets) are the same
    prompt_diff: str  # "" when the system prompts are the same

    def count(self, change: Change) -> int:
        return sum(pair.change is change for pair in self.pairs)

    def figures(self) -> tuple[RunFigures, RunFigures]:
        return self.a.figures(), self.b.figures()


def compare_runs(a: StoredRun, b: StoredRun, wrapper: Wrapper | None = None) -> RunComparison:
    """Pair A's entities with B's; ``wrapper``: the schema to compare fields by (see above)."""
    a_data = [_as_object(data) for data in a.entities]
    b_data = [_as_object(data) for data in b.entities]
    comparer, model_of = _comparer(wrapper, [*a_data, *b_data])
    index = ExpectedIndex(comparer, [Entry(model_of(data), data) for data in b_data])
    scorer = Scorer(index)
    for data in a_data:
        scorer.add(Entry(model_of(data), data))
    scoring = scorer.scoring()
    extra = _fields_outside(comparer.field_names, [*a_data, *b_data])
    a_index, b_index = a.entity_indexes, b.entity_indexes
    pairs: list[EntityPair] = []
    for position, verdict in enumerate(scoring.verdicts):
        first = a_data[position]
        if verdict.mark is Mark.INVENTED or verdict.expected_index is None:
            pairs.append(EntityPair(Change.ADDED, a_index[position], None, first, None))
            continue
        second = b_data[verdict.expected_index]
        changed = (*verdict.differing, *(n for n in extra if first.get(n) != second.get(n)))
        change = Change.CHANGED if changed else Change.SAME
        pairs.append(
            EntityPair(
                change, a_index[position], b_index[verdict.expected_index], first, second, changed
            )
        )
    for position in scoring.missed:
        pairs.append(EntityPair(Change.MISSING, None, b_index[position], None, b_data[position]))
    return RunComparison(
        a=a,
        b=b,
        pairs=tuple(pairs),
        field_names=(*comparer.field_names, *extra),
        schema_diff=unified_diff(_schema_text(b), _schema_text(a), f"run {b.id}", f"run {a.id}"),
        prompt_diff=unified_diff(
            b.sent_system_prompt, a.sent_system_prompt, f"run {b.id}", f"run {a.id}"
        ),
    )


def unified_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    """``before`` -> ``after`` as a unified diff; "" when they are the same."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), before_name, after_name, lineterm=""
    )
    return "\n".join(lines)


def _schema_text(run: StoredRun) -> str:
    """The schema with what decides its meaning besides the text: its kind and targets."""
    targets = ", ".join(run.target) or "(the root model)"
    return f"# {run.schema_kind} schema, target {targets}\n{run.schema_text}"


def _as_object(data: Any) -> dict[str, Any]:
    """Entities of a model are objects; anything else compares as its one value."""
    return data if isinstance(data, dict) else {"value": data}


def _comparer(wrapper: Wrapper | None, entities: Sequence[dict[str, Any]]):
    """The field comparer and how to tell an entity's model: by the schema, else by its keys."""
    if wrapper is None:
        names = dict.fromkeys(name for data in entities for name in data)
        schema = {"type": "object", "properties": {name: {} for name in names}}
        return EntityComparer({_ANY_MODEL: schema}), lambda data: _ANY_MODEL
    properties = {
        target.__name__: set(target.model_json_schema().get("properties", {}))
        for target in wrapper.targets
    }

    def model_of(data: dict[str, Any]) -> str:
        try:
            value = wrapper.element_adapter.validate_python(data)
        except ValidationError:  # not valid under this schema: the model it shares most with
            return max(properties, key=lambda model: len(properties[model] & set(data)))
        return type(value).__name__ if isinstance(value, BaseModel) else wrapper.task_name

    return comparer_for(wrapper), model_of


def _fields_outside(known: Sequence[str], entities: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """Fields some entity has that the comparer does not know (another schema's fields)."""
    names = dict.fromkeys(name for data in entities for name in data if name not in known)
    return tuple(names)
