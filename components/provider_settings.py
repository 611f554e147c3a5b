"""Sidebar: where requests go (embedded model or an OpenAI-compatible endpoint) and how.

A key configured on the server (environment or Streamlit secrets) is used but never sent to the
browser: the password field stays empty and says a key is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from components.playground_state import Input, default_input, keep
from iterplay.provider import DEFAULT_MODES, DEFAULT_OPENAI_MODEL, OPENAI_BASE_URL
from iterplay.request import MODES

EMBEDDED = "Embedded (tiny local model)"
REMOTE = "OpenAI-compatible"

TINY_MODEL_NOTE = (
    "**SmolLM2-135M** runs on this machine with no key: a *tiny* model, fine for simple "
    "schemas like the example. For real work pick **OpenAI-compatible** and point it at a "
    "bigger model: Ollama `http://localhost:11434/v1`, vLLM `http://localhost:8000/v1`, "
    "LM Studio `http://localhost:1234/v1`, or OpenAI."
)


@dataclass(frozen=True)
class ProviderChoice:
    """What the sidebar settled on; the key stays server-side unless the user typed one."""

    embedded: bool
    base_url: str
    api_key: str
    model: str
    mode: str
    temperature: float
    max_tokens: int


def server_settings() -> Mapping[str, str]:
    """Provider defaults from the environment, overridden by Streamlit secrets if present."""
    settings = {
        name: os.environ[name]
        for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL")
        if os.environ.get(name)
    }
    try:
        for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL"):
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
    default_input(Input.MODEL_NAME, settings.get("ITERPLAY_MODEL", DEFAULT_OPENAI_MODEL))
    default_input(Input.MODE_EMBEDDED, DEFAULT_MODES["llama_cpp"])
    default_input(Input.MODE_REMOTE, "tools")
    default_input(Input.TEMPERATURE, 0.0)
    default_input(Input.MAX_TOKENS, 1024)


def provider_settings() -> ProviderChoice:
    """Draw the sidebar and return the choice."""
    settings = server_settings()
    _session_defaults(settings)
    with st.sidebar:
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
            base_url, api_key, model = "", "", "smollm2-135m-instruct"
        else:
            base_url, api_key, model = _remote_fields(settings)
        st.header("Request")
        mode_key = Input.MODE_EMBEDDED if embedded else Input.MODE_REMOTE
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
        temperature = st.slider(
            "Temperature",
            0.0,
            2.0,
            step=0.05,
            key=Input.TEMPERATURE,
            on_change=keep,
            args=(Input.TEMPERATURE,),
        )
        max_tokens = st.number_input(
            "Max tokens",
            min_value=16,
            max_value=32_000,
            step=64,
            key=Input.MAX_TOKENS,
            on_change=keep,
            args=(Input.MAX_TOKENS,),
        )
    return ProviderChoice(
        embedded, base_url, api_key, model, mode, float(temperature), int(max_tokens)
    )


def _remote_fields(settings: Mapping[str, str]) -> tuple[str, str, str]:
    base_url = st.text_input(
        "Base URL",
        key=Input.BASE_URL,
        on_change=keep,
        args=(Input.BASE_URL,),
        help="Any OpenAI-compatible /v1 endpoint: OpenAI, Ollama, vLLM, LM Studio, llama.cpp, "
        "OpenRouter...",
    )
    server_key = settings.get("OPENAI_API_KEY", "")
    typed_key = st.text_input(
        "API key",
        type="password",
        key=Input.API_KEY,
        on_change=keep,
        args=(Input.API_KEY,),
        placeholder="configured on the server" if server_key else "sk-...",
        help="Kept in this browser session only; never put in links or logs.",
    )
    model = st.text_input("Model", key=Input.MODEL_NAME, on_change=keep, args=(Input.MODEL_NAME,))
    return base_url.strip(), typed_key or server_key, model.strip()
