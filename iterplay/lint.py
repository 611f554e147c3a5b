"""Schema lint: what a provider refuses, or does not enforce, in the wrapper's JSON Schema.

Findings are computed on the JSON Schema the model is asked to fill: the ``Iterable{Name}``
wrapper with its ``$defs``, so every limit counts the wrapper's own level too. The rules are a
table of small functions, one per rule id (docs/lint.md lists them with their sources):

- ``openai.*``: OpenAI strict structured outputs (json_schema with ``strict: true``, and strict
  tools) take a subset of JSON Schema within size limits; ``make_strict``
  (``iterplay.strict_schema``) fixes what a schema change can fix.
- ``llama_cpp.*``: llama-cpp-python's JSON-Schema-to-grammar converter (what the embedded model's
  server runs) reads only some keywords of each node; the rest are checked by validation alone,
  after the model has written them. A node it cannot convert makes the server drop the whole
  grammar and accept any JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from iterplay.request import MODES, PROVIDERS, oversized_count
from iterplay.strict_schema import (
    ANNOTATION_KEYWORDS,
    REFUSED_KEYWORDS,
    STRICT_KEYWORDS,
    STRICT_ROOT_KEYWORDS,
    STRICT_STRING_FORMATS,
)
from iterplay.wrapper import Wrapper


class Severity(StrEnum):
    """``error``: the schema will not work as written (refused, or its grammar dropped);
    ``warning``: accepted, but the constraint is checked only by validation."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, where (a JSON Pointer into the wrapper schema), what, and a fix."""

    rule: str
    severity: Severity
    path: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
        }


# -- the schema, indexed once -------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaNode:
    """One subschema, where it is, and which field it describes (``User.address.city``)."""

    pointer: str
    schema: dict[str, Any]
    field: str
    is_root: bool
    grammar_visits: bool  # llama-cpp-python's converter turns this node into grammar


