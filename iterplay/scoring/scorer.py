"""Pair extracted entities with expected ones and count what was right, as entities arrive.

Pairing is one to one and independent of order:

1. an extracted entity equal to an expected one in every field is paired with it (correct);
2. the rest are paired by the assignment that maximizes the number of equal fields
   (``scipy.optimize.linear_sum_assignment``); a pair with no equal field is no pair: the
   extracted entity is invented and the expected one missed.

Step 1 first means the figures never trade a correct entity for more partly right ones. Figures
(see ``Counts``): entity precision = correct / extracted elements (an element that failed
validation is extracted and wrong), recall = correct / expected; per top-level field, precision
= pairs equal on that field / extracted, recall = the same count / expected.

Each arriving entity costs one look-up per field in an index of the expected values (a scan of
the expected entities for nested fields): O(expected) at most. The assignment of step 2 runs
when figures are asked for, on the entities step 1 left over (few, when a run is mostly right).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from iterplay.scoring.fields import (
    DEFAULT_TOLERANCE,
    Compare,
    FieldRule,
    ValueComparer,
    normalize_text,
)


class Mark(StrEnum):
    """What became of one extracted element."""

    CORRECT = "correct"  # ✓ paired, every field equal
    PARTIAL = "partial"  # ≈ paired, some fields differ
    INVENTED = "invented"  # ✗ not expected
    INVALID = "invalid"  # failed validation: extracted and wrong


MARK_SYMBOLS = {Mark.CORRECT: "✓", Mark.PARTIAL: "≈", Mark.INVENTED: "✗", Mark.INVALID: "✗"}


@dataclass(frozen=True)
class Counts:
    """Counts that add up across cases and runs (micro-averaging), and the figures from them."""

    extracted: int = 0
    expected: int = 0
    correct: int = 0
    fields: dict[str, int] = field(default_factory=dict)  # pairs equal on each field

    def __add__(self, other: Counts) -> Counts:
        names = dict.fromkeys([*self.fields, *other.fields])
        return Counts(
            self.extracted + other.extracted,
            self.expected + other.expected,
            self.correct + other.correct,
            {name: self.fields.get(name, 0) + other.fields.get(name, 0) for name in names},
        )

    @property
    def false_positives(self) -> int:
        return self.extracted - self.correct

    @property
    def false_negatives(self) -> int:
        return self.expected - self.correct

    @property
    def precision(self) -> float:
        return _ratio(self.correct, self.extracted)

    @property
    def recall(self) -> float:
        return _ratio(self.correct, self.expected)

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    def field_figures(self, name: str) -> dict[str, float]:
        equal = self.fields.get(name, 0)
        precision = _ratio(equal, self.extracted)
        recall = _ratio(equal, self.expected)
        return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}

    def figures(self) -> dict[str, float | int]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.correct,
            "fp": self.false_positives,
            "fn": self.false_negatives,
        }


def _ratio(part: int, whole: int) -> float:
    """``part / whole``, and 1.0 for an empty whole: nothing extracted claims nothing wrong,
    nothing expected leaves nothing to miss (F1 is still 0 when the other side is not empty)."""
    return part / whole if whole else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass(frozen=True)
class Verdict:
    """One extracted element's mark, and for a pair: its expected entity and differing fields."""

    mark: Mark
    expected_index: int | None = None
    differing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scoring:
    """Figures and marks at one moment of a run."""

    counts: Counts
    verdicts: tuple[Verdict, ...]  # one per extracted element, in arrival order
    missed: tuple[int, ...]  # expected entities no element was paired with


@dataclass(frozen=True)
class Entry:
    """A JSON value with the model it validated as (entities of a union differ by model)."""

    model: str
    data: dict[str, Any]


