"""Chat-completions payloads, one small function per mode and per provider quirk.

instructor keeps mode differences in one long if-chain inside its parsing loop; here they are two
tables (``MODES`` and ``PROVIDERS``) consulted once, before the stream starts, so the hot loop only
knows which delta field carries the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iterplay.errors import FailureKind, InputError, ProviderError
from iterplay.inputs import check_max_tokens, check_model_name, check_temperature, check_text
from iterplay.limits import limits
from iterplay.strict_schema import make_strict
from iterplay.wrapper import Wrapper

DEFAULT_SYSTEM_PROMPT = (
    "You are a perfect entity extraction system. Extract every entity the user's text mentions, "
    "in the order they appear, and correctly segment them into separate entities. "
    "Use only facts stated in the text."
)

USER_PROMPT_TEMPLATE = (
    "Consider the data below:\n{text}\n\n"
    "Correctly segment it into entities. Make sure the JSON is correct."
)
# How the json and md_json modes' schema instructions start, after the system prompt.
_SCHEMA_INSTRUCTIONS_START = "\n\nAnswer with one JSON object that matches this JSON Schema, "


@dataclass(frozen=True)
class ExtractionRequest:
    """Everything about one extraction that does not depend on the provider.

    Its values come from users (widgets, links, CLI flags), so building one checks them: a
    request that exists can be sent; a bad value is an InputError with one sentence.
    """

    wrapper: Wrapper
    text: str
    model: str
    mode: str = "tools"
    system_prompt: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    # OpenAI strict structured outputs: json_schema and tools send the wrapper schema fixed by
    # ``make_strict`` with ``strict: true``. Ignored by providers without it (llama.cpp's grammar).
    strict: bool = False

    def __post_init__(self) -> None:
        bounds = limits()
        check_text("source text", self.text, bounds.text_bytes)
        if self.system_prompt is not None:
            check_text("system prompt", self.system_prompt, bounds.text_bytes)
        check_model_name(self.model)
        if self.mode not in MODES:
            raise InputError(f"Unknown mode; choose one of {', '.join(MODES)}.")
        object.__setattr__(self, "temperature", check_temperature(self.temperature))
        check_max_tokens(self.max_tokens, bounds)


@dataclass(frozen=True)
class ProviderQuirks:
    """How one family of servers differs from OpenAI's own API."""

    name: str
    json_schema_format: Callable[[Wrapper, bool], dict[str, Any]]
    json_object_format: Callable[[Wrapper], dict[str, Any]]
    stream_usage: bool
    strict_outputs: bool = False  # takes ``strict: true`` (see ``ExtractionRequest.strict``)
    # A grammar-constrained server expands repetition counts into grammar rules: counts above
    # this made llama.cpp's server take gigabytes (docs/security.md). None: no such limit.
    grammar_count_limit: int | None = None
    one_token_per_chunk: bool = False


def _openai_json_schema(wrapper: Wrapper, strict: bool) -> dict[str, Any]:
    if strict:
        schema = {"name": wrapper.name, "schema": make_strict(wrapper.json_schema), "strict": True}
    else:
        schema = {"name": wrapper.name, "schema": wrapper.json_schema}
    return {"type": "json_schema", "json_schema": schema}


def _plain_json_object(wrapper: Wrapper) -> dict[str, Any]:
    return {"type": "json_object"}


def _llama_cpp_schema_object(wrapper: Wrapper, strict: bool = False) -> dict[str, Any]:
    """llama-cpp-python's server rejects ``json_schema`` but turns this into a grammar.

    It has no strict mode: the grammar is how it constrains, so ``strict`` changes nothing.
    """
    return {"type": "json_object", "schema": wrapper.json_schema}


PROVIDERS: dict[str, ProviderQuirks] = {
    "openai": ProviderQuirks(
        "openai", _openai_json_schema, _plain_json_object, stream_usage=True, strict_outputs=True
    ),
    "llama_cpp": ProviderQuirks(
        # llama-cpp-python 0.3's server ignores stream_options: it never reports usage. It sends
        # one chunk per generated token, so counting chunks counts completion tokens.
        "llama_cpp",
        _llama_cpp_schema_object,
        _llama_cpp_schema_object,
        stream_usage=False,
        grammar_count_limit=1_000,
        one_token_per_chunk=True,
    ),
}
_COUNT_KEYWORDS = (
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
)


def oversized_count(schema: Any, limit: int, path: str = "") -> str | None:
    """The first repetition count above ``limit``, described with where it is, or None."""
    if isinstance(schema, dict):
        for keyword in _COUNT_KEYWORDS:
            value = schema.get(keyword)
            if isinstance(value, int) and value > limit:
                return f"{keyword}={value:,} at {path or 'the top level'}"
        for key, value in schema.items():
            where = path if key in ("properties", "$defs", "items", "anyOf") else f"{path}.{key}"
            found = oversized_count(value, limit, where.lstrip("."))
            if found:
                return found
    elif isinstance(schema, list):
        for item in schema:
            found = oversized_count(item, limit, path)
            if found:
                return found
    return None


# -- modes --------------------------------------------------------------------------------------


def _schema_instructions(wrapper: Wrapper, fenced: bool) -> str:
    where = "inside a single ```json fenced code block" if fenced else "and nothing else"
    return f"{_SCHEMA_INSTRUCTIONS_START}{where}:\n{json.dumps(wrapper.json_schema)}"


