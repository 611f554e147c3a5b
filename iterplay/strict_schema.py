"""OpenAI strict mode's subset of JSON Schema, and "Make strict": the wrapper schema it accepts.

Strict structured outputs (``response_format`` json_schema with ``strict: true``, and tools with
``strict: true``) take only part of JSON Schema; docs/lint.md cites OpenAI's rules. ``make_strict``
rewrites a schema into that part where a change to the schema alone can do it, and leaves alone
what it cannot fix faithfully (free-form dicts, ``Any``, the size limits): ``iterplay.lint``
still reports those on the fixed schema.

The user's models still validate every element, so a constraint moved out of the schema is
still checked, only not while the model writes.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# The keywords OpenAI documents as supported in strict mode, plus the annotations it accepts.
STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "enum",
        "const",
        "$ref",
        "title",
        "description",
        "pattern",
        "format",
        "multipleOf",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minItems",
        "maxItems",
    }
)
STRICT_ROOT_KEYWORDS = frozenset({"$defs", "definitions", "$schema", "$id"})

# Keywords the API refuses outright: the composition keywords OpenAI lists as unsupported, and
# ``oneOf`` (refused with "'oneOf' is not permitted"; ``anyOf`` says the same for a model).
REFUSED_KEYWORDS = frozenset(
    {"allOf", "not", "dependentRequired", "dependentSchemas", "if", "then", "else", "oneOf"}
)

STRICT_STRING_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)

# Keywords that only describe: dropped without a note when strict mode does not take them.
ANNOTATION_KEYWORDS = frozenset(
    {"examples", "$comment", "deprecated", "readOnly", "writeOnly", "discriminator"}
)


def make_strict(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` that OpenAI strict mode accepts, as far as a schema change can go.

    Every object with fixed properties gets ``additionalProperties: false`` and lists all of them
    in ``required`` (a field that already accepts null stays nullable, so the model can still
    leave it empty); ``default`` goes; ``oneOf`` becomes ``anyOf`` and a one-element ``allOf``
    becomes a one-element ``anyOf``; other keywords strict mode does not take are removed and
    their values appended to the node's ``description``, so the model still reads them. An
    ``allOf`` of several parts stays: merging them is not a schema-only change.
    """
    fixed = copy.deepcopy(schema)
    _make_node_strict(fixed, is_root=True)
    return fixed


def _make_node_strict(node: dict[str, Any], is_root: bool = False) -> None:
    for child in _subschemas(node):
        _make_node_strict(child)
    node.pop("default", None)
    if "oneOf" in node and "anyOf" not in node:
        node["anyOf"] = node.pop("oneOf")
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "anyOf" not in node:
        node["anyOf"] = node.pop("allOf")
    _close_object(node)
    _move_unsupported_to_description(node, is_root)


def _subschemas(node: dict[str, Any]) -> list[dict[str, Any]]:
    children: list[Any] = []
    for keyword in ("$defs", "definitions", "properties"):
        if isinstance(node.get(keyword), dict):
            children.extend(node[keyword].values())
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        if isinstance(node.get(keyword), list):
            children.extend(node[keyword])
    for keyword in ("items", "additionalProperties"):
        if isinstance(node.get(keyword), dict):
            children.append(node[keyword])
    return [child for child in children if isinstance(child, dict)]


def _close_object(node: dict[str, Any]) -> None:
    """Fixed properties only, all required; a free-form map is left for lint to report."""
    properties = node.get("properties")
    if not isinstance(properties, dict) or not properties:
        return
    if isinstance(node.get("additionalProperties"), dict):
        return
    node["additionalProperties"] = False
    node["required"] = list(properties)


def _move_unsupported_to_description(node: dict[str, Any], is_root: bool) -> None:
    notes = []
    for keyword in list(node):
        if keyword in STRICT_KEYWORDS or (is_root and keyword in STRICT_ROOT_KEYWORDS):
            continue
        if keyword == "allOf":
            continue  # several parts cannot be merged faithfully: lint reports it
        value = node.pop(keyword)
        if keyword not in ANNOTATION_KEYWORDS:
            notes.append(f"{keyword}: {json.dumps(value, ensure_ascii=False)}")
    if node.get("format") not in (None, *STRICT_STRING_FORMATS):
        notes.append(f"format: {json.dumps(node.pop('format'), ensure_ascii=False)}")
    if notes:
        described = node.get("description")
        note = "; ".join(notes)
        node["description"] = f"{described} ({note})" if described else f"({note})"
