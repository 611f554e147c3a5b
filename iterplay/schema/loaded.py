"""The one entry point from schema text to models, for both kinds of schema."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from iterplay.errors import SchemaError
from iterplay.schema.json_schema import pydantic_source_from_json_schema
from iterplay.schema.safe_loader import load_models, trusted_code_enabled
from iterplay.schema.targets import find_roots

KINDS = ("pydantic", "json_schema")
MAX_SCHEMA_BYTES = 100_000


@dataclass(frozen=True)
class LoadedSchema:
    """A schema turned into models, with the text it came from.

    ``source`` is the pydantic code that was loaded: the text itself for a pydantic schema, the
    generated code for a JSON Schema (the UI shows it as "View as pydantic"). ``models`` holds
    every model class in definition order (enums are not models); ``roots`` names the models a
    run extracts by default (see ``targets``).
    """

    kind: str
    text: str
    source: str
    models: dict[str, type[BaseModel]]
    roots: tuple[str, ...]


def load_schema(text: str, kind: str = "pydantic") -> LoadedSchema:
    """Load pydantic source or JSON Schema text; every failure is a SchemaError."""
    if kind not in KINDS:
        raise SchemaError(f"unknown schema kind '{kind}'; use 'pydantic' or 'json_schema'")
    size = _utf8_size(text)
    if size > MAX_SCHEMA_BYTES:
        raise SchemaError(
            f"the schema is {size // 1000} KB; shorten it to at most {MAX_SCHEMA_BYTES // 1000} KB"
        )
    if kind == "pydantic":
        source = text
        models = load_models(text, trusted=trusted_code_enabled())
    else:
        source = pydantic_source_from_json_schema(text)
        models = _load_generated(source)
    return LoadedSchema(kind, text, source, models, find_roots(models))


def _utf8_size(text: str) -> int:
    """Lone surrogates (from a bad paste or a crafted link) cannot be parsed: say where one is."""
    try:
        return len(text.encode())
    except UnicodeEncodeError as error:
        line = text.count("\n", 0, error.start) + 1
        column = error.start - text.rfind("\n", 0, error.start)
        raise SchemaError("this character is not valid Unicode; retype it", line, column) from None


def _load_generated(source: str) -> dict[str, type[BaseModel]]:
    """Generated code never takes the trusted path, and its errors say where they come from."""
    try:
        return load_models(source, trusted=False)
    except SchemaError as error:
        raise SchemaError(
            f"{error.reason} (in the pydantic code generated from the JSON Schema)",
            error.line,
            error.column,
        ) from error
