"""Sidebar: where requests go (embedded model or an OpenAI-compatible endpoint) and how.

A key configured on the server (environment or Streamlit secrets) is used but never sent to the
browser: the password field stays empty and says a key is configured. Which key a request may
carry is the core's decision (``iterplay.provider.api_key_for``): the server's key goes only to
the server's base URL. With ``ITERPLAY_HIDE_PROVIDER_SETTINGS=1`` the provider section is not
drawn at all and every visitor uses the server's provider.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from components.playground_state import Input, default_input, drawn_again, keep
from iterplay.errors import InputError
from iterplay.limits import limits
from iterplay.local_model import MODEL_ALIAS
from iterplay.provider import (
    OPENAI_BASE_URL,
    ProviderConfig,
    configured_endpoint,
    endpoint_for,
    provider_settings_hidden,
    same_endpoint,
    server_base_url,
)
from iterplay.request import MODES
from iterplay.run_settings import (
    EMBEDDED_QUIRKS,
    REMOTE_QUIRKS,
    default_mode,
    default_model,
    quirks_for,
)

EMBEDDED = "Embedded (tiny local model)"
STRICT_MODES = ("json_schema", "tools")  # the modes that send a schema OpenAI can hold strictly
REMOTE = "OpenAI-compatible"
SERVER_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL")

TINY_MODEL_NOTE = (
    "**SmolLM2-135M** runs on this machine with no key: a *tiny* model, fine for simple "
    "schemas like the example. For real work pick **OpenAI-compatible** and point it at a "
    "bigger model: Ollama `http://localhost:11434/v1`, vLLM `http://localhost:8000/v1`, "
    "LM Studio `http://localhost:1234/v1`, or OpenAI."
)
OWN_KEY_NOTE = (
    "The server's key is sent only to its own base URL. For this one, enter your own key "
    "(local servers may need none)."
)


@dataclass(frozen=True)
class ProviderChoice:
    """What the sidebar settled on.

    ``endpoint`` is the remote endpoint with the key it may carry (None for the embedded model,
    or when ``problem`` says why the settings cannot be used).
    """

    embedded: bool
    endpoint: ProviderConfig | None
    model: str
    mode: str
    temperature: float
    max_tokens: int
    problem: str | None = None
    strict: bool = False  # OpenAI strict structured outputs (see ExtractionRequest.strict)

    @property
    def quirks(self) -> str:
        return quirks_for(self.embedded)


def server_settings() -> Mapping[str, str]:
    """Provider defaults from the environment, overridden by Streamlit secrets if present."""
    settings = {name: os.environ[name] for name in SERVER_VARIABLES if os.environ.get(name)}
    try:
        for name in SERVER_VARIABLES:
            if name in st.secrets:
                settings[name] = str(st.secrets[name])
    except Exception:  # no secrets file is the normal case, and its error type varies
        pass
    return settings


def _session_defaults(settings: Mapping[str, str]) -> None:
    """Seed widget values once, so widgets never get both a default and a session value."""
    remote_configured = bool(settings.get("OPENAI_BASE_URL") or settings.get("OPENAI_API_KEY"))
    default_input(Input.PROVIDER_KIND, REMOTE if remote_configured else EMBEDDED)
    default_input(Input.BASE_URL, settings.get("OPENAI_BASE_URL", OPENAI_BASE_URL))
    default_input(Input.MODEL_NAME, default_model(settings))
    default_input(Input.MODE_EMBEDDED, default_mode(EMBEDDED_QUIRKS))
    default_input(Input.MODE_REMOTE, default_mode(REMOTE_QUIRKS))
    default_input(Input.TEMPERATURE, 0.0)
    default_input(Input.STRICT, False)
    default_input(Input.MAX_TOKENS, min(1024, limits().max_tokens))


def provider_settings() -> ProviderChoice:
    """Draw the sidebar and return the choice."""
    settings = server_settings()
    _session_defaults(settings)
    with st.sidebar:
        if provider_settings_hidden():
            embedded, endpoint, problem = _server_provider(settings)
        else:
            st.header("Provider")
            kind = st.radio(
                "Model provider",
                [EMBEDDED, REMOTE],
                key=Input.PROVIDER_KIND,
                on_change=keep,
                args=(Input.PROVIDER_KIND,),
            )
            embedded = kind == EMBEDDED
            if embedded:
                st.info(TINY_MODEL_NOTE, icon="🐣")
                endpoint, problem = None, None
            else:
                drawn_again(Input.BASE_URL, Input.API_KEY, Input.MODEL_NAME)
                endpoint, problem = _remote_fields(settings)
        st.header("Request")
        mode_key = Input.MODE_EMBEDDED if embedded else Input.MODE_REMOTE
        drawn_again(mode_key)
        mode = st.selectbox(
            "Mode",
            list(MODES),
            key=mode_key,
            on_change=keep,
            args=(mode_key,),
            format_func=lambda name: f"{name} — {MODES[name].summary}",
            help="How the schema reaches the model. The embedded model does best with json "
            "(schema-constrained decoding) or tools.",
        )
        strict = False
        if not embedded and mode in STRICT_MODES:
            drawn_again(Input.STRICT)
            strict = st.checkbox(
                "Strict outputs",
                key=Input.STRICT,
                on_change=keep,
                args=(Input.STRICT,),
                help="OpenAI strict structured outputs: sends the wrapper schema fixed for "
                "strict mode (see Schema lint → Make strict) with `strict: true`. Providers "
                "without strict mode may refuse the request.",
            )
        temperature = st.slider(
            "Temperature",
            0.0,
            2.0,
            step=0.05,
            key=Input.TEMPERATURE,
            on_change=keep,
            args=(Input.TEMPERATURE,),
        )
        largest = limits().max_tokens
        max_tokens = st.number_input(
            "Max tokens",
            min_value=min(16, largest),
            max_value=largest,
            step=64,
            key=Input.MAX_TOKENS,
            on_change=keep,
            args=(Input.MAX_TOKENS,),
        )
    model = MODEL_ALIAS if embedded else (endpoint.model if endpoint else "")
    return ProviderChoice(
        embedded, endpoint, model, mode, float(temperature), int(max_tokens), problem, strict
    )


def _server_provider(settings: Mapping[str, str]) -> tuple[bool, ProviderConfig | None, str | None]:
    """Provider settings hidden: the server's endpoint if it names one, else the embedded model."""
    try:
        endpoint = configured_endpoint(environ=settings)
    except InputError:
        return False, None, "The server's provider is misconfigured; tell whoever runs it."
    return endpoint is None, endpoint, None


def _remote_fields(settings: Mapping[str, str]) -> tuple[ProviderConfig | None, str | None]:
    base_url = st.text_input(
        "Base URL",
        key=Input.BASE_URL,
        on_change=keep,
        args=(Input.BASE_URL,),
        help="Any OpenAI-compatible /v1 endpoint: OpenAI, Ollama, vLLM, LM Studio, llama.cpp, "
        "OpenRouter...",
    )
    server_key = settings.get("OPENAI_API_KEY", "")
    server_key_goes_here = bool(server_key) and same_endpoint(base_url, server_base_url(settings))
    typed_key = st.text_input(
        "API key",
        type="password",
        key=Input.API_KEY,
        on_change=keep,
        args=(Input.API_KEY,),
        placeholder="configured on the server" if server_key_goes_here else "sk-...",
        help="Kept in this browser session only; never put in links or logs.",
    )
    if server_key and not server_key_goes_here and not typed_key:
        st.caption(OWN_KEY_NOTE)
    model = st.text_input("Model", key=Input.MODEL_NAME, on_change=keep, args=(Input.MODEL_NAME,))
    try:
        return endpoint_for(base_url, typed_key, model.strip(), settings), None
    except InputError as error:
        return None, str(error)