class EntityComparer:
    """Field-by-field comparison of entries, with the target's schemas and per-field rules."""

    def __init__(
        self, schemas: dict[str, dict[str, Any]], rules: dict[str, FieldRule] | None = None
    ) -> None:
        self._schemas = schemas
        self._comparers = {model: ValueComparer(schema) for model, schema in schemas.items()}
        self.rules = rules or {}
        self._property_schemas: dict[tuple[str, str], dict[str, Any]] = {}
        self._plans: dict[str, list[tuple[str, bool, bool]]] = {}
        names: dict[str, None] = {}
        for model, schema in schemas.items():
            names.update(
                dict.fromkeys(self._comparers[model].resolve(schema).get("properties", {}))
            )
        self.field_names = tuple(
            name for name in names if self.rule(name).compare is not Compare.IGNORE
        )

    def rule(self, name: str) -> FieldRule:
        return self.rules.get(name, _DEFAULT_RULE)

    def property_schema(self, model: str, name: str) -> dict[str, Any]:
        key = (model, name)
        if key not in self._property_schemas:
            comparer = self._comparers.get(model)
            schema: dict[str, Any] = {}
            if comparer is not None:
                properties = comparer.resolve(self._schemas[model]).get("properties", {})
                schema = comparer.resolve(properties.get(name, {}))
            self._property_schemas[key] = schema
        return self._property_schemas[key]

    def field_equal(self, left: Entry, right: Entry, name: str) -> bool:
        if left.model != right.model:
            return False
        comparer = self._comparers.get(left.model)
        if comparer is None:
            return left.data.get(name) == right.data.get(name)
        return comparer.equal(
            self.property_schema(left.model, name),
            left.data.get(name),
            right.data.get(name),
            self.rule(name),
        )

    def equal_fields(self, left: Entry, right: Entry) -> tuple[str, ...]:
        return tuple(name for name in self.field_names if self.field_equal(left, right, name))

    def index_keys(self, entry: Entry) -> tuple[Any, ...]:
        """Per field, a hashable form that values equal under the field's rule share (numbers:
        their exact value; the index finds those within the tolerance), or None for nested
        values, which only a comparison can tell apart. Called once per arriving entity."""
        plan = self._plans.get(entry.model)
        if plan is None:
            plan = self._plans[entry.model] = self._key_plan(entry.model)
        data, model = entry.data, entry.model
        keys: list[Any] = []
        for name, exact, normalized in plan:
            value = data.get(name)
            kind = type(value)
            if exact:
                keys.append((model, "x", json.dumps(value, sort_keys=True)))
            elif kind is str:
                keys.append(
                    (model, "s", normalize_text(value)) if normalized else (model, "v", value)
                )
            elif kind is int or kind is float:
                keys.append((model, "n", float(value)))
            elif kind is dict or kind is list:
                keys.append(None)
            else:
                keys.append((model, "v", json.dumps(value)))
        return tuple(keys)

    def _key_plan(self, model: str) -> list[tuple[str, bool, bool]]:
        """Per field: compared exactly as JSON; strings compared normalized."""
        plan = []
        for name in self.field_names:
            rule = self.rule(name)
            schema = self.property_schema(model, name)
            typed = "format" in schema or "enum" in schema or "const" in schema
            normalized = rule.compare is Compare.NORMALIZED or (
                rule.compare is Compare.AUTO and not typed
            )
            plan.append((name, rule.compare is Compare.EXACT, normalized))
        return plan


_TIED, _UNKNOWN = -1, -2


def _strict_best(shared: dict[int, int], taken: set[int]) -> int | None:
    """The free entry with strictly the most shared fields; None if none, _TIED if several."""
    top, best = 0, None
    for expected, count in shared.items():
        if expected in taken:
            continue
        if count > top:
            top, best = count, expected
        elif count == top:
            best = _TIED
    return best


def _order_key(entry: Entry, keys: tuple[Any, ...], names: tuple[str, ...]) -> str:
    """A sort key that entries equal under the field rules share: their index keys, with
    nested values (which have none) in their JSON form."""
    parts = [
        key if key is not None else json.dumps(value, sort_keys=True, default=str)
        for key, value in zip(keys, (entry.data.get(name) for name in names), strict=True)
    ]
    return json.dumps([entry.model, parts], sort_keys=True, default=str)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_DEFAULT_RULE = FieldRule()


