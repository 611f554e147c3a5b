"""Code export: the run on screen (or on the command line) as a program that runs as printed.

Three formats, one closed set (``CodeFormat``): a Python program with instructor and
``Iterable[T]``, a Python program with the openai SDK alone (streaming, printing each element as
it completes), and a ``curl`` command. Each is made from the same ``ExtractionRequest`` that
``iterplay extract`` and the playground send, so it extracts the same thing:

- the openai program and the curl command send ``build_payload``'s request byte for byte
  (mode, provider quirks, prompts, temperature, max tokens);
- the instructor program gives instructor the same messages, model and settings, and the mode
  instructor calls by the same name; instructor then adds its own schema instructions.

The key is never in the code: each reads ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` when it runs
(the base URL falls back to the one the run used, without credentials).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from iterplay.provider import ProviderConfig, safe_url
from iterplay.request import MODES, ExtractionRequest, build_payload, plain_messages
from iterplay.run_settings import EMBEDDED_QUIRKS, REMOTE_QUIRKS, SERVE_MODEL_PORT

if TYPE_CHECKING:
    from iterplay.schema import LoadedSchema


class CodeFormat(StrEnum):
    """What ``iterplay code --format`` prints, and the playground's Code tabs."""

    INSTRUCTOR = "instructor"
    OPENAI = "openai"
    CURL = "curl"

    @property
    def label(self) -> str:
        return _FORMAT_LABELS[self]

    @property
    def language(self) -> str:
        """The language to highlight the code as."""
        return "bash" if self is CodeFormat.CURL else "python"


_FORMAT_LABELS = {
    CodeFormat.INSTRUCTOR: "instructor",
    CodeFormat.OPENAI: "openai SDK",
    CodeFormat.CURL: "curl",
}


@dataclass(frozen=True)
class Destination:
    """Where exported code sends its request when ``OPENAI_BASE_URL`` is not set."""

    base_url: str | None  # never with credentials; None: not to be shown (the code needs it set)
    quirks: str

    @property
    def embedded(self) -> bool:
        return self.quirks == EMBEDDED_QUIRKS


def embedded_destination() -> Destination:
    """The embedded model, as ``iterplay serve-model`` serves it (nothing is started here)."""
    return Destination(f"http://127.0.0.1:{SERVE_MODEL_PORT}/v1", EMBEDDED_QUIRKS)


def unnamed_destination(quirks: str = REMOTE_QUIRKS) -> Destination:
    """A provider the code must not name (a server that hides its provider settings): the code
    then needs ``OPENAI_BASE_URL``."""
    return Destination(None, quirks)


def destination_of(provider: ProviderConfig) -> Destination:
    return Destination(safe_url(provider.base_url).rstrip("/"), provider.quirks)


def export_code(
    code_format: CodeFormat,
    schema: LoadedSchema,
    request: ExtractionRequest,
    destination: Destination,
) -> str:
    """The program (or command) that runs ``request`` as printed."""
    return _EXPORTERS[CodeFormat(code_format)](schema, request, destination)


# -- what the programs share --------------------------------------------------------------------


def _schema_code(schema: LoadedSchema) -> str:
    """The user's models as Python: their own source, or for a JSON Schema the pydantic code
    iterplay generated from it (what "View as pydantic" shows)."""
    code = schema.text if schema.kind == "pydantic" else schema.source
    return code.strip() + "\n"


def _element_type(request: ExtractionRequest) -> str:
    names = [target.__name__ for target in request.wrapper.targets]
    return names[0] if len(names) == 1 else f"typing.Union[{', '.join(names)}]"


def _entity_words(request: ExtractionRequest) -> str:
    return " or ".join(target.__name__ for target in request.wrapper.targets)


def _python_literal(value: Any, indent: int = 0) -> str:
    """``value`` (JSON data) as a Python expression, laid out like indented JSON."""
    if isinstance(value, dict | list) and value:
        inner = " " * (indent + 4)
        if isinstance(value, dict):
            items = [
                f"{_python_literal(k)}: {_python_literal(v, indent + 4)}" for k, v in value.items()
            ]
        else:
            items = [_python_literal(item, indent + 4) for item in value]
        opening, closing = "{}" if isinstance(value, dict) else "[]"
        lines = "".join(f"{inner}{item},\n" for item in items)
        return f"{opening}\n{lines}{' ' * indent}{closing}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a Python string literal
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    return repr(value)  # {}, [], True, False, None, numbers


def _where_comments(destination: Destination) -> list[str]:
    if destination.base_url is None:
        return [
            "# The key comes from OPENAI_API_KEY and the server from OPENAI_BASE_URL: set both",
            "# for your provider; neither is written here.",
        ]
    lines = [
        "# The key comes from OPENAI_API_KEY and the server from OPENAI_BASE_URL",
        f"# (default: {destination.base_url}); neither is written here.",
    ]
    if destination.embedded:
        lines += [
            "# Made for iterplay's embedded model: start it with `iterplay serve-model`, which",
            f"# serves it at {destination.base_url}, or point OPENAI_BASE_URL at another server",
            "# (and change the model name).",
        ]
    return lines


