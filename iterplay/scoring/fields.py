"""When are two field values the same? Decided per field type, from the target's JSON Schema.

Entities are compared as the JSON they dump to (by alias), so an extracted entity and an
expected one written by hand compare on equal terms. The JSON Schema of the target says what
each value is:

- strings: equal after normalization (Unicode NFKC, casefold, whitespace collapsed, punctuation
  around the text dropped), so "  Mary. " equals "mary";
- numbers: equal within a relative tolerance (default 1e-6);
- strings with a ``format`` (dates, times, UUIDs, emails...), enums, booleans and null: exactly;
- objects: every property equal, recursively; arrays: same length and equal item by item.

A rule per field overrides this: ``exact``, ``normalized``, ``tolerance`` (with its own
tolerance) or ``ignore`` (left out of the comparison and of the field figures).
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DEFAULT_TOLERANCE = 1e-6
_SPACES = re.compile(r"\s+")
# ASCII punctuation, symbols and spaces: what the Unicode categories P*, S* and spaces hold there.
_ASCII_EDGE_MARKS = string.punctuation + string.whitespace


class Compare(StrEnum):
    """How one field's values are compared."""

    AUTO = "auto"  # by the field's type, as described above
    EXACT = "exact"
    NORMALIZED = "normalized"
    TOLERANCE = "tolerance"
    IGNORE = "ignore"


@dataclass(frozen=True)
class FieldRule:
    """A per-field override, as written in a cases file's settings line."""

    compare: Compare = Compare.AUTO
    tolerance: float = DEFAULT_TOLERANCE


def normalize_text(text: str) -> str:
    """The form two strings are compared in: NFKC, casefolded, spaces collapsed, no edge marks."""
    if text.isascii():  # NFKC and casefold change nothing else in ASCII: the common case, fast
        return _SPACES.sub(" ", text.lower()).strip(_ASCII_EDGE_MARKS)
    return _normalize_unicode(text)


def _normalize_unicode(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    collapsed = _SPACES.sub(" ", folded).strip()
    start, end = 0, len(collapsed)
    while start < end and _is_edge_mark(collapsed[start]):
        start += 1
    while end > start and _is_edge_mark(collapsed[end - 1]):
        end -= 1
    return collapsed[start:end].strip()


def _is_edge_mark(character: str) -> bool:
    return unicodedata.category(character)[0] in "PS" or character.isspace()


class ValueComparer:
    """Compares JSON values against one JSON Schema document (``$defs`` resolved)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._defs: dict[str, Any] = schema.get("$defs", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema behind ``$ref``s and single-branch ``anyOf``/``allOf`` wrappers."""
        for _ in range(64):  # references in a cycle end here instead of looping
            reference = schema.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                schema = self._defs.get(reference.removeprefix("#/$defs/"), {})
                continue
            branches = schema.get("allOf")
            if isinstance(branches, list) and len(branches) == 1:
                schema = branches[0]
                continue
            return schema
        return schema

    def equal(self, schema: dict[str, Any], left: Any, right: Any, rule: FieldRule) -> bool:
        """Whether two values of one field are the same under ``rule``."""
        if rule.compare is Compare.IGNORE:
            return True
        if rule.compare is Compare.EXACT:
            return left == right
        if rule.compare is Compare.NORMALIZED:
            return _normalized_equal(left, right)
        if rule.compare is Compare.TOLERANCE:
            return _numbers_equal(left, right, rule.tolerance) or left == right
        return self._equal_by_type(self.resolve(schema), left, right)

    def _equal_by_type(self, schema: dict[str, Any], left: Any, right: Any) -> bool:
        if left is None or right is None or isinstance(left, bool) or isinstance(right, bool):
            return left is right or (left == right and type(left) is type(right))
        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list):
            return any(self._equal_by_type(self.resolve(b), left, right) for b in branches)
        if isinstance(left, dict) and isinstance(right, dict):
            return self._objects_equal(schema, left, right)
        if isinstance(left, list) and isinstance(right, list):
            items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
            return len(left) == len(right) and all(
                self._equal_by_type(self.resolve(items), a, b)
                for a, b in zip(left, right, strict=True)
            )
        if isinstance(left, str) and isinstance(right, str):
            if "format" in schema or "enum" in schema or "const" in schema:
                return left == right
            return normalize_text(left) == normalize_text(right)
        if _is_number(left) and _is_number(right):
            return _numbers_equal(left, right, DEFAULT_TOLERANCE)
        return left == right

    def _objects_equal(self, schema: dict[str, Any], left: dict, right: dict) -> bool:
        properties = schema.get("properties", {})
        keys = dict.fromkeys([*left, *right])
        return all(
            self._equal_by_type(
                self.resolve(properties.get(key, {})), left.get(key), right.get(key)
            )
            for key in keys
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers_equal(left: Any, right: Any, tolerance: float) -> bool:
    if not (_is_number(left) and _is_number(right)):
        return False
    return math.isclose(left, right, rel_tol=tolerance, abs_tol=0.0) or left == right


def _normalized_equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return normalize_text(left) == normalize_text(right)
    return left == right
