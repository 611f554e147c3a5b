"""Turn pydantic source into model classes without letting untrusted code run.

The source is checked on its AST first (see ``declarative``); only then does it run, in a fresh
module whose builtins hold nothing but the types schema code may name and an import function
limited to the allowed modules. Untrusted code reaches this module only inside the sandbox
child (see ``sandbox``); the server itself runs only code generated from JSON Schema here.
Whoever starts the server can lift both fences with ``ITERPLAY_TRUSTED_CODE=1`` so that
validators and methods work; it is read once, at start-up, so nothing a user sends can set it.
"""

from __future__ import annotations

import ast
import builtins
import itertools
import os
import sys
import traceback
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from iterplay.errors import SchemaError
from iterplay.schema.declarative import ALLOWED_BUILTINS, ALLOWED_MODULES, check_declarative

SCHEMA_FILENAME = "<schema>"
TRUSTED_CODE_VARIABLE = "ITERPLAY_TRUSTED_CODE"
MAX_REASON_LENGTH = 300

_module_numbers = itertools.count()


_TRUSTED_AT_START = os.environ.get(TRUSTED_CODE_VARIABLE) == "1"


def trusted_code_enabled() -> bool:
    """Whether the server was started with ITERPLAY_TRUSTED_CODE=1; changing it later does not
    count, so code that ran in this process could not switch it on for later visitors."""
    return _TRUSTED_AT_START


def load_models(source: str, *, trusted: bool) -> dict[str, type[BaseModel]]:
    """Every model class the source defines, in definition order, built and ready to validate."""
    tree = _parse(source)
    try:
        if not trusted:
            check_declarative(tree, source)
        code = compile(tree, SCHEMA_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise _syntax_error(error) from None
    except RecursionError:
        raise SchemaError("the schema is nested too deeply") from None
    module = _fresh_module(trusted)
    # pydantic resolves forward references through sys.modules, but only while building the
    # models; unregistering afterwards lets schemas replaced in the editor be collected.
    sys.modules[module.__name__] = module
    try:
        _execute(code, module)
        models = _defined_models(module)
        _build(models, _class_lines(tree))
    finally:
        sys.modules.pop(module.__name__, None)
    if not models:
        raise SchemaError("define at least one class deriving from BaseModel")
    return models


def load_generated(source: str) -> dict[str, type[BaseModel]]:
    """Code generated from a JSON Schema: never trusted, and its errors say where they come from."""
    try:
        return load_models(source, trusted=False)
    except SchemaError as error:
        raise SchemaError(
            f"{error.reason} (in the pydantic code generated from the JSON Schema)",
            error.line,
            error.column,
        ) from error


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source, SCHEMA_FILENAME)
    except SyntaxError as error:
        raise _syntax_error(error) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise SchemaError(f"the schema cannot be parsed: {error}") from None


def _syntax_error(error: SyntaxError) -> SchemaError:
    return SchemaError(f"Python syntax error: {error.msg}", error.lineno, error.offset)


def _fresh_module(trusted: bool) -> ModuleType:
    module = ModuleType(f"iterplay_user_schema_{next(_module_numbers)}")
    if not trusted:
        module.__dict__["__builtins__"] = _restricted_builtins()
    return module


def _restricted_builtins() -> dict[str, Any]:
    """A second fence behind the AST check: the running code cannot even reach ``open``."""
    allowed = {name: getattr(builtins, name) for name in ALLOWED_BUILTINS}
    return {**allowed, "__build_class__": builtins.__build_class__, "__import__": _import_allowed}


def _import_allowed(
    name: str,
    globals: dict[str, Any] | None = None,
    locals: dict[str, Any] | None = None,
    fromlist: tuple[str, ...] = (),
    level: int = 0,
) -> ModuleType:
    if level or name not in ALLOWED_MODULES:
        raise ImportError(f"importing '{name}' is not allowed in schema code")
    return builtins.__import__(name, globals, locals, fromlist, level)


def _execute(code: Any, module: ModuleType) -> None:
    try:
        exec(code, module.__dict__)
    except Exception as error:
        raise SchemaError(_describe(error), _schema_line(error)) from error


def _defined_models(module: ModuleType) -> dict[str, type[BaseModel]]:
    """Classes bound under their own name; pydantic also stores ``RootModel[list[X]]`` there."""
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
        and value.__name__ == name
        and name.isidentifier()
    }


def _build(models: dict[str, type[BaseModel]], class_lines: dict[str, int]) -> None:
    """Resolve forward references now and make sure each model can be described to an LLM."""
    for name, model in models.items():
        try:
            model.model_rebuild()
            model.model_json_schema()
        except Exception as error:
            raise SchemaError(_describe(error), class_lines.get(name)) from error


def _class_lines(tree: ast.Module) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            lines.setdefault(node.name, node.lineno)
    return lines


def _schema_line(error: BaseException) -> int | None:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == SCHEMA_FILENAME]
    return frames[-1].lineno if frames else None


def _describe(error: Exception) -> str:
    """The message on one line, without the documentation link pydantic appends."""
    lines = [line.strip() for line in str(error).splitlines()]
    kept = [line for line in lines if line and not line.startswith("For further information")]
    reason = " ".join(kept) or type(error).__name__
    if len(reason) > MAX_REASON_LENGTH:
        reason = reason[: MAX_REASON_LENGTH - 3] + "..."
    if isinstance(error, NameError):
        reason += " (define it above this line, or add 'from __future__ import annotations')"
    return reason
