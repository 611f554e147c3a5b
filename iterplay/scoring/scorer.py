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

from iterplay.scoring.fields import Compare, FieldRule, ValueComparer, normalize_text


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
        names: dict[str, None] = {}
        for model, schema in schemas.items():
            names.update(
                dict.fromkeys(self._comparers[model].resolve(schema).get("properties", {}))
            )
        self.field_names = tuple(
            name for name in names if self.rule(name).compare is not Compare.IGNORE
        )

    def rule(self, name: str) -> FieldRule:
        return self.rules.get(name, FieldRule())

    def property_schema(self, model: str, name: str) -> dict[str, Any]:
        comparer = self._comparers.get(model)
        if comparer is None:
            return {}
        properties = comparer.resolve(self._schemas[model]).get("properties", {})
        return comparer.resolve(properties.get(name, {}))

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

    def index_key(self, entry: Entry, name: str) -> Any:
        """A hashable form equal values share, or None where only a scan can tell (numbers
        within a tolerance, nested values)."""
        value = entry.data.get(name)
        rule = self.rule(name)
        schema = self.property_schema(entry.model, name)
        if rule.compare is Compare.EXACT:
            return (entry.model, json.dumps(value, sort_keys=True))
        if isinstance(value, dict | list) or _is_number(value):
            return None
        if isinstance(value, str) and (
            rule.compare is Compare.NORMALIZED
            or not ("format" in schema or "enum" in schema or "const" in schema)
        ):
            return (entry.model, "s", normalize_text(value))
        return (entry.model, "v", json.dumps(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _ExpectedIndex:
    """Where each field's values sit among the expected entries, for look-ups per arrival."""

    def __init__(self, comparer: EntityComparer, expected: Sequence[Entry]) -> None:
        self._comparer = comparer
        self._expected = expected
        self._by_key: dict[tuple[str, Any], list[int]] = {}
        self._numbers: dict[tuple[str, str], list[tuple[float, int]]] = {}
        self._scanned: list[str] = []
        for name in comparer.field_names:
            keys = [comparer.index_key(entry, name) for entry in expected]
            values = [entry.data.get(name) for entry in expected]
            nested = [
                key is None and not _is_number(value) and value is not None
                for key, value in zip(keys, values, strict=True)
            ]
            if any(nested):
                self._scanned.append(name)
                continue
            for position, (entry, key) in enumerate(zip(expected, keys, strict=True)):
                if key is None and _is_number(values[position]):
                    self._numbers.setdefault((name, entry.model), []).append(
                        (float(values[position]), position)
                    )
                else:
                    self._by_key.setdefault((name, key), []).append(position)
        for numbers in self._numbers.values():
            numbers.sort()

    def equal_counts(self, entry: Entry) -> dict[int, int]:
        """For each expected entry sharing at least one field value: how many it shares."""
        counts: dict[int, int] = {}
        for name in self._comparer.field_names:
            for position in self._candidates(entry, name):
                if self._comparer.field_equal(entry, self._expected[position], name):
                    counts[position] = counts.get(position, 0) + 1
        return counts

    def _candidates(self, entry: Entry, name: str) -> Sequence[int]:
        if name in self._scanned:
            return range(len(self._expected))
        key = self._comparer.index_key(entry, name)
        if key is not None:
            return self._by_key.get((name, key), [])
        value = entry.data.get(name)
        if _is_number(value):
            numbers = self._numbers.get((name, entry.model), [])
            width = abs(float(value)) * max(self._comparer.rule(name).tolerance, 1e-6) * 2
            low = bisect.bisect_left(numbers, (float(value) - width, -1))
            high = bisect.bisect_right(numbers, (float(value) + width, len(self._expected)))
            return [position for _, position in numbers[low:high]]
        return []


class Scorer:
    """Scores one run of one case while it streams: ``add`` each element, ask ``scoring``."""

    def __init__(self, comparer: EntityComparer, expected: Sequence[Entry]) -> None:
        self._comparer = comparer
        self._expected = tuple(expected)
        self._index = _ExpectedIndex(comparer, self._expected)
        self._width = len(comparer.field_names)
        self._elements: list[Entry | None] = []  # None: failed validation
        self._shared: list[dict[int, int]] = []
        self._exact: dict[int, int] = {}  # element -> expected, step 1
        self._exact_taken: set[int] = set()

    def add(self, entry: Entry | None) -> Verdict:
        """Take one element (None if it failed validation); its mark as far as known now."""
        position = len(self._elements)
        self._elements.append(entry)
        if entry is None:
            self._shared.append({})
            return Verdict(Mark.INVALID)
        shared = self._index.equal_counts(entry)
        self._shared.append(shared)
        for expected, count in shared.items():
            if (
                count == self._width
                and expected not in self._exact_taken
                and self._expected[expected].model == entry.model
            ):
                self._exact[position] = expected
                self._exact_taken.add(expected)
                return Verdict(Mark.CORRECT, expected)
        best = max(shared, key=lambda j: (shared[j], -j), default=None)
        if best is None:
            return Verdict(Mark.INVENTED)
        differing = self._differing(entry, self._expected[best])
        return Verdict(Mark.PARTIAL, best, differing)

    def scoring(self) -> Scoring:
        """Figures and marks for everything added so far."""
        pairs = dict(self._exact)
        pairs.update(self._assign_the_rest())
        fields = dict.fromkeys(self._comparer.field_names, 0)
        verdicts: list[Verdict] = []
        for position, entry in enumerate(self._elements):
            if entry is None:
                verdicts.append(Verdict(Mark.INVALID))
                continue
            expected = pairs.get(position)
            if expected is None:
                verdicts.append(Verdict(Mark.INVENTED))
                continue
            differing = (
                () if position in self._exact else self._differing(entry, self._expected[expected])
            )
            for name in self._comparer.field_names:
                if name not in differing:
                    fields[name] += 1
            mark = Mark.PARTIAL if differing else Mark.CORRECT
            verdicts.append(Verdict(mark, expected, differing))
        correct = sum(verdict.mark is Mark.CORRECT for verdict in verdicts)
        counts = Counts(len(self._elements), len(self._expected), correct, fields)
        paired = set(pairs.values())
        missed = tuple(j for j in range(len(self._expected)) if j not in paired)
        return Scoring(counts, tuple(verdicts), missed)

    def _assign_the_rest(self) -> dict[int, int]:
        rows = [
            i
            for i, entry in enumerate(self._elements)
            if entry is not None and i not in self._exact
        ]
        columns = [j for j in range(len(self._expected)) if j not in self._exact_taken]
        if not rows or not columns:
            return {}
        # The same elements in any order give the same matrix: ties break the same way.
        rows.sort(key=lambda i: json.dumps(self._elements[i].data, sort_keys=True, default=str))
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

    def _differing(self, entry: Entry, expected: Entry) -> tuple[str, ...]:
        equal = set(self._comparer.equal_fields(entry, expected))
        return tuple(name for name in self._comparer.field_names if name not in equal)