def _tools_payload(request: ExtractionRequest, quirks: ProviderQuirks) -> dict[str, Any]:
    wrapper = request.wrapper
    function: dict[str, Any] = {
        "name": wrapper.name,
        "description": wrapper.description,
        "parameters": wrapper.json_schema,
    }
    if request.strict and quirks.strict_outputs:
        function.update(parameters=make_strict(wrapper.json_schema), strict=True)
    return {
        "messages": _messages(request, ""),
        "tools": [{"type": "function", "function": function}],
        "tool_choice": {"type": "function", "function": {"name": wrapper.name}},
    }


def _json_schema_payload(request: ExtractionRequest, quirks: ProviderQuirks) -> dict[str, Any]:
    return {
        "messages": _messages(request, ""),
        "response_format": quirks.json_schema_format(
            request.wrapper, request.strict and quirks.strict_outputs
        ),
    }


def _json_payload(request: ExtractionRequest, quirks: ProviderQuirks) -> dict[str, Any]:
    return {
        "messages": _messages(request, _schema_instructions(request.wrapper, fenced=False)),
        "response_format": quirks.json_object_format(request.wrapper),
    }


def _md_json_payload(request: ExtractionRequest, quirks: ProviderQuirks) -> dict[str, Any]:
    return {"messages": _messages(request, _schema_instructions(request.wrapper, fenced=True))}


@dataclass(frozen=True)
class Mode:
    """How the schema reaches the model, and which delta field carries the JSON back."""

    name: str
    payload: Callable[[ExtractionRequest, ProviderQuirks], dict[str, Any]]
    channel: str  # "tool_call" or "content"
    summary: str


MODES: dict[str, Mode] = {
    "tools": Mode("tools", _tools_payload, "tool_call", "function calling, forced tool_choice"),
    "json_schema": Mode(
        "json_schema", _json_schema_payload, "content", "response_format json_schema"
    ),
    "json": Mode("json", _json_payload, "content", "JSON mode, schema in the system prompt"),
    "md_json": Mode("md_json", _md_json_payload, "content", "schema in the prompt, fenced answer"),
}


def plain_messages(request: ExtractionRequest) -> list[dict[str, str]]:
    """The system and user messages before a mode adds its schema instructions: what a library
    that adds its own (instructor) is given."""
    return _messages(request, "")


def _messages(request: ExtractionRequest, schema_suffix: str) -> list[dict[str, str]]:
    system = (request.system_prompt or DEFAULT_SYSTEM_PROMPT) + schema_suffix
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": USER_PROMPT_TEMPLATE.format(text=request.text.strip())},
    ]


@dataclass(frozen=True)
class PayloadInputs:
    """The user's inputs a sent payload holds (read back to open a recorded run)."""

    text: str
    system_prompt: str
    temperature: float | None


def payload_inputs(payload: dict[str, Any]) -> PayloadInputs | None:
    """The text, system prompt and temperature ``payload`` was built from (``_messages``
    read backwards), or None when it is not a payload of ours."""
    messages = payload.get("messages")
    if not isinstance(messages, list) or len(messages) != 2:
        return None
    system, user = (m.get("content") if isinstance(m, dict) else None for m in messages)
    if not isinstance(system, str) or not isinstance(user, str):
        return None
    before, _, after = USER_PROMPT_TEMPLATE.partition("{text}")
    if user.startswith(before) and user.endswith(after) and len(user) >= len(before + after):
        user = user[len(before) : len(user) - len(after)]
    system = system.split(_SCHEMA_INSTRUCTIONS_START, 1)[0]
    temperature = payload.get("temperature")
    return PayloadInputs(
        text=user,
        system_prompt=system,
        temperature=_temperature(temperature),
    )


def _temperature(value: Any) -> float | None:
    """A payload's temperature as a float; None for anything else (an integer too large for
    a float, from a run file, included)."""
    if type(value) not in (int, float):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def build_payload(request: ExtractionRequest, provider: str = "openai") -> dict[str, Any]:
    """The full ``chat.completions.create`` keyword arguments for a streaming request."""
    if request.mode not in MODES:
        raise ValueError(f"unknown mode {request.mode!r}; choose one of {', '.join(MODES)}")
    quirks = PROVIDERS[provider]
    _check_grammar_counts(request, quirks)
    payload: dict[str, Any] = {"model": request.model, "stream": True}
    payload.update(MODES[request.mode].payload(request, quirks))
    if quirks.stream_usage:
        payload["stream_options"] = {"include_usage": True}
    if request.temperature is not None:
        payload["temperature"] = request.temperature
    if request.max_tokens is not None:
        payload["max_tokens"] = request.max_tokens
    return payload


def _check_grammar_counts(request: ExtractionRequest, quirks: ProviderQuirks) -> None:
    if quirks.grammar_count_limit is None or request.mode == "md_json":
        return
    found = oversized_count(request.wrapper.json_schema, quirks.grammar_count_limit)
    if found:
        raise ProviderError(
            FailureKind.BAD_REQUEST,
            f"The schema's {found} is more than this server's grammar can take (at most "
            f"{quirks.grammar_count_limit:,}); lower it, use md_json mode or another provider.",
        )