def _client_arguments(destination: Destination) -> list[str]:
    if destination.base_url is None:
        url = 'os.environ["OPENAI_BASE_URL"]'
    else:
        url = f'os.environ.get("OPENAI_BASE_URL") or {_python_literal(destination.base_url)}'
    if destination.embedded:
        key = [
            "# The embedded model needs no key.",
            'api_key=os.environ.get("OPENAI_API_KEY", "none"),',
        ]
    else:
        key = ['api_key=os.environ["OPENAI_API_KEY"],']
    return [f"base_url={url},", *key]


def _indented(lines: list[str], spaces: int) -> list[str]:
    return [" " * spaces + line for line in lines]


def _program(header: list[str], schema: LoadedSchema, body: list[str]) -> str:
    """Comments first, then the user's models (a ``from __future__`` import in them must open the
    file), then the code that runs them."""
    return "\n".join([*header, "", _schema_code(schema), "", *body]) + "\n"


# -- instructor ---------------------------------------------------------------------------------

# instructor.Mode member for each iterplay mode: the same request shapes under instructor's names.
_INSTRUCTOR_MODES = {
    "tools": "TOOLS",
    "json_schema": "JSON_SCHEMA",
    "json": "JSON",
    "md_json": "MD_JSON",
}
# llama.cpp's server refuses ``response_format: json_schema`` (iterplay sends it the schema in a
# ``json_object`` format instead, which instructor has no mode for): JSON is the closest.
_INSTRUCTOR_MODES_BY_QUIRKS = {(EMBEDDED_QUIRKS, "json_schema"): "JSON"}


def instructor_mode(request: ExtractionRequest, destination: Destination) -> str:
    """The ``instructor.Mode`` member the exported instructor program uses."""
    return _INSTRUCTOR_MODES_BY_QUIRKS.get(
        (destination.quirks, request.mode), _INSTRUCTOR_MODES[request.mode]
    )


def instructor_program(
    schema: LoadedSchema, request: ExtractionRequest, destination: Destination
) -> str:
    element = _element_type(request)
    mode = instructor_mode(request, destination)
    header = [
        f"# Extract every {_entity_words(request)} of a text with instructor and",
        f"# Iterable[{element}], streaming: each entity is printed (as JSON) as soon as the model",
        "# has written it. Exported by iterplay (`iterplay code --format instructor`); needs",
        "# `pip install instructor`.",
        *_where_comments(destination),
    ]
    if mode != _INSTRUCTOR_MODES[request.mode]:
        header.append(
            f"# Mode {request.mode} runs as instructor's {mode} here: llama.cpp's server refuses "
            "json_schema."
        )
    settings = [f"{name}={value!r}," for name, value in _sampling(request).items()]  # numbers
    body = [
        "import os",
        "import typing",
        "",
        "import instructor",
        "import openai",
        "",
        f"MESSAGES = {_python_literal(plain_messages(request))}",
        "",
        "client = instructor.from_openai(",
        "    openai.OpenAI(",
        *_indented(_client_arguments(destination), 8),
        "    ),",
        f"    mode=instructor.Mode.{mode},",
        ")",
        "entities = client.chat.completions.create(",
        f"    model={_python_literal(request.model)},",
        f"    response_model=typing.Iterable[{element}],",
        "    messages=MESSAGES,",
        "    stream=True,",
        *_indented(settings, 4),
        ")",
        "for entity in entities:",
        "    print(entity.model_dump_json(by_alias=True), flush=True)",
    ]
    return _program(header, schema, body)


def _sampling(request: ExtractionRequest) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if request.temperature is not None:
        settings["temperature"] = request.temperature
    if request.max_tokens is not None:
        settings["max_tokens"] = request.max_tokens
    return settings


# -- the openai SDK alone -----------------------------------------------------------------------

# The program's splitter: a small version of iterplay.stream's, enough for what iterplay asks for
# (an object ``{"tasks": [...]}``, possibly inside prose and a fence in md_json mode).
_SPLITTER = '''\
class ElementSplitter:
    """Cuts streamed JSON into the elements of its array ("tasks"), each one as soon as it closes.

    The array is the first "[" followed by "{" or "]"; strings are tracked, so braces and
    brackets inside them count for nothing.
    """

    def __init__(self):
        self.place = "before"  # before the array, just after a "[", inside it, or after it
        self.depth = 0  # nesting of the element being read (0: between elements)
        self.in_string = False
        self.escaped = False
        self.element = []

    def feed(self, text):
        """The elements that ``text`` completes, as JSON text."""
        done = []
        for char in text:
            if self.place == "opened" and not char.isspace():
                self.place = "inside" if char in "{]" else "opened" if char == "[" else "before"
            if self.place == "before" and char == "[":
                self.place = "opened"
            if self.place != "inside":
                continue
            if self.depth == 0:  # between elements: commas and blanks until "{" or "]"
                if char == "]":
                    self.place = "after"
                elif char == "{":
                    self.depth, self.element = 1, ["{"]
                continue
            self.element.append(char)
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif char == "\\\\":
                    self.escaped = True
                elif char == '"':
                    self.in_string = False
            elif char == '"':
                self.in_string = True
            elif char in "{[":
                self.depth += 1
            elif char in "}]":
                self.depth -= 1
                if self.depth == 0:
                    done.append("".join(self.element))
        return done
'''