class ExpectedIndex:
    """Where each field's values sit among one case's expected entries, for look-ups per
    arrival. Built once per case and shared by every run of it (``Scorer`` only reads it).

    Values with the same index key are equal without a comparison; numbers within a tolerance
    of each other are found in a sorted list and compared; nested values are compared with
    every expected entry.
    """

    def __init__(self, comparer: EntityComparer, expected: Sequence[Entry]) -> None:
        self.comparer = comparer
        self.expected = tuple(expected)
        self._by_key: dict[tuple[str, Any], list[int]] = {}
        self._numbers: dict[tuple[str, str], list[tuple[float, int]]] = {}
        self._scanned: set[str] = set()
        entry_keys = [comparer.index_keys(entry) for entry in self.expected]
        for field_number, name in enumerate(comparer.field_names):
            keys = [each[field_number] for each in entry_keys]
            if any(key is None for key in keys):
                self._scanned.add(name)
                continue
            for position, (entry, key) in enumerate(zip(self.expected, keys, strict=True)):
                self._by_key.setdefault((name, key), []).append(position)
                value = entry.data.get(name)
                if _is_number(value):
                    self._numbers.setdefault((name, entry.model), []).append(
                        (float(value), position)
                    )
        for numbers in self._numbers.values():
            numbers.sort()
        # Whole entries by all their keys at once: a correct entity is found in one look-up.
        self._by_keys: dict[tuple[Any, ...], list[int]] = {}
        if not self._scanned:
            for position, keys in enumerate(entry_keys):
                self._by_keys.setdefault(keys, []).append(position)

    def equal_entries(self, keys: tuple[Any, ...]) -> list[int]:
        """Expected entries equal to the entry with these keys in every field."""
        return self._by_keys.get(keys, [])

    def equal_counts(self, entry: Entry, keys: tuple[Any, ...]) -> dict[int, int]:
        """For each expected entry sharing at least one field value: how many it shares."""
        counts: dict[int, int] = {}
        for name, key in zip(self.comparer.field_names, keys, strict=True):
            if name in self._scanned:
                for position, other in enumerate(self.expected):
                    if self.comparer.field_equal(entry, other, name):
                        counts[position] = counts.get(position, 0) + 1
                continue
            for position in self._by_key.get((name, key), ()) if key is not None else ():
                counts[position] = counts.get(position, 0) + 1
            for position in self._near_numbers(entry, name):
                if self.comparer.field_equal(entry, self.expected[position], name):
                    counts[position] = counts.get(position, 0) + 1
        return counts

    def _near_numbers(self, entry: Entry, name: str) -> list[int]:
        """Expected numbers close to this one but not equal to it: the tolerance decides."""
        value = entry.data.get(name)
        rule = self.comparer.rule(name)
        if not _is_number(value) or rule.compare is Compare.EXACT:
            return []
        number = float(value)
        numbers = self._numbers.get((name, entry.model), [])
        width = abs(number) * max(rule.tolerance, DEFAULT_TOLERANCE) * 2
        low = bisect.bisect_left(numbers, (number - width, -1))
        high = bisect.bisect_right(numbers, (number + width, len(self.expected)))
        return [position for other, position in numbers[low:high] if other != number]


_INVALID = Verdict(Mark.INVALID)
_INVENTED = Verdict(Mark.INVENTED)


