"""Decide, on the AST alone, whether untrusted pydantic source is declarative enough to run.

Schema code can arrive in a share link, so nothing in it may run before this check passes. The
check accepts a small subset of Python (imports from an allow-list, classes with annotated fields,
literal defaults, a few constraint calls) and refuses everything else with the line, the column
and a reason the user can act on.

Every top-level name may be bound only once, and no field may share its name with a name that
a type expression uses, so what a name means here is what it means when the code runs, including
annotations that pydantic evaluates later from strings (a field ``int: str = "..."`` would
otherwise turn a later ``x: int`` into code for pydantic to ``eval``). Module attributes used as
types must be types, not constants such as ``decimal.ROUND_UP`` (a string pydantic would
``eval``). This check is the first fence; the second is that untrusted code runs only in a
child process that holds nothing worth taking (see ``sandbox``).
"""

from __future__ import annotations

import ast
import builtins
import difflib
import importlib
import inspect
from dataclasses import dataclass

from iterplay.errors import SchemaError

ALLOWED_MODULES = (
    "pydantic",
    "typing",
    "typing_extensions",
    "enum",
    "datetime",
    "decimal",
    "uuid",
    "annotated_types",
    "__future__",
)

ALLOWED_BUILTINS = frozenset(
    {
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "complex",
        "list",
        "dict",
        "set",
        "tuple",
        "frozenset",
        "object",
        "type",
    }
)

# Callables that only build constraints or configuration from literal arguments.
ALLOWED_CALLS = frozenset(
    {
        ("pydantic", name)
        for name in (
            "Field",
            "constr",
            "conint",
            "confloat",
            "conlist",
            "conset",
            "confrozenset",
            "conbytes",
            "condecimal",
            "condate",
            "ConfigDict",
            "StringConstraints",
            "Strict",
        )
    }
    | {
        ("annotated_types", name)
        for name in (
            "Gt",
            "Ge",
            "Lt",
            "Le",
            "MinLen",
            "MaxLen",
            "Len",
            "MultipleOf",
            "Interval",
        )
    }
    | {("enum", "auto")}
)
CONFIG_CALL = ("pydantic", "ConfigDict")
# pydantic's default engine (Rust's regex) runs in linear time; the backtracking one does not.
SAFE_REGEX_ENGINE = "rust-regex"
BACKTRACKING_REFUSED = (
    "regex_engine='python-re' is not allowed in untrusted schema code: Python's backtracking "
    "regex engine lets a crafted value stall the server; patterns without look-around or "
    "back-references work with the default engine"
)
# Values that are data, not types: pydantic would evaluate a string one as a forward reference.
_CONSTANT_TYPES = (str, bytes, int, float, complex, tuple, list, dict, set, frozenset)
# Their first argument is the item type, not a literal.
ITEM_TYPE_CALLS = frozenset(
    {("pydantic", "conlist"), ("pydantic", "conset"), ("pydantic", "confrozenset")}
)

# Public names that would let data chosen by the model import modules or probe the server's files.
REFUSED_NAMES = frozenset(
    {
        ("pydantic", name)
        for name in (
            "ImportString",
            "FilePath",
            "DirectoryPath",
            "NewPath",
            "SocketPath",
        )
    }
)

MODEL_BASES = frozenset({("pydantic", "BaseModel"), ("pydantic", "RootModel")})
ROOT_MODEL = ("pydantic", "RootModel")
ENUM_BASES = frozenset({("enum", "Enum"), ("enum", "IntEnum"), ("enum", "StrEnum")})
ENUM_MIXINS = frozenset({"str", "int"})
LITERAL = frozenset({("typing", "Literal"), ("typing_extensions", "Literal")})
ANNOTATED = frozenset({("typing", "Annotated"), ("typing_extensions", "Annotated")})
TYPE_ALIAS = frozenset({("typing", "TypeAlias"), ("typing_extensions", "TypeAlias")})
DEFAULT_FACTORIES = frozenset({"list", "dict", "set", "tuple", "frozenset"})

FUNCTIONS_REFUSED = (
    "functions are not allowed in schema code "
    "(methods and validators run only when the server sets ITERPLAY_TRUSTED_CODE=1)"
)
TOP_LEVEL_REFUSED = (
    "only imports, classes, type aliases such as UserId = int and docstrings are allowed "
    "at the top level of schema code"
)
MODEL_BODY_REFUSED = (
    "a model class may hold only a docstring, annotated fields such as 'name: str = \"x\"' "
    "and model_config = ConfigDict(...)"
)
ENUM_BODY_REFUSED = 'an enum class may hold only a docstring and members such as RED = "red"'
LITERAL_EXPECTED = (
    'defaults and call arguments must be literal values such as 1, "text", None or [1, 2]'
)

