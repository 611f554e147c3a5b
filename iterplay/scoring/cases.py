"""Cases: a source text and the entities a run on it should extract, in a JSON Lines file.

One case per line: ``{"id": "...", "text": "...", "expected": [{...}, ...]}`` (``id`` optional).
A line holding ``{"settings": {"fields": {NAME: RULE}}}`` instead sets per-field comparison
rules for the file, where RULE is ``"exact"``, ``"normalized"``, ``"ignore"`` or
``{"compare": "tolerance", "tolerance": 0.01}`` (see ``fields``). Expected entities are checked
against the target: one that does not validate is an error on its case, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from iterplay.errors import CasesError
from iterplay.scoring.fields import Compare, FieldRule
from iterplay.scoring.scorer import EntityComparer, Entry
from iterplay.wrapper import Wrapper


@dataclass(frozen=True)
class Case:
    """One text and what a run on it should extract."""

    text: str
    expected: tuple[dict[str, Any], ...] = ()
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {} if self.id is None else {"id": self.id}
        return {**record, "text": self.text, "expected": list(self.expected)}


@dataclass(frozen=True)
class CaseSet:
    """The cases of one file and its per-field rules."""

    cases: tuple[Case, ...]
    rules: dict[str, FieldRule] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedCase:
    """A case whose expected entities were validated against the target."""

    case: Case
    entries: tuple[Entry, ...]
    errors: tuple[str, ...]  # one sentence per expected entity that does not validate


def read_cases(lines: Iterable[str]) -> CaseSet:
    """Parse a cases file; any malformed line is a CasesError naming the line."""
    cases: list[Case] = []
    rules: dict[str, FieldRule] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError, ValueError) as error:
            raise CasesError(f"line {number}: not JSON ({error})") from None
        if not isinstance(record, dict):
            raise CasesError(f"line {number}: expected a JSON object")
        if "settings" in record:
            rules.update(_rules(record["settings"], number))
        else:
            cases.append(_case(record, number))
    return CaseSet(tuple(cases), rules)


def write_cases(case_set: CaseSet) -> str:
    """The JSON Lines text of a case set, settings first."""
    lines = []
    if case_set.rules:
        lines.append(json.dumps({"settings": {"fields": _rules_json(case_set.rules)}}))
    lines.extend(json.dumps(case.to_json(), ensure_ascii=False) for case in case_set.cases)
    return "\n".join(lines) + "\n"


def check_case(case: Case, wrapper: Wrapper) -> CheckedCase:
    """Validate each expected entity against the wrapper's element type."""
    entries: list[Entry] = []
    errors: list[str] = []
    for position, expected in enumerate(case.expected):
        try:
            value = wrapper.element_adapter.validate_python(expected)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the entity"
            errors.append(f"expected entity {position + 1}: {where}: {first['msg']}")
            continue
        entries.append(entry_of(value, wrapper))
    return CheckedCase(case, tuple(entries), tuple(errors))


def entry_of(value: Any, wrapper: Wrapper) -> Entry:
    """A validated element as the scorer compares it: its model and its JSON by alias."""
    data = wrapper.element_adapter.dump_python(value, mode="json", by_alias=True)
    model = type(value).__name__ if isinstance(value, BaseModel) else wrapper.task_name
    return Entry(model, data if isinstance(data, dict) else {"value": data})


def comparer_for(wrapper: Wrapper, rules: dict[str, FieldRule] | None = None) -> EntityComparer:
    """Compares entries of the wrapper's targets, each by its own JSON Schema."""
    schemas = {target.__name__: target.model_json_schema() for target in wrapper.targets}
    return EntityComparer(schemas, rules)


def _case(record: dict[str, Any], number: int) -> Case:
    text = record.get("text")
    expected = record.get("expected", [])
    identifier = record.get("id")
    if not isinstance(text, str):
        raise CasesError(f"line {number}: 'text' must be a string")
    if not isinstance(expected, list) or not all(isinstance(e, dict) for e in expected):
        raise CasesError(f"line {number}: 'expected' must be a list of JSON objects")
    if identifier is not None and not isinstance(identifier, str | int):
        raise CasesError(f"line {number}: 'id' must be a string")
    return Case(text, tuple(expected), None if identifier is None else str(identifier))


def _rules(settings: Any, number: int) -> dict[str, FieldRule]:
    fields = settings.get("fields", {}) if isinstance(settings, dict) else None
    if not isinstance(fields, dict):
        raise CasesError(f"line {number}: 'settings' must hold 'fields': {{NAME: RULE}}")
    return {name: _rule(name, rule, number) for name, rule in fields.items()}


def _rule(name: str, rule: Any, number: int) -> FieldRule:
    if isinstance(rule, str):
        rule = {"compare": rule}
    choices = ", ".join(c.value for c in Compare if c is not Compare.AUTO)
    if not isinstance(rule, dict) or rule.get("compare") not in {c.value for c in Compare}:
        raise CasesError(f"line {number}: the rule for '{name}' must be one of {choices}")
    tolerance = rule.get("tolerance", FieldRule().tolerance)
    if not isinstance(tolerance, int | float) or isinstance(tolerance, bool) or tolerance < 0:
        raise CasesError(f"line {number}: the tolerance for '{name}' must be a number >= 0")
    return FieldRule(Compare(rule["compare"]), float(tolerance))


def _rules_json(rules: dict[str, FieldRule]) -> dict[str, Any]:
    return {
        name: {"compare": rule.compare.value, "tolerance": rule.tolerance}
        if rule.compare is Compare.TOLERANCE
        else rule.compare.value
        for name, rule in rules.items()
    }