class Scorer:
    """Scores one run of one case while it streams: ``add`` each element, ask ``scoring``."""

    def __init__(self, index: ExpectedIndex) -> None:
        self._comparer = index.comparer
        self._expected = index.expected
        self._index = index
        self._width = len(index.comparer.field_names)
        self._elements: list[Entry | None] = []  # None: failed validation
        self._shared: list[dict[int, int]] = []
        self._exact: dict[int, int] = {}  # element -> expected, step 1
        self._exact_taken: set[int] = set()
        self._free = set(range(len(index.expected)))  # expected entries step 1 left unpaired
        # Marks that no later element can change (step 1 pairs, invalid elements); None for the
        # rest, which step 2 decides each time figures are asked for.
        self._settled: list[Verdict | None] = []
        self._residual: list[int] = []
        self._pair_verdicts: dict[tuple[int, int], Verdict] = {}
        self._order_keys: dict[int, str] = {}  # residual element -> its place in the matrix
        # residual element -> the free expected entry it shares strictly most fields with
        # (None: shares none; _TIED: no single one); recomputed once that entry is taken.
        self._best: dict[int, int | None] = {}

    def add(self, entry: Entry | None) -> Verdict:
        """Take one element (None if it failed validation); its mark as far as known now."""
        position = len(self._elements)
        self._elements.append(entry)
        if entry is None:
            self._shared.append({})
            self._settled.append(_INVALID)
            return _INVALID
        keys = self._comparer.index_keys(entry)
        for expected in self._index.equal_entries(keys):
            if expected not in self._exact_taken:
                return self._settle_exact(position, expected)
        shared = self._index.equal_counts(entry, keys)
        self._shared.append(shared)
        for expected, count in shared.items():
            if (
                count == self._width
                and expected not in self._exact_taken
                and self._expected[expected].model == entry.model
            ):
                return self._settle_exact(position, expected)
        self._settled.append(None)
        self._residual.append(position)
        self._order_keys[position] = _order_key(entry, keys, self._comparer.field_names)
        best = max(shared, key=lambda j: (shared[j], -j), default=None)
        if best is None:
            return Verdict(Mark.INVENTED)
        differing = self._differing(entry, self._expected[best])
        return Verdict(Mark.PARTIAL, best, differing)

    def _settle_exact(self, position: int, expected: int) -> Verdict:
        if len(self._shared) == position:
            self._shared.append({expected: self._width})
        self._exact[position] = expected
        self._exact_taken.add(expected)
        self._free.discard(expected)
        verdict = Verdict(Mark.CORRECT, expected)
        self._settled.append(verdict)
        return verdict

    def scoring(self) -> Scoring:
        """Figures and marks for everything added so far."""
        pairs = self._assign_the_rest()
        verdicts = list(self._settled)
        fields = dict.fromkeys(self._comparer.field_names, len(self._exact))
        for position in self._residual:
            expected = pairs.get(position)
            if expected is None:
                verdicts[position] = _INVENTED
                continue
            verdict = self._pair_verdict(position, expected)
            for name in self._comparer.field_names:
                if name not in verdict.differing:
                    fields[name] += 1
            verdicts[position] = verdict
        correct = len(self._exact) + sum(
            verdicts[position].mark is Mark.CORRECT
            for position in pairs  # type: ignore[union-attr]
        )
        counts = Counts(len(self._elements), len(self._expected), correct, fields)
        paired = set(pairs.values())
        missed = tuple(sorted(j for j in self._free if j not in paired))
        return Scoring(counts, tuple(verdicts), missed)  # type: ignore[arg-type]

    def _assign_the_rest(self) -> dict[int, int]:
        rows = list(self._residual)
        columns = sorted(self._free)
        if not rows or not columns:
            return {}
        clear = self._clear_best_pairs(rows)
        if clear is not None:
            return clear
        # The same elements in any order give the same matrix, and elements equal under the
        # field rules ("Jason", "jason ") sit in the same place: ties break the same way.
        rows.sort(key=self._order_keys.__getitem__)
        column_of = {j: c for c, j in enumerate(columns)}
        weights = np.zeros((len(rows), len(columns)))
        for r, i in enumerate(rows):
            for j, count in self._shared[i].items():
                if j in column_of:
                    weights[r, column_of[j]] = count
        chosen_rows, chosen_columns = linear_sum_assignment(weights, maximize=True)
        return {
            rows[r]: columns[c]
            for r, c in zip(chosen_rows, chosen_columns, strict=True)
            if weights[r, c] > 0
        }

    def _clear_best_pairs(self, rows: list[int]) -> dict[int, int] | None:
        """The assignment without solving one, when each element shares strictly more fields
        with one free expected entry than with any other, and no two elements want the same
        entry: every element then has its row's maximum, which no assignment can beat, and no
        other assignment reaches (so the figures are those the solver would give). None when
        that does not hold. The usual case while a run is mostly right, and O(rows) with the
        per-element best kept between calls."""
        taken = self._exact_taken
        pairs: dict[int, int] = {}
        wanted: set[int] = set()
        for i in rows:
            best = self._best.get(i, _UNKNOWN)
            if best in (_UNKNOWN, _TIED) or best in taken:
                best = self._best[i] = _strict_best(self._shared[i], taken)
            if best == _TIED or best in wanted:
                return None
            if best is not None:
                pairs[i] = best
                wanted.add(best)
        return pairs

    def _pair_verdict(self, position: int, expected: int) -> Verdict:
        """The mark of an element paired with an expected entry; kept, as it is asked again
        every time figures are (the same pairs, mostly)."""
        key = (position, expected)
        verdict = self._pair_verdicts.get(key)
        if verdict is None:
            entry = self._elements[position]
            assert entry is not None
            differing = self._differing(entry, self._expected[expected])
            mark = Mark.PARTIAL if differing else Mark.CORRECT
            verdict = self._pair_verdicts[key] = Verdict(mark, expected, differing)
        return verdict

    def _differing(self, entry: Entry, expected: Entry) -> tuple[str, ...]:
        equal = set(self._comparer.equal_fields(entry, expected))
        return tuple(name for name in self._comparer.field_names if name not in equal)