_EXPRESSION_NAMES = {
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.BinOp: "arithmetic",
    ast.BoolOp: "boolean operators",
    ast.Compare: "comparisons",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignment expressions",
    ast.Starred: "unpacking with *",
    ast.Slice: "slices",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


_Node = ast.stmt | ast.expr


@dataclass(frozen=True)
class _Binding:
    """What a top-level name holds: an imported module or name, a class of the file, an alias."""

    kind: str  # "module" | "import" | "model" | "enum" | "alias"
    line: int
    module: str = ""
    attr: str = ""


def check_declarative(tree: ast.Module, source: str) -> None:
    """Raise SchemaError at the first construct outside the declarative subset."""
    _Checker(source, tree).check_module(tree)


def is_public_name(module: str, attr: str) -> bool:
    """Whether ``attr`` is part of an allowed module's public API (never a submodule)."""
    if attr.startswith("_") or (module, attr) in REFUSED_NAMES:
        return False
    loaded = importlib.import_module(module)
    if attr not in getattr(loaded, "__all__", (attr,)) or not hasattr(loaded, attr):
        return False
    return not inspect.ismodule(getattr(loaded, attr))


class _Checker:
    """Walks the module once, top to bottom, binding names as the code would."""

    def __init__(self, source: str, tree: ast.Module):
        self._lines = source.splitlines()
        self._bindings: dict[str, _Binding] = {}
        self._top_level_names = _top_level_names(tree)
        # Inside a string forward reference, errors point at the string itself.
        self._anchor: _Node | None = None
        # Every name read anywhere (forward references included), and every field's name, so
        # that no field can shadow a name that an annotation resolves later.
        self._read_names: dict[str, _Node] = {}
        self._field_names: list[tuple[str, _Node]] = []

    # -- statements ---------------------------------------------------------------------------

    def check_module(self, tree: ast.Module) -> None:
        self._note_read_names(tree)
        for statement in tree.body:
            self._check_top_level(statement)
        self._check_no_field_shadows_a_name()

    def _note_read_names(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self._read_names.setdefault(node.id, node)

    def _check_no_field_shadows_a_name(self) -> None:
        for name, node in self._field_names:
            used = self._read_names.get(name)
            if used is None:
                continue
            raise self._error(
                node,
                f"field '{name}' has the same name as '{name}' used on line {used.lineno}; "
                f"rename the field (for example '{name}_' with Field(alias='{name}')) so the "
                "name keeps one meaning",
            )

    def _check_top_level(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            self._check_import(node)
        elif isinstance(node, ast.ImportFrom):
            self._check_import_from(node)
        elif isinstance(node, ast.ClassDef):
            self._check_class(node)
        elif isinstance(node, ast.Assign):
            self._check_alias(node)
        elif isinstance(node, ast.AnnAssign):
            self._check_annotated_alias(node)
        elif isinstance(node, ast.Expr):
            self._check_top_level_expression(node)
        else:
            self._refuse_statement(node, TOP_LEVEL_REFUSED)

    def _refuse_statement(self, node: ast.stmt, reason: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            raise self._error(
                node.decorator_list[0] if node.decorator_list else node, FUNCTIONS_REFUSED
            )
        raise self._error(node, reason)

    def _check_import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in ALLOWED_MODULES:
                raise self._error(node, _module_refused(alias.name))
            binding = _Binding("module", node.lineno, alias.name)
            self._bind(alias.asname or alias.name, binding, node)

    def _check_import_from(self, node: ast.ImportFrom) -> None:
        if node.level:
            raise self._error(node, "relative imports are not allowed in schema code")
        module = node.module or ""
        if module not in ALLOWED_MODULES:
            raise self._error(node, _module_refused(module))
        for alias in node.names:
            if alias.name == "*":
                raise self._error(
                    node, "star imports are not allowed in schema code; import the names you use"
                )
            if module != "__future__" and not is_public_name(module, alias.name):
                raise self._error(
                    node,
                    f"'{alias.name}' is not a public name of {module} that schema code may import",
                )
            binding = _Binding("import", node.lineno, module, alias.name)
            self._bind(alias.asname or alias.name, binding, node)

    def _check_alias(self, node: ast.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
            raise self._error(node, TOP_LEVEL_REFUSED)
        self._check_type(node.value)
        self._bind(node.targets[0].id, _Binding("alias", node.lineno), node)

    def _check_annotated_alias(self, node: ast.AnnAssign) -> None:
        annotation = self._qualified(node.annotation)
        if (
            annotation not in TYPE_ALIAS
            or node.value is None
            or not isinstance(node.target, ast.Name)
        ):
            raise self._error(node, TOP_LEVEL_REFUSED)
        self._check_type(node.value)
        self._bind(node.target.id, _Binding("alias", node.lineno), node)

    def _check_top_level_expression(self, node: ast.Expr) -> None:
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return
        if self._is_model_rebuild(value):
            return
        if isinstance(value, ast.Call):
            self._check_call(value)
        raise self._error(node, TOP_LEVEL_REFUSED)

    def _is_model_rebuild(self, node: ast.expr) -> bool:
        """``Model.model_rebuild()``, which datamodel-code-generator writes for recursive models."""
        return (
            isinstance(node, ast.Call)
            and not node.args
            and not node.keywords
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "model_rebuild"
            and isinstance(node.func.value, ast.Name)
            and self._binding_kind(node.func.value.id) == "model"
        )

    # -- classes ------------------------------------------------------------------------------

    def _check_class(self, node: ast.ClassDef) -> None:
        if node.decorator_list:
            raise self._error(
                node.decorator_list[0],
                "decorators are not allowed in schema code "
                "(they run only when the server sets ITERPLAY_TRUSTED_CODE=1)",
            )
        if node.keywords:
            raise self._error(
                node,
                "class keywords such as metaclass=... are not allowed in "
                "schema code; use model_config = ConfigDict(...)",
            )
        self._refuse_dunder(node, node.name)
        kind = self._class_kind(node)
        for statement in node.body:
            if kind == "model":
                self._check_model_statement(statement)
            else:
                self._check_enum_statement(statement)
        self._bind(node.name, _Binding(kind, node.lineno), node)

    def _class_kind(self, node: ast.ClassDef) -> str:
        kinds = {self._base_kind(base) for base in node.bases}
        if kinds == {"model"}:
            return "model"
        if kinds in ({"enum"}, {"enum", "mixin"}):
            return "enum"
        raise self._error(
            node,
            f"class '{node.name}' must derive from BaseModel, RootModel[...] "
            "or Enum, or from one class defined earlier in this file",
        )

    def _base_kind(self, base: ast.expr) -> str:
        if isinstance(base, ast.Subscript) and self._qualified(base.value) == ROOT_MODEL:
            self._check_type(base.slice)
            return "model"
        qualified = self._qualified(base)
        if qualified in MODEL_BASES:
            return "model"
        if qualified in ENUM_BASES:
            return "enum"
        if isinstance(base, ast.Name):
            kind = self._binding_kind(base.id)
            if kind in ("model", "enum"):
                return kind
            if kind is None and base.id in ENUM_MIXINS:
                return "mixin"
            if base.id in self._top_level_names:
                raise self._error(
                    base, f"class '{base.id}' must be defined before it is used as a base class"
                )
            known = {name: module for module, name in MODEL_BASES | ENUM_BASES}
            if kind is None and base.id in known:
                raise self._error(
                    base,
                    f"name '{base.id}' is not defined; add "
                    f"'from {known[base.id]} import {base.id}' at the top",
                )
        raise self._error(
            base,
            f"'{_snippet(base)}' is not an allowed base class; derive from "
            "BaseModel, RootModel[...], Enum or a class defined earlier in "
            "this file",
        )

    def _check_model_statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Pass) or _is_docstring(node):
            return
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            self._refuse_dunder(node, node.target.id)
            self._field_names.append((node.target.id, node))
            self._check_type(node.annotation)
            if node.value is not None:
                self._check_default(node.value)
            return
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "model_config"
        ):
            self._check_default(node.value)
            if isinstance(node.value, ast.Dict):
                self._check_config_items(zip(node.value.keys, node.value.values, strict=True))
            return
        self._refuse_statement(node, MODEL_BODY_REFUSED)

    def _check_config_items(self, items) -> None:
        """``model_config`` as ConfigDict(...) or a dict literal: no backtracking regex engine."""
        for key, value in items:
            name = key.value if isinstance(key, ast.Constant) else key
            if name != "regex_engine":
                continue
            if not (isinstance(value, ast.Constant) and value.value == SAFE_REGEX_ENGINE):
                raise self._error(value, BACKTRACKING_REFUSED)

    def _check_enum_statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Pass) or _is_docstring(node):
            return
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and not node.targets[0].id.startswith("_")
        ):
            self._check_default(node.value)
            return
        self._refuse_statement(node, ENUM_BODY_REFUSED)

    # -- expressions --------------------------------------------------------------------------

    def _check_type(self, node: ast.expr) -> None:
        """A type expression: names, module attributes, subscripts, ``|``, forward references."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                self._check_forward_reference(node)
            elif node.value is not None and node.value is not Ellipsis:
                raise self._error(node, f"{node.value!r} is not a type")
        elif isinstance(node, ast.Name):
            self._check_name(node)
        elif isinstance(node, ast.Attribute):
            self._check_attribute(node)
        elif isinstance(node, ast.Subscript):
            self._check_subscript(node)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            self._check_type(node.left)
            self._check_type(node.right)
        elif isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                self._check_type(element)
        elif isinstance(node, ast.Call):
            self._check_call(node)
        else:
            raise self._error(node, _expression_refused(node))

    def _check_forward_reference(self, node: ast.Constant) -> None:
        """Pydantic evaluates string annotations, so they are checked like the code around them."""
        try:
            expression = ast.parse(node.value, mode="eval")
        except SyntaxError:
            raise self._error(
                node, f"forward reference {_snippet(node)} is not a valid type expression"
            ) from None
        self._note_read_names(expression)
        outer, self._anchor = self._anchor, self._anchor or node
        try:
            self._check_type(expression.body)
        finally:
            self._anchor = outer

    def _check_subscript(self, node: ast.Subscript) -> None:
        self._check_type(node.value)
        generic = self._qualified(node.value)
        arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if generic in LITERAL:
            for argument in arguments:
                self._check_literal(argument)
        elif generic in ANNOTATED and arguments:
            self._check_type(arguments[0])
            for metadata in arguments[1:]:
                self._check_default(metadata)
        else:
            for argument in arguments:
                self._check_type(argument)

    def _check_default(self, node: ast.expr) -> None:
        """A field default, Annotated metadata, enum value or model_config: a literal or a call."""
        if isinstance(node, ast.Call) and self._qualified(node.func) in ALLOWED_CALLS:
            self._check_call(node)
        else:
            self._check_literal(node)

    def _check_literal(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            return
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub | ast.UAdd)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int | float | complex)
        ):
            return
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            for element in node.elts:
                self._check_literal(element)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    raise self._error(value, "unpacking with ** is not allowed in schema code")
                self._check_literal(key)
                self._check_literal(value)
        elif isinstance(node, ast.Attribute) and self._is_enum_member(node):
            return
        elif isinstance(node, ast.Call):
            self._check_call(node)
            raise self._error(node, LITERAL_EXPECTED)
        elif isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
            self._check_type(node)
            raise self._error(node, LITERAL_EXPECTED)
        else:
            raise self._error(node, _expression_refused(node))

    def _check_call(self, node: ast.Call) -> None:
        qualified = self._qualified(node.func)
        if qualified not in ALLOWED_CALLS:
            self._refuse_unimported_call(node.func)
            raise self._error(
                node,
                f"calling '{_snippet(node.func)}' is not allowed in schema "
                "code; only Field, ConfigDict, constraints such as conint or "
                "annotated_types.Gt, and enum.auto may be called",
            )
        arguments = list(node.args)
        if qualified in ITEM_TYPE_CALLS and arguments:
            self._check_type(arguments.pop(0))
        for argument in arguments:
            if isinstance(argument, ast.Starred):
                raise self._error(argument, "unpacking with * is not allowed in schema code")
            self._check_literal(argument)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self._error(keyword.value, "unpacking with ** is not allowed in schema code")
            if qualified == CONFIG_CALL:
                self._check_config_items([(keyword.arg, keyword.value)])
            if keyword.arg == "default_factory":
                self._check_default_factory(keyword.value)
            elif keyword.arg == "item_type" and qualified in ITEM_TYPE_CALLS:
                self._check_type(keyword.value)
            else:
                self._check_literal(keyword.value)

    def _refuse_unimported_call(self, func: ast.expr) -> None:
        """``Field(...)`` without its import is a missing import, not a forbidden call."""
        if not isinstance(func, ast.Name) or func.id in self._bindings:
            return
        modules = sorted({module for module, name in ALLOWED_CALLS if name == func.id})
        if modules:
            raise self._error(
                func,
                f"name '{func.id}' is not defined; add "
                f"'from {modules[0]} import {func.id}' at the top",
            )

    def _check_default_factory(self, node: ast.expr) -> None:
        """pydantic calls the factory, so it may only be an empty container or a model."""
        if isinstance(node, ast.Name):
            kind = self._binding_kind(node.id)
            if kind == "model" or (kind is None and node.id in DEFAULT_FACTORIES):
                return
        raise self._error(
            node,
            "default_factory may only be list, dict, set, tuple, frozenset "
            "or a model class defined earlier in this file",
        )

    def _check_name(self, node: ast.Name) -> None:
        self._refuse_dunder(node, node.id)
        self._refuse_constant_type(node)
        if (
            node.id in self._bindings
            or node.id in ALLOWED_BUILTINS
            or node.id in self._top_level_names
        ):
            return
        if hasattr(builtins, node.id):
            raise self._error(node, f"'{node.id}' is not available in schema code")
        known = [*self._bindings, *self._top_level_names, *ALLOWED_BUILTINS]
        close = difflib.get_close_matches(node.id, known, n=1)
        hint = (
            f" (did you mean '{close[0]}'?)"
            if close
            else "; import it or define a class with that name"
        )
        raise self._error(node, f"name '{node.id}' is not defined{hint}")

    def _check_attribute(self, node: ast.Attribute) -> None:
        if self._is_enum_member(node):
            return
        if self._qualified(node) is not None:
            self._refuse_constant_type(node)
            return
        raise self._error(
            node,
            f"attribute access '{_snippet(node)}' is not allowed in schema "
            "code; only module attributes such as typing.Optional and enum "
            "members such as Color.RED are",
        )

    def _refuse_constant_type(self, node: ast.Name | ast.Attribute) -> None:
        """A module constant in a type position is data that pydantic would evaluate."""
        qualified = self._qualified(node)
        if qualified is None or qualified[0] == "__future__":
            return
        value = getattr(importlib.import_module(qualified[0]), qualified[1], None)
        if isinstance(value, _CONSTANT_TYPES):
            raise self._error(
                node, f"'{_snippet(node)}' is a constant ({type(value).__name__}), not a type"
            )

    def _is_enum_member(self, node: ast.Attribute) -> bool:
        return (
            isinstance(node.value, ast.Name)
            and not node.attr.startswith("_")
            and self._binding_kind(node.value.id) == "enum"
        )

    # -- names --------------------------------------------------------------------------------

    def _qualified(self, node: ast.expr) -> tuple[str, str] | None:
        """``(module, name)`` for an imported name or a public attribute of an imported module."""
        if isinstance(node, ast.Name):
            binding = self._bindings.get(node.id)
            if binding is not None and binding.kind == "import":
                return binding.module, binding.attr
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            binding = self._bindings.get(node.value.id)
            if (
                binding is not None
                and binding.kind == "module"
                and is_public_name(binding.module, node.attr)
            ):
                return binding.module, node.attr
        return None

    def _binding_kind(self, name: str) -> str | None:
        binding = self._bindings.get(name)
        return binding.kind if binding else None

    def _bind(self, name: str, binding: _Binding, node: ast.stmt) -> None:
        self._refuse_dunder(node, name)
        previous = self._bindings.get(name)
        if previous is not None and (previous.kind, previous.module, previous.attr) != (
            binding.kind,
            binding.module,
            binding.attr,
        ):
            raise self._error(
                node, f"'{name}' is already defined on line {previous.line}; give it another name"
            )
        self._bindings.setdefault(name, binding)

    def _refuse_dunder(self, node: _Node, name: str) -> None:
        if name.startswith("__"):
            raise self._error(
                node,
                f"names with double underscores such as '{name}' are not allowed in schema code",
            )

    def _error(self, node: _Node, reason: str) -> SchemaError:
        anchor = self._anchor or node
        return SchemaError(reason, anchor.lineno, self._column(anchor.lineno, anchor.col_offset))

    def _column(self, line: int, byte_offset: int) -> int:
        """ast offsets count UTF-8 bytes; users count characters, from 1."""
        text = self._lines[line - 1] if line <= len(self._lines) else ""
        return len(text.encode()[:byte_offset].decode(errors="replace")) + 1


def _top_level_names(tree: ast.Module) -> frozenset[str]:
    """Classes and aliases bound anywhere at the top level: annotations may name them early."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return frozenset(names)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _module_refused(module: str) -> str:
    return (
        f"importing '{module}' is not allowed in schema code; "
        f"import only from {', '.join(m for m in ALLOWED_MODULES if m != '__future__')}"
    )


def _expression_refused(node: ast.expr) -> str:
    what = _EXPRESSION_NAMES.get(type(node), f"expressions like {_snippet(node)}")
    return f"{what} are not allowed in schema code"


def _snippet(node: ast.AST, limit: int = 40) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."
