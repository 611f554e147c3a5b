"""Turn JSON Schema text into pydantic source with datamodel-code-generator.

The generated source is then loaded through the same safe loader as hand-written code, so a JSON
Schema can never run anything the pydantic editor could not. Only references inside the document
(``$ref: "#/..."``) are followed: a schema from a share link must not make the server read its own
files or fetch URLs.
"""

from __future__ import annotations

import json
from typing import Any

from iterplay.errors import SchemaError

GENERATED_HEADER = "# Generated from the JSON Schema by datamodel-code-generator."
_REFERENCE_KEYS = ("$ref", "$dynamicRef", "$recursiveRef")


def pydantic_source_from_json_schema(text: str) -> str:
    """The pydantic v2 source for a JSON Schema; deterministic, so it can be shown and diffed."""
    schema = _parse_object(text)
    _check_meta_schema(schema)
    _check_references_are_local(schema)
    _check_patterns_run_in_linear_time(schema)
    return generate_pydantic_source(schema, from_models=False)


def _parse_object(text: str) -> dict[str, Any]:
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaError(f"invalid JSON: {error.msg}", error.lineno, error.colno) from None
    except RecursionError:
        raise SchemaError("the JSON is nested too deeply") from None
    if not isinstance(schema, dict):
        raise SchemaError(
            "a JSON Schema must be a JSON object such as "
            f'{{"type": "object", "properties": {{...}}}}, not {_json_kind(schema)}'
        )
    return schema


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _check_meta_schema(schema: dict[str, Any]) -> None:
    """Catch typos such as ``"type": "objekt"`` with a message that says where they are."""
    from jsonschema.exceptions import SchemaError as InvalidSchema
    from jsonschema.validators import validator_for

    try:
        validator_for(schema).check_schema(schema)
    except InvalidSchema as error:
        where = "/".join(str(part) for part in error.absolute_path) or "the top level"
        raise SchemaError(f"not a valid JSON Schema at {where}: {error.message}") from None
    except RecursionError:
        raise SchemaError("the JSON Schema is nested too deeply") from None


def _check_references_are_local(schema: dict[str, Any]) -> None:
    pending: list[Any] = [schema]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            for key in _REFERENCE_KEYS:
                reference = value.get(key)
                if isinstance(reference, str) and not reference.startswith("#"):
                    raise SchemaError(
                        f"only references inside the schema are allowed, such as "
                        f'"#/$defs/Address"; "{reference}" points elsewhere'
                    )
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def _check_patterns_run_in_linear_time(schema: Any, path: str = "") -> None:
    """Refuse patterns only Python's backtracking engine can run (look-around, back-references).

    For those the generator selects ``regex_engine="python-re"``, with which a crafted value of a
    few dozen characters can keep a server busy for seconds (see docs/security.md).
    """
    if isinstance(schema, dict):
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not _linear_engine_accepts(pattern):
            raise SchemaError(
                f"the pattern {json.dumps(pattern)} at {path or 'the top level'} needs "
                "look-around or back-references, which only Python's backtracking regex engine "
                "runs; that engine lets a crafted value stall the server, so it is refused for "
                "shared schemas: rewrite the pattern without them"
            )
        for key, value in schema.items():
            _check_patterns_run_in_linear_time(value, f"{path}/{key}" if path else str(key))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            _check_patterns_run_in_linear_time(value, f"{path}/{index}")


def _linear_engine_accepts(pattern: str) -> bool:
    from pydantic_core import SchemaError as InvalidCoreSchema
    from pydantic_core import SchemaValidator, core_schema

    try:
        SchemaValidator(core_schema.str_schema(pattern=pattern, regex_engine="rust-regex"))
    except InvalidCoreSchema:
        return False
    return True


def generate_pydantic_source(schema: dict[str, Any], *, from_models: bool) -> str:
    """datamodel-code-generator's pydantic v2 source for an already checked schema document.

    A user's JSON Schema names classes by ``title``. A document made from pydantic models (see
    ``round_trip``) names them by their ``$defs`` keys, which keeps each class's own name
    whatever title it declares; it states nullability explicitly, and its ``date-time`` means
    pydantic's ``datetime``, so the generated models accept what the originals accepted.
    """
    # Imported here: datamodel-code-generator is slow to import and only this path needs it.
    from datamodel_code_generator import (
        DataModelType,
        DatetimeClassType,
        InputFileType,
        PythonVersion,
        generate,
    )
    from datamodel_code_generator.format import Formatter

    model_options: dict[str, Any] = (
        {"strict_nullable": True, "output_datetime_class": DatetimeClassType.Datetime}
        if from_models
        else {"use_title_as_name": True}
    )

    try:
        source = generate(
            schema,
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            formatters=[Formatter.BUILTIN],
            custom_file_header=GENERATED_HEADER,
            disable_timestamp=True,
            use_schema_description=True,
            use_annotated=True,
            field_constraints=True,
            strict_refs=True,
            allow_remote_refs=False,
            **model_options,
        )
    except Exception as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise SchemaError(f"cannot turn this JSON Schema into pydantic code: {reason}") from error
    if not isinstance(source, str):
        raise SchemaError(
            "this JSON Schema produces several Python modules; keep all definitions in one document"
        )
    return source