@dataclass(frozen=True)
class SchemaIndex:
    root: dict[str, Any]
    nodes: tuple[SchemaNode, ...]

    @property
    def name(self) -> str:
        return str(self.root.get("title") or "the wrapper")

    @property
    def definitions(self) -> dict[str, Any]:
        defs = self.root.get("$defs")
        return defs if isinstance(defs, dict) else {}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The definition a ``$ref`` names (local ``#/$defs/...`` only), else the schema itself."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = self.definitions.get(_unescape(ref.removeprefix("#/$defs/")))
            if isinstance(target, dict):
                return target
        return schema


def index_schema(schema: dict[str, Any]) -> SchemaIndex:
    """Every subschema of ``schema`` and of each of its ``$defs``, in document order."""
    definitions = schema.get("$defs")
    stack = [
        SchemaNode(f"#/$defs/{_escape(name)}", definition, name, False, True)
        for name, definition in (definitions.items() if isinstance(definitions, dict) else ())
        if isinstance(definition, dict)
    ]
    stack.reverse()
    stack.append(SchemaNode("#", schema, str(schema.get("title") or ""), True, True))
    nodes = []
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(reversed(list(_children(node))))
    return SchemaIndex(schema, tuple(nodes))


_LIST_APPLICATORS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_APPLICATORS = (
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
)
_MAP_APPLICATORS = ("patternProperties", "dependentSchemas")


def _children(node: SchemaNode) -> Iterator[SchemaNode]:
    schema = node.schema
    branch = _grammar_branch(schema)
    read = node.grammar_visits and isinstance(branch, GrammarBranch)
    visited = branch.visits if read else frozenset()

    def child(keyword: str, key: str, value: Any, field: str) -> SchemaNode | None:
        if not isinstance(value, dict):
            return None
        pointer = f"{node.pointer}/{keyword}" + (f"/{_escape(key)}" if key else "")
        return SchemaNode(pointer, value, field, False, keyword in visited)

    found: list[SchemaNode | None] = []
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, value in properties.items():
            found.append(child("properties", name, value, _join(node.field, name)))
    items = schema.get("items")
    if isinstance(items, list):
        found.extend(child("items", str(i), value, node.field) for i, value in enumerate(items))
    else:
        found.append(child("items", "", items, node.field))
    for keyword in _LIST_APPLICATORS:
        values = schema.get(keyword)
        if isinstance(values, list):
            found.extend(child(keyword, str(i), v, node.field) for i, v in enumerate(values))
    for keyword in _SCHEMA_APPLICATORS:
        found.append(child(keyword, "", schema.get(keyword), node.field))
    for keyword in _MAP_APPLICATORS:
        values = schema.get(keyword)
        if isinstance(values, dict):
            found.extend(child(keyword, key, v, node.field) for key, v in values.items())
    yield from (found_node for found_node in found if found_node is not None)


def _join(field: str, name: str) -> str:
    return f"{field}.{name}" if field else name


def _escape(key: str) -> str:
    """A JSON Pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _is_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in schema
    )


def _accepts_null(schema: dict[str, Any], index: SchemaIndex) -> bool:
    schema = index.resolve(schema)
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in (schema.get("enum") or ()) or ("const" in schema and schema["const"] is None):
        return True
    return any(
        isinstance(option, dict) and _accepts_null(option, index)
        for keyword in ("anyOf", "oneOf")
        for option in schema.get(keyword) or ()
    )


def _shown(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """What a rule found, before the rule's id and severity are attached."""

    path: str
    message: str
    fix: str


@dataclass(frozen=True)
class Rule:
    id: str
    provider: str
    severity: Severity
    summary: str
    check: Callable[[SchemaIndex], Iterator[Hit]]


# OpenAI's documented limits for one strict schema (docs/lint.md cites the page).
OPENAI_MAX_NESTING = 10
OPENAI_MAX_PROPERTIES = 5_000
OPENAI_MAX_ENUM_VALUES = 1_000
OPENAI_LARGE_ENUM = 250
OPENAI_MAX_LARGE_ENUM_CHARS = 15_000
OPENAI_MAX_STRING_CHARS = 120_000

_STRICT_FIX = "Make strict does this for you (and the strict option sends the fixed schema)."


def _openai_additional_properties(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        schema = node.schema
        if not _is_object(schema) or schema.get("additionalProperties") is False:
            continue
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) or not schema.get("properties"):
            yield Hit(
                node.pointer,
                f"`{node.field}` is a free-form object (a dict, or an object without named "
                "properties); OpenAI strict mode takes only objects with named properties.",
                "Replace it with a model of named fields (or a list of key/value models for "
                "open-ended keys); Make strict cannot do this for you.",
            )
        else:
            # The wrapper (the root) is built for the user, as instructor builds it: only the
            # fixer closes it. The user's own models can close themselves.
            own_model = node.pointer != "#"
            yield Hit(
                node.pointer,
                f"`{node.field}` accepts properties it does not name; OpenAI strict mode needs "
                '`"additionalProperties": false` on every object.',
                f'{_STRICT_FIX} In pydantic, `model_config = ConfigDict(extra="forbid")` '
                "does the same."
                if own_model
                else f"{_STRICT_FIX} The wrapper is built for you (as instructor builds it), so "
                "nothing in your schema changes this.",
            )


def _openai_optional_field(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        properties = node.schema.get("properties")
        if not isinstance(properties, dict):
            continue
        required = set(node.schema.get("required") or ())
        for name, value in properties.items():
            if name in required or not isinstance(value, dict):
                continue
            field = _join(node.field, name)
            if _accepts_null(value, index):
                fix = (
                    f"List it in `required`: it already accepts null, so the model can still "
                    f"leave it empty. {_STRICT_FIX}"
                )
            else:
                fix = (
                    "List it in `required` (Make strict does; the model must then always give a "
                    f"value), or declare it nullable (`{name}: <type> | None = None`) so the "
                    "model can send null."
                )
            yield Hit(
                f"{node.pointer}/properties/{_escape(name)}",
                f"`{field}` is optional; OpenAI strict mode needs every property listed in "
                "`required` (an optional field is written as a required, nullable one).",
                fix,
            )


def _openai_default(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        if "default" in node.schema:
            yield Hit(
                node.pointer,
                f"`{node.field}` has a default ({_shown(node.schema['default'])}); OpenAI strict "
                "mode does not permit `default`.",
                "Drop it from the schema: in strict mode the model sends every field, so the "
                f"default never applies. {_STRICT_FIX}",
            )


_REFUSED_FIXES = {
    "oneOf": "Make strict turns it into `anyOf`; validation still checks that exactly one "
    "alternative matches.",
    "allOf": "Merge the parts into one model (a one-part `allOf` Make strict turns into `anyOf`).",
}


def _openai_refused_keyword(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        for keyword in REFUSED_KEYWORDS.intersection(node.schema):
            fix = _REFUSED_FIXES.get(
                keyword,
                "Make strict removes it and notes it in the description; your model still "
                "validates it.",
            )
            yield Hit(
                f"{node.pointer}/{keyword}",
                f"`{node.field}` uses `{keyword}`, which OpenAI strict mode refuses.",
                fix,
            )


def _openai_undocumented_keyword(index: SchemaIndex) -> Iterator[Hit]:
    known = STRICT_KEYWORDS | REFUSED_KEYWORDS | {"default"}
    for node in index.nodes:
        allowed = known | STRICT_ROOT_KEYWORDS if node.is_root else known
        for keyword in node.schema:
            if keyword in allowed:
                continue
            value = node.schema[keyword]
            what = "annotation" if keyword in ANNOTATION_KEYWORDS else "constraint"
            yield Hit(
                f"{node.pointer}/{_escape(keyword)}",
                f"`{node.field}`: the {what} `{keyword}` ({_shown(value)}) is not among the "
                "keywords OpenAI documents for strict mode; the API may refuse it (fine-tuned "
                "models do) or ignore it.",
                "Make strict moves it into the description, where the model still reads it; "
                "your model still validates it.",
            )


def _openai_string_format(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        value = node.schema.get("format")
        if value is not None and value not in STRICT_STRING_FORMATS:
            yield Hit(
                f"{node.pointer}/format",
                f"`{node.field}` has format {_shown(value)}, which is not one OpenAI strict mode "
                f"supports ({', '.join(sorted(STRICT_STRING_FORMATS))}).",
                "Make strict moves it into the description; your model still validates it.",
            )


_TYPE_KEYWORDS = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const")


def _openai_untyped_value(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        if not any(keyword in node.schema for keyword in _TYPE_KEYWORDS):
            yield Hit(
                node.pointer,
                f"`{node.field}` has no type (pydantic `Any`, or the items of a bare `list`); "
                "OpenAI strict mode needs a type on every value.",
                "Give it a type (`str`, `int`, a model, `list[str]`...); Make strict cannot "
                "guess one.",
            )


def _openai_nesting_depth(index: SchemaIndex) -> Iterator[Hit]:
    depth, route, pointer = _ObjectDepth(index).deepest()
    if depth > OPENAI_MAX_NESTING:
        yield Hit(
            pointer,
            f"`{route}` is nested {depth} objects deep, counting the wrapper `{index.name}`; "
            f"OpenAI strict mode allows {OPENAI_MAX_NESTING}.",
            f"Flatten it by {depth - OPENAI_MAX_NESTING} level(s): move a nested model's fields "
            "into its parent. Your own model may be within the limit; the wrapper adds one.",
        )


def _openai_total_properties(index: SchemaIndex) -> Iterator[Hit]:
    total = sum(
        len(node.schema["properties"])
        for node in index.nodes
        if isinstance(node.schema.get("properties"), dict)
    )
    if total > OPENAI_MAX_PROPERTIES:
        yield Hit(
            "#",
            f"The schema has {total:,} properties in all, counting the wrapper's `tasks`; "
            f"OpenAI strict mode allows {OPENAI_MAX_PROPERTIES:,}.",
            "Drop fields you do not need, or split the extraction into several schemas.",
        )


def _openai_enum_values(index: SchemaIndex) -> Iterator[Hit]:
    total = 0
    for node in index.nodes:
        values = node.schema.get("enum")
        if not isinstance(values, list):
            continue
        total += len(values)
        strings = [value for value in values if isinstance(value, str)]
        characters = sum(map(len, strings))
        if len(strings) > OPENAI_LARGE_ENUM and characters > OPENAI_MAX_LARGE_ENUM_CHARS:
            yield Hit(
                f"{node.pointer}/enum",
                f"`{node.field}` has {len(strings):,} string values totalling {characters:,} "
                f"characters; OpenAI strict mode allows {OPENAI_MAX_LARGE_ENUM_CHARS:,} "
                f"characters in an enum of more than {OPENAI_LARGE_ENUM} values.",
                "Shorten the values, or make the field a plain string checked by validation.",
            )
    if total > OPENAI_MAX_ENUM_VALUES:
        yield Hit(
            "#",
            f"The schema has {total:,} enum values in all; OpenAI strict mode allows "
            f"{OPENAI_MAX_ENUM_VALUES:,}.",
            "Make the largest enums plain strings checked by validation.",
        )


def _openai_string_length(index: SchemaIndex) -> Iterator[Hit]:
    total = sum(map(len, index.definitions))
    for node in index.nodes:
        properties = node.schema.get("properties")
        if isinstance(properties, dict):
            total += sum(map(len, properties))
        for value in node.schema.get("enum") or ():
            total += len(value if isinstance(value, str) else json.dumps(value))
        if "const" in node.schema:
            value = node.schema["const"]
            total += len(value if isinstance(value, str) else json.dumps(value))
    if total > OPENAI_MAX_STRING_CHARS:
        yield Hit(
            "#",
            f"Property names, definition names, enum and const values total {total:,} "
            f"characters; OpenAI strict mode allows {OPENAI_MAX_STRING_CHARS:,}.",
            "Shorten names and enum values, or make large enums plain strings.",
        )


class _ObjectDepth:
    """The deepest chain of nested objects from the root, following ``$ref`` (once per cycle)."""

    def __init__(self, index: SchemaIndex):
        self.index = index
        self.by_definition: dict[str, tuple[int, str, str]] = {}
        self.in_progress: set[str] = set()

    def deepest(self) -> tuple[int, str, str]:
        return self.below(self.index.root, self.index.name, "#")

    def below(self, schema: dict[str, Any], route: str, pointer: str) -> tuple[int, str, str]:
        """(object levels, route to the deepest object, its pointer), counting ``schema``."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return self.definition(ref, route)
        best = (0, route, pointer)
        for keyword, key, child in _subschema_edges(schema):
            step = f"{route}.{key}" if keyword == "properties" else route
            step += "[]" if keyword == "items" else ""
            token = f"/{keyword}" + (f"/{_escape(key)}" if key else "")
            found = self.below(child, step, pointer + token)
            if found[0] > best[0]:
                best = found
        if _is_object(schema):
            deepest_pointer = best[2] if best[0] else pointer
            best = (best[0] + 1, best[1], deepest_pointer)
        return best

    def definition(self, ref: str, route: str) -> tuple[int, str, str]:
        name = _unescape(ref.removeprefix("#/$defs/"))
        target = self.index.definitions.get(name)
        if not isinstance(target, dict) or name in self.in_progress:
            return (0, route, ref)  # a recursive model: OpenAI accepts recursion
        if name not in self.by_definition:
            self.in_progress.add(name)
            depth, tail, pointer = self.below(target, "", ref)
            self.in_progress.discard(name)
            self.by_definition[name] = (depth, tail, pointer)
        depth, tail, pointer = self.by_definition[name]
        return (depth, route + tail, pointer)


def _subschema_edges(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, value in properties.items():
            if isinstance(value, dict):
                yield "properties", name, value
    if isinstance(schema.get("items"), dict):
        yield "items", "", schema["items"]
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for i, value in enumerate(schema.get(keyword) or ()):
            if isinstance(value, dict):
                yield keyword, str(i), value
    if isinstance(schema.get("additionalProperties"), dict):
        yield "additionalProperties", "", schema["additionalProperties"]


# -- llama-cpp-python's converter -------------------------------------------------------------


@dataclass(frozen=True)
class GrammarBranch:
    """What llama-cpp-python's ``SchemaConverter.visit`` reads of one node.

    ``visit`` takes the first branch that matches (``$ref``, unions, type lists, ``const``,
    ``enum``, objects, ``allOf``, arrays, ``pattern``, formats, lengths, plain types) and reads
    only that branch's keywords: ``enforces``. ``visits`` are the keywords whose subschemas it
    turns into grammar too.
    """

    reads: str
    enforces: frozenset[str]
    visits: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GrammarFailure:
    """A node ``SchemaConverter.visit`` raises on: the server then drops the whole grammar."""

    why: str
    fix: str


_TYPE_LIST_READS = "the list of types"
_PRIMITIVE_TYPES = frozenset({"boolean", "number", "integer", "object", "array", "string", "null"})
_GRAMMAR_FORMATS = frozenset({"date", "time", "date-time"})
_UUID_FORMAT = re.compile(r"^uuid[1-5]?$")
_UNTYPED = GrammarFailure(
    "it has no type the converter knows (pydantic `Any` with a title gives this)",
    "Give it a type (`str`, `int`, `dict`, a model...).",
)
_UNTYPED_ITEMS = GrammarFailure(
    "its items have no type (a bare `list` gives this)",
    "Give the items a type: `list[str]`, `list[int]`, `list[Model]`...",
)
_UNANCHORED = GrammarFailure(
    "its pattern does not start with ^ and end with $",
    "Anchor the pattern, `^...$`, if it is meant to match the whole value (the converter "
    "requires it).",
)
_REMOTE_REF = GrammarFailure(
    "its `$ref` is neither local (#/...) nor https",
    "Use a local reference into `$defs`.",
)


def _grammar_branch(schema: dict[str, Any]) -> GrammarBranch | GrammarFailure:
    """The branch the converter takes for ``schema``, or why it raises there."""
    kind = schema.get("type")
    string_like = kind in (None, "string")
    if "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith(("#/", "https://")):
            return _REMOTE_REF
        return GrammarBranch("`$ref`", frozenset({"$ref"}))
    if "oneOf" in schema or "anyOf" in schema:
        chosen = "oneOf" if schema.get("oneOf") else "anyOf"
        return GrammarBranch(f"`{chosen}`", frozenset({"oneOf", "anyOf"}), frozenset({chosen}))
    if isinstance(kind, list):
        return GrammarBranch(_TYPE_LIST_READS, frozenset({"type"}))
    # A literal's own JSON type stands in for ``type`` (a literal of another type is a schema
    # error that validation reports whatever the grammar does).
    if "const" in schema:
        return GrammarBranch("`const`", frozenset({"const", "type"}))
    if "enum" in schema:
        return GrammarBranch("`enum`", frozenset({"enum", "type"}))
    if kind in (None, "object") and (
        "properties" in schema
        or ("additionalProperties" in schema and schema["additionalProperties"] is not True)
    ):
        return GrammarBranch(
            "the object's properties",
            frozenset({"type", "properties", "required", "additionalProperties"}),
            frozenset({"properties", "additionalProperties"}),
        )
    if kind in (None, "object") and "allOf" in schema:
        return GrammarBranch("`allOf`", frozenset({"type", "allOf"}), frozenset({"allOf"}))
    if kind in (None, "array") and ("items" in schema or "prefixItems" in schema):
        return _array_branch(schema)
    if string_like and "pattern" in schema:
        pattern = schema["pattern"]
        if not (isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$")):
            return _UNANCHORED
        return GrammarBranch("`pattern`", frozenset({"type", "pattern"}))
    format_ = schema.get("format")
    if (
        string_like
        and isinstance(format_, str)
        and (_UUID_FORMAT.match(format_) or format_ in _GRAMMAR_FORMATS)
    ):
        return GrammarBranch("`format`", frozenset({"type", "format"}))
    if kind == "string" and ("minLength" in schema or "maxLength" in schema):
        return GrammarBranch(
            "`minLength`, `maxLength`", frozenset({"type", "minLength", "maxLength"})
        )
    if kind == "object" or not schema or kind in _PRIMITIVE_TYPES:
        return GrammarBranch("`type`", frozenset({"type"}))
    return _UNTYPED


def _array_branch(schema: dict[str, Any]) -> GrammarBranch | GrammarFailure:
    # The converter reads ``schema.get("items") or schema["prefixItems"]``: empty items raise.
    keyword = "items" if schema.get("items") else "prefixItems"
    if keyword not in schema:
        return _UNTYPED_ITEMS
    if isinstance(schema[keyword], list):
        return GrammarBranch(
            "the tuple's items", frozenset({"type", keyword}), frozenset({keyword})
        )
    return GrammarBranch(
        "`items`, `minItems`, `maxItems`",
        frozenset({"type", keyword, "minItems", "maxItems"}),
        frozenset({keyword}),
    )


# The keywords that constrain a value (annotations such as title or default constrain nothing).
_CONSTRAINT_KEYWORDS = frozenset(
    {
        "type", "enum", "const", "properties", "required", "additionalProperties", "items",
        "prefixItems", "minItems", "maxItems", "uniqueItems", "contains", "minContains",
        "maxContains", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minProperties", "maxProperties",
        "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "not",
        "if", "then", "else", "allOf", "anyOf", "oneOf", "$ref", "unevaluatedItems",
        "unevaluatedProperties",
    }
)  # fmt: skip

_LENGTH_BESIDE_PATTERN_FIX = (
    "Fold the length into the anchored pattern (`^.{1,40}$`), which the grammar enforces."
)
_TYPE_LIST_FIX = (
    "Write a nullable value as `anyOf: [constrained type, null]` (pydantic writes `X | None` "
    "that way): a list of types keeps only the types."
)
_DEFAULT_GRAMMAR_FIX = (
    "Keep it if an invalid card is acceptable (validation rejects a value that breaks it); "
    "say it in the field's description too, so the model reads it."
)


def _grammar_fix(keyword: str, branch: GrammarBranch) -> str:
    if branch.reads == _TYPE_LIST_READS:
        return _TYPE_LIST_FIX
    if keyword in ("minLength", "maxLength") and "pattern" in branch.enforces:
        return _LENGTH_BESIDE_PATTERN_FIX
    return _DEFAULT_GRAMMAR_FIX


def _llama_grammar_fallback(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        failure = _grammar_branch(node.schema) if node.grammar_visits else None
        if isinstance(failure, GrammarFailure):
            yield Hit(
                node.pointer,
                f"`{node.field}` cannot be turned into grammar: {failure.why}. "
                "llama-cpp-python then drops the whole schema and lets the model write any JSON.",
                failure.fix,
            )


def _llama_unenforced_keyword(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        branch = _grammar_branch(node.schema) if node.grammar_visits else None
        if not isinstance(branch, GrammarBranch):
            continue
        for keyword in node.schema:
            if keyword not in _CONSTRAINT_KEYWORDS or keyword in branch.enforces:
                continue
            yield Hit(
                f"{node.pointer}/{_escape(keyword)}",
                f"`{node.field}`: `{keyword}` ({_shown(node.schema[keyword])}) is not enforced "
                f"by llama.cpp's grammar (on this node it reads only {branch.reads}); a value "
                "that breaks it is caught by validation, as an invalid card.",
                _grammar_fix(keyword, branch),
            )


def _llama_one_of(index: SchemaIndex) -> Iterator[Hit]:
    for node in index.nodes:
        if node.grammar_visits and node.schema.get("oneOf"):
            yield Hit(
                f"{node.pointer}/oneOf",
                f"`{node.field}` uses `oneOf`, which llama.cpp's grammar reads as `anyOf`: a "
                "value matching several alternatives is not prevented.",
                "Nothing to do when the alternatives cannot overlap; otherwise validation "
                "catches it, as an invalid card.",
            )


def _llama_grammar_counts(index: SchemaIndex) -> Iterator[Hit]:
    limit = PROVIDERS["llama_cpp"].grammar_count_limit
    found = oversized_count(index.root, limit) if limit is not None else None
    if found:
        yield Hit(
            "#",
            f"The schema's {found} is more than the embedded server's grammar can take (at "
            f"most {limit:,}); iterplay refuses to send it.",
            "Lower the count, or use md_json mode, which sends no grammar.",
        )


RULES: tuple[Rule, ...] = (
    Rule("openai.additional-properties", "openai", Severity.ERROR,
         "every object needs additionalProperties: false", _openai_additional_properties),
    Rule("openai.optional-field", "openai", Severity.ERROR,
         "every property must be listed in required", _openai_optional_field),
    Rule("openai.default", "openai", Severity.ERROR,
         "default is not permitted", _openai_default),
    Rule("openai.refused-keyword", "openai", Severity.ERROR,
         "allOf, oneOf, not, if/then/else, dependentRequired/Schemas are refused",
         _openai_refused_keyword),
    Rule("openai.undocumented-keyword", "openai", Severity.WARNING,
         "keywords outside the documented strict subset", _openai_undocumented_keyword),
    Rule("openai.string-format", "openai", Severity.WARNING,
         "string formats outside the documented list", _openai_string_format),
    Rule("openai.untyped-value", "openai", Severity.ERROR,
         "every value needs a type", _openai_untyped_value),
    Rule("openai.nesting-depth", "openai", Severity.ERROR,
         f"at most {OPENAI_MAX_NESTING} levels of objects, the wrapper included",
         _openai_nesting_depth),
    Rule("openai.total-properties", "openai", Severity.ERROR,
         f"at most {OPENAI_MAX_PROPERTIES:,} properties in all", _openai_total_properties),
    Rule("openai.enum-values", "openai", Severity.ERROR,
         f"at most {OPENAI_MAX_ENUM_VALUES:,} enum values; large string enums are capped in "
         "length", _openai_enum_values),
    Rule("openai.string-length", "openai", Severity.ERROR,
         f"names and enum/const values total at most {OPENAI_MAX_STRING_CHARS:,} characters",
         _openai_string_length),
    Rule("llama_cpp.grammar-fallback", "llama_cpp", Severity.ERROR,
         "a node the converter cannot read drops the whole grammar", _llama_grammar_fallback),
    Rule("llama_cpp.unenforced-keyword", "llama_cpp", Severity.WARNING,
         "constraints the grammar does not enforce", _llama_unenforced_keyword),
    Rule("llama_cpp.one-of", "llama_cpp", Severity.WARNING,
         "oneOf is enforced as anyOf", _llama_one_of),
    Rule("llama_cpp.grammar-count", "llama_cpp", Severity.ERROR,
         "repetition counts too large for the grammar", _llama_grammar_counts),
)  # fmt: skip

# The modes in which each provider receives the schema as something it enforces: OpenAI's strict
# tools and json_schema; llama.cpp's grammar (its json mode sends the schema too, see
# ``iterplay.request.PROVIDERS``). Elsewhere the schema is only text in the prompt.
ENFORCING_MODES: dict[str, frozenset[str]] = {
    "openai": frozenset({"tools", "json_schema"}),
    "llama_cpp": frozenset({"tools", "json_schema", "json"}),
}
LINT_PROVIDERS = tuple(ENFORCING_MODES)


def rules_for(provider: str, mode: str | None = None) -> tuple[Rule, ...]:
    """The rules that apply; none in a mode where the provider enforces nothing of the schema."""
    if provider not in ENFORCING_MODES:
        raise ValueError(
            f"unknown provider {provider!r}; choose one of {', '.join(LINT_PROVIDERS)}"
        )
    if mode is not None and mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode is not None and mode not in ENFORCING_MODES[provider]:
        return ()
    return tuple(rule for rule in RULES if rule.provider == provider)


def lint_schema(
    schema: dict[str, Any], provider: str = "openai", mode: str | None = None
) -> tuple[Finding, ...]:
    """Every finding for ``schema`` (a wrapper's JSON Schema) sent to ``provider`` in ``mode``."""
    index = index_schema(schema)
    return tuple(
        Finding(rule.id, rule.severity, hit.path, hit.message, hit.fix)
        for rule in rules_for(provider, mode)
        for hit in rule.check(index)
    )


def lint_wrapper(
    wrapper: Wrapper, provider: str = "openai", mode: str | None = None
) -> tuple[Finding, ...]:
    return lint_schema(wrapper.json_schema, provider, mode)
