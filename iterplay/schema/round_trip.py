"""Models -> JSON Schema -> generated pydantic source: what untrusted code may hand the server.

Untrusted schema code runs only in the sandbox child (see ``sandbox``). What comes back is data:
the pydantic source that datamodel-code-generator writes from the models' JSON Schema, which the
server loads through the same declarative checker. The JSON Schema is what the model is asked to
produce anyway, so validation keeps its meaning; what JSON Schema cannot carry (validators,
``strict``, other model settings, a field whose accepted values change) is named in notes the
user sees, never dropped silently.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from iterplay.schema.json_schema import generate_pydantic_source

# Model settings that JSON Schema carries (pydantic writes them into the schema itself).
_SCHEMA_SETTINGS = frozenset({"title", "json_schema_extra", "extra", "use_enum_values"})
# Plain-valued settings that change validation but not the JSON Schema: carried as data and
# applied to the generated models (``apply_settings``).
CARRIED_SETTINGS = frozenset(
    {
        "str_strip_whitespace",
        "str_to_lower",
        "str_to_upper",
        "str_min_length",
        "str_max_length",
        "strict",
        "coerce_numbers_to_str",
        "validate_default",
        "allow_inf_nan",
        "ser_json_timedelta",
        "ser_json_bytes",
        "val_json_bytes",
        "hide_input_in_errors",
    }
)
_PLAIN_VALUES = (bool, int, str)
# Keys that name or document a schema without changing which values it accepts.
_COSMETIC_KEYS = frozenset({"title", "description", "examples"})


def models_document(models: dict[str, type[BaseModel]]) -> dict[str, Any]:
    """One JSON Schema document holding every model under ``$defs`` by its class name."""
    _, document = models_json_schema(
        [(model, "validation") for model in models.values()],
        ref_template="#/$defs/{model}",
    )
    return document


def round_trip(models: dict[str, type[BaseModel]]) -> str:
    """The pydantic source generated from the models' JSON Schema, classes named as before.

    The source may define helper classes (a constrained field becomes its own root model, the
    document's root a ``Model``): the caller keeps only the names the user defined.
    """
    return generate_pydantic_source(models_document(models), from_models=True)


def carried_settings(models: dict[str, type[BaseModel]]) -> dict[str, dict[str, Any]]:
    """Per model, the settings of ``CARRIED_SETTINGS`` it sets, as plain values."""
    return {
        name: settings
        for name, model in models.items()
        if (
            settings := {
                key: value
                for key, value in model.model_config.items()
                if key in CARRIED_SETTINGS and isinstance(value, _PLAIN_VALUES)
            }
        )
    }


def apply_settings(models: dict[str, type[BaseModel]], settings: dict[str, dict[str, Any]]) -> None:
    """Give generated models the carried settings, then rebuild every model in order so that
    models embedding a changed one validate with it too."""
    if not settings:
        return
    for name, values in settings.items():
        models[name].model_config.update(
            {key: value for key, value in values.items() if key in CARRIED_SETTINGS}
        )
    for model in models.values():
        model.model_rebuild(force=True)


def round_trip_notes(
    original: dict[str, type[BaseModel]], rebuilt: dict[str, type[BaseModel]]
) -> tuple[str, ...]:
    """One sentence per model whose meaning the round trip changed."""
    notes: list[str] = []
    for name, model in original.items():
        twin = rebuilt.get(name)
        if twin is None:
            notes.append(f"{name} is not a model after conversion to JSON Schema")
            continue
        lost = sorted(
            set(model.model_config) - _SCHEMA_SETTINGS - CARRIED_SETTINGS - set(twin.model_config)
        )
        if lost:
            notes.append(
                f"{name}: model_config {', '.join(lost)} cannot be carried by JSON Schema "
                "and is not applied"
            )
        strict = [
            field_name
            for field_name, field in model.model_fields.items()
            if any(getattr(item, "strict", None) for item in field.metadata)
        ]
        if strict:
            notes.append(f"{name}: strict on {', '.join(strict)} is not applied")
        changed = _changed_properties(model, twin)
        if changed:
            notes.append(
                f"{name}: {', '.join(changed)} accept other values after conversion to JSON "
                "Schema (compare the wrapper's JSON Schema with your code)"
            )
    return tuple(notes)


def _changed_properties(model: type[BaseModel], twin: type[BaseModel]) -> list[str]:
    before, after = model.model_json_schema(), twin.model_json_schema()
    old = _normalized(before, before.get("$defs", {}), ())
    new = _normalized(after, after.get("$defs", {}), ())
    names = [*old.get("properties", {}), *new.get("properties", {})]
    changed = [
        prop
        for prop in dict.fromkeys(names)
        if old.get("properties", {}).get(prop) != new.get("properties", {}).get(prop)
        or (prop in old.get("required", ())) != (prop in new.get("required", ()))
    ]
    return changed


def _normalized(schema: Any, defs: dict[str, Any], seen: tuple[str, ...]) -> Any:
    """References inlined, names and docs dropped: schemas that accept the same compare equal."""
    if isinstance(schema, list):
        return [_normalized(item, defs, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        name = reference.removeprefix("#/$defs/")
        if name in seen or name not in defs:
            return {"$ref": name}
        return _normalized(
            {**defs[name], **{k: v for k, v in schema.items() if k != "$ref"}},
            defs,
            (*seen, name),
        )
    result = {
        key: _normalized(value, defs, seen)
        for key, value in schema.items()
        if key not in _COSMETIC_KEYS and key != "$defs" and not (key == "default" and value is None)
    }
    if set(result) == {"anyOf"} and len(result["anyOf"]) == 1:
        return result["anyOf"][0]
    return result
