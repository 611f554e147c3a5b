"""The one entry point from schema text to models, for both kinds of schema."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from iterplay.errors import SchemaError
from iterplay.schema.round_trip import apply_settings
from iterplay.schema.safe_loader import load_generated, load_models, trusted_code_enabled
from iterplay.schema.sandbox import shared_sandbox
from iterplay.schema.targets import find_roots

KINDS = ("pydantic", "json_schema")
MAX_SCHEMA_BYTES = 100_000


@dataclass(frozen=True)
class LoadedSchema:
    """A schema turned into models, with the text it came from.

    ``source`` is the pydantic code this process loaded: code generated from JSON Schema (the
    user's, or the one their pydantic models produced in the sandbox), or the text itself when
    the server trusts schema code. ``models`` holds every model class in definition order (enums
    are not models); ``roots`` names the models a run extracts by default (see ``targets``);
    ``notes`` says what the round trip through JSON Schema changed, one sentence each.
    """

    kind: str
    text: str
    source: str
    models: dict[str, type[BaseModel]]
    roots: tuple[str, ...]
    notes: tuple[str, ...] = ()


def load_schema(text: str, kind: str = "pydantic") -> LoadedSchema:
    """Load pydantic source or JSON Schema text; every failure is a SchemaError."""
    if kind not in KINDS:
        raise SchemaError(f"unknown schema kind '{kind}'; use 'pydantic' or 'json_schema'")
    size = _utf8_size(text)
    if size > MAX_SCHEMA_BYTES:
        raise SchemaError(
            f"the schema is {size // 1000} KB; shorten it to at most {MAX_SCHEMA_BYTES // 1000} KB"
        )
    if kind == "pydantic" and trusted_code_enabled():
        models = load_models(text, trusted=True)
        return LoadedSchema(kind, text, text, models, find_roots(models))
    sandboxed = shared_sandbox().compile(text, kind)
    generated = load_generated(sandboxed.source)
    apply_settings(generated, sandboxed.settings)
    models = generated
    if sandboxed.model_names is not None:
        models = {name: generated[name] for name in sandboxed.model_names}
    roots = sandboxed.roots if sandboxed.roots is not None else find_roots(models)
    return LoadedSchema(kind, text, sandboxed.source, models, roots, sandboxed.notes)


def _utf8_size(text: str) -> int:
    """Lone surrogates (from a bad paste or a crafted link) cannot be parsed: say where one is."""
    try:
        return len(text.encode())
    except UnicodeEncodeError as error:
        line = text.count("\n", 0, error.start) + 1
        column = error.start - text.rfind("\n", 0, error.start)
        raise SchemaError("this character is not valid Unicode; retype it", line, column) from None
