"""A schema moving between its two kinds: pydantic source and JSON Schema.

``convert_schema`` carries a schema across when the user switches kinds: pydantic -> JSON Schema
from the loaded models, JSON Schema -> pydantic as the code datamodel-code-generator makes for it
(what "View as pydantic" shows). Converting back a text nobody edited gives back, exactly, the
text it was made from. ``guess_schema_kind`` notices a schema pasted into the other kind's editor.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic.json_schema import models_json_schema

from iterplay.schema import LoadedSchema, load_schema

SCHEMA_KINDS = ("pydantic", "json_schema")
_LEADING_KEYS = ("title", "description", "type", "properties", "required")

_PYTHON_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import\b|import[ \t]+\w|class[ \t]+\w)", re.M
)


@dataclass(frozen=True)
class SchemaConversion:
    """``text`` is the schema ``source_text`` (of ``source_kind``) written as ``kind``."""

    source_kind: str
    source_text: str
    kind: str
    text: str


def other_kind(kind: str) -> str:
    return SCHEMA_KINDS[1] if kind == SCHEMA_KINDS[0] else SCHEMA_KINDS[0]


def convert_schema(text: str, kind: str, last: SchemaConversion | None = None) -> SchemaConversion:
    """The schema ``text`` of ``kind`` written as the other kind; a SchemaError if it does not load.

    When ``text`` is exactly what the ``last`` conversion produced, this gives back that
    conversion's source instead of converting again: switching kinds and back without an edit
    keeps the user's own text, comments and layout.
    """
    if last is not None and last.kind == kind and last.text == text:
        return SchemaConversion(kind, text, last.source_kind, last.source_text)
    schema = load_schema(text, kind)
    converted = schema.source if kind == "json_schema" else json_schema_text(schema)
    return SchemaConversion(kind, text, other_kind(kind), converted)


def json_schema_text(schema: LoadedSchema) -> str:
    """One JSON Schema document for every model: the first root on top, the rest in ``$defs``.

    Each root model stays a root when the document is turned back into pydantic code, because
    the generator makes a class for every definition, referenced or not.
    """
    main = (schema.roots or tuple(schema.models)[-1:])[0]
    models = [schema.models[main], *(m for n, m in schema.models.items() if n != main)]
    references, document = models_json_schema([(model, "validation") for model in models])
    definitions: dict[str, Any] = document.get("$defs", {})
    main_reference = references[(schema.models[main], "validation")]["$ref"]
    top = _readable(definitions.pop(main_reference.rsplit("/", 1)[-1]))
    if definitions:
        top["$defs"] = {name: _readable(value) for name, value in definitions.items()}
    return json.dumps(top, indent=2, ensure_ascii=False) + "\n"


def _readable(definition: dict[str, Any]) -> dict[str, Any]:
    """Title, description and type first, as people write a schema; no made-up field titles.

    A field's title that only repeats its name (``"title": "Unit Price"`` for ``unit_price``,
    which pydantic adds) is dropped: the code generator would turn each into a class.
    """
    properties = definition.get("properties")
    if isinstance(properties, dict):
        for name, field in properties.items():
            if isinstance(field, dict) and field.get("title") == name.replace("_", " ").title():
                del field["title"]
    first = [key for key in _LEADING_KEYS if key in definition]
    return {key: definition[key] for key in [*first, *(k for k in definition if k not in first)]}


def guess_schema_kind(text: str) -> str | None:
    """Which kind ``text`` looks like: JSON starts with a brace, Python has imports or classes."""
    if text.lstrip().startswith("{"):
        return "json_schema"
    if _PYTHON_LINE.search(text):
        return "pydantic"
    return None
