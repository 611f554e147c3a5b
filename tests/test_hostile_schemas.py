"""A corpus of hostile schemas, as a share link could carry them.

Each one is loaded the way the server loads a visitor's schema. Whatever it tries, the outcome
is a clean load or one-sentence refusal, within a bound, and no canary fires: no file appears,
the server's environment is unchanged (no ITERPLAY_TRUSTED_CODE), and the server's key appears
in nothing that comes back.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iterplay.errors import ProviderError, SchemaError
from iterplay.request import ExtractionRequest, build_payload
from iterplay.schema import load_schema, select_targets, trusted_code_enabled
from iterplay.wrapper import build_wrapper

CANARY_KEY = "sk-canary-hostile-schema-9f8e7d6c5b4a"
# Generous: the sandbox's own wall limit is 10 s; a load that outlives this is a hang.
BOUND_SECONDS = 40.0
ATTACK = "__import__('os').system('touch {canary}') or __import__('os').environ.setdefault('ITERPLAY_TRUSTED_CODE', '1')"  # noqa: E501

P = "from pydantic import BaseModel, Field\n"

REFUSED = "refused"
LOADS = "loads"
EITHER = "either"

PYDANTIC_CORPUS: list[tuple[str, str, str]] = [
    # name shadowing: a field named like a type, with a string default pydantic would eval
    ("shadow-builtin", P + 'class A(BaseModel):\n    int: str = "{attack}"\n    x: int\n', REFUSED),
    (
        "shadow-future-annotations",
        "from __future__ import annotations\n"
        + P
        + 'class A(BaseModel):\n    int: str = "{attack}"\n    x: int\n',
        REFUSED,
    ),
    (
        "shadow-in-list",
        P + 'class A(BaseModel):\n    int: str = "{attack}"\n    x: list[int]\n',
        REFUSED,
    ),
    (
        "shadow-in-optional",
        "from typing import Optional\n"
        + P
        + 'class A(BaseModel):\n    int: str = "{attack}"\n    x: Optional[int]\n',
        REFUSED,
    ),
    (
        "shadow-in-annotated",
        "from typing import Annotated\n"
        + P
        + 'class A(BaseModel):\n    int: str = "{attack}"\n    x: Annotated[int, Field(gt=0)]\n',
        REFUSED,
    ),
    (
        "shadow-in-subclass",
        P + 'class A(BaseModel):\n    int: str = "{attack}"\n\nclass B(A):\n    x: int\n',
        REFUSED,
    ),
    (
        "shadow-quoted",
        P + 'class A(BaseModel):\n    int: str = "{attack}"\n    x: "int"\n',
        REFUSED,
    ),
    (
        "shadow-quoted-nested",
        P + 'class A(BaseModel):\n    int: str = "{attack}"\n    x: "list[\'int\']"\n',
        REFUSED,
    ),
    (
        "shadow-earlier-class",
        P
        + "class Address(BaseModel):\n    city: str\n\n"
        + 'class User(BaseModel):\n    Address: str = "{attack}"\n    home: Address\n',
        REFUSED,
    ),
    (
        "shadow-later-class",
        "from __future__ import annotations\n"
        + P
        + 'class User(BaseModel):\n    Address: str = "{attack}"\n    home: Address\n\n'
        + "class Address(BaseModel):\n    city: str\n",
        REFUSED,
    ),
    (
        "shadow-typing-name",
        "from typing import Optional\n"
        + P
        + 'class A(BaseModel):\n    Optional: str = "{attack}"\n    x: Optional\n',
        REFUSED,
    ),
    (
        "shadow-module-name",
        "import typing\n"
        + P
        + 'class A(BaseModel):\n    typing: str = "{attack}"\n    x: typing.Any\n',
        REFUSED,
    ),
    (
        "shadow-with-field-default",
        P + 'class A(BaseModel):\n    str: int = Field(default="{attack}")\n    x: str\n',
        REFUSED,
    ),
    (
        "shadow-in-rootmodel",
        "from pydantic import RootModel\n"
        + P
        + 'class A(BaseModel):\n    list: str = "{attack}"\n\n'
        + "class R(RootModel[list[A]]):\n    pass\n",
        REFUSED,
    ),
    (
        "constant-as-type",
        "import decimal\n" + P + "class A(BaseModel):\n    x: decimal.ROUND_UP\n",
        REFUSED,
    ),
    (
        "imported-constant-as-type",
        "from decimal import ROUND_UP\n" + P + "class A(BaseModel):\n    x: ROUND_UP\n",
        REFUSED,
    ),
    (
        "quoted-constant-as-type",
        "import decimal\n" + P + 'class A(BaseModel):\n    x: "decimal.ROUND_HALF_UP"\n',
        REFUSED,
    ),
    (
        "bool-constant-as-type",
        "from typing import TYPE_CHECKING\n" + P + "class A(BaseModel):\n    x: TYPE_CHECKING\n",
        REFUSED,
    ),
    (
        "enum-member-named-int-is-harmless",
        "from enum import Enum\n"
        + P
        + 'class Color(str, Enum):\n    int = "{attack}"\n\nclass A(BaseModel):\n    x: int\n',
        LOADS,
    ),
    # direct attempts
    ("import-os", "import os\n" + P + "class A(BaseModel):\n    x: int\n", REFUSED),
    (
        "from-os-import",
        "from os import system\n" + P + "class A(BaseModel):\n    x: int\n",
        REFUSED,
    ),
    ("dunder-import-default", P + "class A(BaseModel):\n    x: int = __import__('os')\n", REFUSED),
    ("exec-call", P + "class A(BaseModel):\n    x: int = exec('{attack}')\n", REFUSED),
    ("eval-call", P + "class A(BaseModel):\n    x: int = eval('{attack}')\n", REFUSED),
    ("open-call", P + "class A(BaseModel):\n    x: str = open('/etc/passwd').read()\n", REFUSED),
    ("getattr-chain", P + "class A(BaseModel):\n    x: int = getattr(int, '__class__')\n", REFUSED),
    ("dunder-attribute", P + "class A(BaseModel):\n    x: int = ().__class__\n", REFUSED),
    (
        "lambda-default",
        P + "class A(BaseModel):\n    x: int = Field(default_factory=lambda: 1)\n",
        REFUSED,
    ),
    ("f-string", P + "class A(BaseModel):\n    x: str = f'{{1}}'\n", REFUSED),
    ("walrus", P + "class A(BaseModel):\n    x: int = (y := 1)\n", REFUSED),
    ("comprehension", P + "class A(BaseModel):\n    x: list = [i for i in range(3)]\n", REFUSED),
    ("decorator", P + "@print\nclass A(BaseModel):\n    x: int\n", REFUSED),
    ("metaclass", P + "class A(BaseModel, metaclass=type):\n    x: int\n", REFUSED),
    (
        "method",
        P + "class A(BaseModel):\n    x: int\n    def f(self):\n        return 1\n",
        REFUSED,
    ),
    ("module-code", P + "print('hi')\nclass A(BaseModel):\n    x: int\n", REFUSED),
    (
        "import-string-type",
        "from pydantic import ImportString\n" + P + "class A(BaseModel):\n    x: ImportString\n",
        REFUSED,
    ),
    (
        "file-path-type",
        "from pydantic import FilePath\n" + P + "class A(BaseModel):\n    x: FilePath\n",
        REFUSED,
    ),
    ("dunder-class-name", P + "class __init__(BaseModel):\n    x: int\n", REFUSED),
    ("relative-import", "from . import x\n" + P + "class A(BaseModel):\n    x: int\n", REFUSED),
    ("star-import", "from pydantic import *\nclass A(BaseModel):\n    x: int\n", REFUSED),
    # denial of service
    (
        "backtracking-engine-configdict",
        "from pydantic import ConfigDict\n"
        + P
        + "class A(BaseModel):\n    model_config = ConfigDict(regex_engine='python-re')\n"
        + "    x: str = Field(pattern=r'^(a+)+$')\n",
        REFUSED,
    ),
    (
        "backtracking-engine-dict",
        P
        + "class A(BaseModel):\n    model_config = {'regex_engine': 'python-re'}\n"
        + "    x: str = Field(pattern=r'^(a+)+$')\n",
        REFUSED,
    ),
    ("huge-integer-literal", P + "class A(BaseModel):\n    x: int = " + "9" * 5000 + "\n", REFUSED),
    ("lone-surrogate", P + "class A(BaseModel):\n    x: str = '\ud800'\n", REFUSED),
    (
        "deep-nesting",
        P + "class A(BaseModel):\n    x: " + "list[" * 400 + "int" + "]" * 400 + "\n",
        EITHER,
    ),
    (
        "huge-conlist-loads",
        "from pydantic import conlist\n"
        + P
        + "class A(BaseModel):\n    x: conlist(int, min_length=100_000_000)\n",
        LOADS,
    ),
    ("null-byte", P + "class A(BaseModel):\n    x: int\n\x00\n", REFUSED),
    ("syntax-error", P + "class A(BaseModel:\n    x: int\n", REFUSED),
]

JSON_SCHEMA_CORPUS: list[tuple[str, object, str]] = [
    (
        "lookaround-pattern",
        {
            "title": "A",
            "type": "object",
            "properties": {"x": {"type": "string", "pattern": "^(?=a)a+$"}},
        },
        REFUSED,
    ),
    (
        "remote-ref",
        {
            "title": "A",
            "type": "object",
            "properties": {"x": {"$ref": "http://127.0.0.1:9/x.json"}},
        },
        REFUSED,
    ),
    (
        "file-ref",
        {"title": "A", "type": "object", "properties": {"x": {"$ref": "/etc/passwd#"}}},
        REFUSED,
    ),
    (
        "attack-in-title",
        {"title": "{attack}", "type": "object", "properties": {"x": {"type": "integer"}}},
        EITHER,
    ),
    (
        "attack-in-description",
        {
            "title": "A",
            "description": '"""\n{attack}\n"""',
            "type": "object",
            "properties": {"x": {"type": "integer"}},
        },
        LOADS,
    ),
    (
        "attack-in-default",
        {
            "title": "A",
            "type": "object",
            "properties": {"x": {"type": "string", "default": "{attack}"}},
        },
        LOADS,
    ),
    (
        "property-named-like-a-type",
        {
            "title": "A",
            "type": "object",
            "properties": {
                "int": {"type": "string", "default": "{attack}"},
                "x": {"type": "integer"},
            },
        },
        EITHER,
    ),
    (
        "attack-in-property-name",
        {"title": "A", "type": "object", "properties": {"{attack}": {"type": "integer"}}},
        EITHER,
    ),
    (
        "attack-in-enum",
        {"title": "A", "type": "object", "properties": {"x": {"enum": ["{attack}", "b"]}}},
        EITHER,
    ),
    ("not-an-object", ["{attack}"], REFUSED),
    (
        "deeply-nested",
        '{"title": "A", "type": "object", "properties": {"x": ' + "[" * 3000 + "]" * 3000 + "}}",
        REFUSED,
    ),
]


@pytest.fixture
def canary(tmp_path, monkeypatch):
    """A file the attack would create, and a key the attack would read."""
    monkeypatch.setenv("OPENAI_API_KEY", CANARY_KEY)
    monkeypatch.delenv("ITERPLAY_TRUSTED_CODE", raising=False)
    path = tmp_path / "canary"
    yield path
    assert not path.exists(), "the schema ran a command"
    assert "ITERPLAY_TRUSTED_CODE" not in os.environ, "the schema changed the server's environment"
    assert trusted_code_enabled() is False


def load_hostile(text: str, kind: str):
    """Load as the server does; the outcome (LoadedSchema or SchemaError) and how long it took."""
    started = time.monotonic()
    try:
        outcome = load_schema(text, kind)
    except SchemaError as error:
        outcome = error
    return outcome, time.monotonic() - started


def assert_clean(outcome, elapsed: float, expected: str) -> None:
    assert elapsed < BOUND_SECONDS
    if isinstance(outcome, SchemaError):
        message = str(outcome)
        assert expected in (REFUSED, EITHER), f"refused: {message}"
        assert "\n" not in message and "Traceback" not in message
        assert CANARY_KEY not in message
    else:
        assert expected in (LOADS, EITHER), "a hostile schema loaded"
        assert CANARY_KEY not in outcome.source and CANARY_KEY not in " ".join(outcome.notes)


@pytest.mark.parametrize(
    ("case", "source", "expected"), PYDANTIC_CORPUS, ids=[c[0] for c in PYDANTIC_CORPUS]
)
def test_hostile_pydantic_schema(canary, case, source, expected):
    text = (
        source.replace("{attack}", ATTACK.format(canary=canary))
        .replace("{{", "{")
        .replace("}}", "}")
    )
    outcome, elapsed = load_hostile(text, "pydantic")
    assert_clean(outcome, elapsed, expected)


@pytest.mark.parametrize(
    ("case", "document", "expected"), JSON_SCHEMA_CORPUS, ids=[c[0] for c in JSON_SCHEMA_CORPUS]
)
def test_hostile_json_schema(canary, case, document, expected):
    raw = document if isinstance(document, str) else json.dumps(document)
    text = raw.replace("{attack}", ATTACK.format(canary=canary).replace("'", "\\u0027"))
    outcome, elapsed = load_hostile(text, "json_schema")
    assert_clean(outcome, elapsed, expected)


def test_shadowing_refusal_says_which_field_and_what_to_do():
    with pytest.raises(SchemaError) as caught:
        load_schema(P + 'class A(BaseModel):\n    int: str = "x"\n    x: int\n')
    assert caught.value.line == 3
    assert "field 'int' has the same name as 'int' used on line 4" in str(caught.value)


def test_backtracking_engine_refusal_says_why():
    with pytest.raises(SchemaError, match="backtracking regex engine lets a crafted value stall"):
        load_schema(P + "class A(BaseModel):\n    model_config = {'regex_engine': 'python-re'}\n")


def test_a_field_named_type_is_fine_when_no_annotation_reads_type():
    schema = load_schema(P + "class Event(BaseModel):\n    type: str\n    name: str\n")
    assert schema.models["Event"].model_validate({"type": "x", "name": "y"}).type == "x"


def test_constraints_too_large_for_the_embedded_grammar_are_refused_before_sending():
    schema = load_schema(
        "from pydantic import conlist\n"
        + P
        + "class A(BaseModel):\n    xs: conlist(int, min_length=100_000_000)\n"
    )
    request = ExtractionRequest(build_wrapper(select_targets(schema)), "text", "m", "json")
    with pytest.raises(ProviderError, match=r"minItems=100,000,000 at A\.xs .*at most 1,000"):
        build_payload(request, "llama_cpp")
    assert build_payload(request, "openai")["model"] == "m"


FRAGMENTS = [
    "from pydantic import BaseModel, Field\n",
    "import os\n",
    "from typing import Optional, Annotated\n",
    "class A(BaseModel):\n",
    "class B(A):\n",
    "    int: str = 'x'\n",
    "    x: int\n",
    "    y: Optional[int] = None\n",
    "    z: 'A'\n",
    "    w: Annotated[int, Field(gt=0)]\n",
    "    model_config = {'regex_engine': 'python-re'}\n",
    "    def f(self): pass\n",
    "x = 1\n",
    "@x\n",
    "    v: list[",
    "]\n",
    "'''\n",
    "\\\n",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12) | st.text(max_size=300).map(lambda t: [t]))
def test_the_loader_only_ever_loads_or_refuses(canary, pieces):
    outcome, elapsed = load_hostile("".join(pieces), "pydantic")
    assert_clean(outcome, elapsed, EITHER)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "type",
                        "properties",
                        "items",
                        "title",
                        "enum",
                        "pattern",
                        "x",
                        "$ref",
                        "anyOf",
                    ]
                ),
                children,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_the_json_schema_path_only_ever_loads_or_refuses(canary, document):
    outcome, elapsed = load_hostile(json.dumps(document), "json_schema")
    assert_clean(outcome, elapsed, EITHER)