_JSON_TEXT = {
    "tool_call": '''\
def json_text(delta):
    """The JSON comes in the arguments of the tool call the request forces."""
    calls = delta.tool_calls or []
    return (calls[0].function.arguments or "") if calls and calls[0].function else ""
''',
    "content": '''\
def json_text(delta):
    """The JSON comes in the message content."""
    return delta.content or ""
''',
}


def openai_program(
    schema: LoadedSchema, request: ExtractionRequest, destination: Destination
) -> str:
    element = _element_type(request)
    payload = build_payload(request, destination.quirks)
    header = [
        f"# Extract every {_entity_words(request)} of a text with the openai SDK alone, streaming:",
        "# each element of the answer's array is validated and printed (as JSON) as soon as it",
        f"# closes. The request is iterplay's, exactly (mode {request.mode}:",
        f"# {MODES[request.mode].summary}).",
        "# Exported by iterplay (`iterplay code --format openai`); needs `pip install openai`.",
        *_where_comments(destination),
    ]
    body = [
        "import os",
        "import sys",
        "import typing",
        "",
        "import openai",
        "import pydantic",
        "",
        f"ELEMENT = pydantic.TypeAdapter({element})",
        f"REQUEST = {_python_literal(payload)}",
        "",
        "",
        *_SPLITTER.splitlines(),
        "",
        "",
        *_JSON_TEXT[MODES[request.mode].channel].splitlines(),
        "",
        "",
        "client = openai.OpenAI(",
        *_indented(_client_arguments(destination), 4),
        ")",
        "splitter = ElementSplitter()",
        "finish_reason = None",
        "for chunk in client.chat.completions.create(**REQUEST):",
        "    if not chunk.choices:",
        "        continue  # the last chunk may carry only the token usage",
        "    choice = chunk.choices[0]",
        "    finish_reason = choice.finish_reason or finish_reason",
        "    for text in splitter.feed(json_text(choice.delta)):",
        "        try:",
        "            entity = ELEMENT.validate_json(text)",
        "        except pydantic.ValidationError as error:",
        '            print(f"An element failed validation, skipped: {error}", file=sys.stderr)',
        "        else:",
        "            print(entity.model_dump_json(by_alias=True), flush=True)",
        'if finish_reason == "length":',
        '    print("The answer was cut at max_tokens; raise it for the rest.", file=sys.stderr)',
    ]
    return _program(header, schema, body)


# -- curl ---------------------------------------------------------------------------------------

# Characters a URL may keep inside a double-quoted shell word ("!" would expand history).
_SHELL_SAFE_URL = ":/?#[]@&'()*+,;=%-._~"


def curl_command(schema: LoadedSchema, request: ExtractionRequest, destination: Destination) -> str:
    payload = json.dumps(build_payload(request, destination.quirks), indent=2, ensure_ascii=False)
    where = (
        "delta.tool_calls[0].function.arguments"
        if MODES[request.mode].channel == "tool_call"
        else "delta.content"
    )
    if destination.base_url is None:
        base_url = "${OPENAI_BASE_URL:?set OPENAI_BASE_URL to your provider}"
    else:
        base_url = f"${{OPENAI_BASE_URL:-{quote(destination.base_url, safe=_SHELL_SAFE_URL)}}}"
    lines = [
        f"# iterplay's exact request (mode {request.mode}), streamed: the answer comes as",
        f"# server-sent events, the JSON in choices[0].{where}.",
        "# Exported by iterplay (`iterplay code --format curl`).",
        *_where_comments(destination),
        f'curl -sS -N "{base_url}/chat/completions" \\',
        '  -H "Content-Type: application/json" \\',
        '  -H "Authorization: Bearer $OPENAI_API_KEY" \\',
        "  --data-binary @- <<'JSON'",
        payload,  # a JSON document of iterplay's never has a line that is exactly JSON
        "JSON",
    ]
    return "\n".join(lines) + "\n"


_EXPORTERS: dict[CodeFormat, Callable[[LoadedSchema, ExtractionRequest, Destination], str]] = {
    CodeFormat.INSTRUCTOR: instructor_program,
    CodeFormat.OPENAI: openai_program,
    CodeFormat.CURL: curl_command,
}
