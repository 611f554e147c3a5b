"""Sidebar: where requests go (embedded model or an OpenAI-compatible endpoint) and how.

A key configured on the server (environment or Streamlit secrets) is used but never sent to the
browser: the password field stays empty and says a key is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from iterplay.provider import DEFAULT_OPENAI_MODEL, OPENAI_BASE_URL
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
    state = st.session_state
    state.setdefault("provider_kind", REMOTE if remote_configured else EMBEDDED)
    state.setdefault("base_url", settings.get("OPENAI_BASE_URL", OPENAI_BASE_URL))
    state.setdefault(
        "model_name",
        state.get("shared_model") or settings.get("ITERPLAY_MODEL", DEFAULT_OPENAI_MODEL),
    )
    state.setdefault("mode_embedded", "json")
    state.setdefault("mode_remote", "tools")
    state.setdefault("temperature", 0.0)
    state.setdefault("max_tokens", 1024)


def provider_settings() -> ProviderChoice:
    """Draw the sidebar and return the choice."""
    settings = server_settings()
    _session_defaults(settings)
    with st.sidebar:
        st.header("Provider")
        kind = st.radio("Model provider", [EMBEDDED, REMOTE], key="provider_kind")
        embedded = kind == EMBEDDED
        if embedded:
            st.info(TINY_MODEL_NOTE, icon="🐣")
            base_url, api_key, model = "", "", "smollm2-135m-instruct"
        else:
            base_url, api_key, model = _remote_fields(settings)
        st.header("Request")
        mode = st.selectbox(
            "Mode",
            list(MODES),
            key=f"mode_{'embedded' if embedded else 'remote'}",
            format_func=lambda name: f"{name} — {MODES[name].summary}",
            help="How the schema reaches the model. The embedded model does best with json "
            "(schema-constrained decoding) or tools.",
        )
        temperature = st.slider("Temperature", 0.0, 2.0, step=0.05, key="temperature")
        max_tokens = st.number_input(
            "Max tokens", min_value=16, max_value=32_000, step=64, key="max_tokens"
        )
    return ProviderChoice(
        embedded, base_url, api_key, model, mode, float(temperature), int(max_tokens)
    )


def _remote_fields(settings: Mapping[str, str]) -> tuple[str, str, str]:
    base_url = st.text_input(
        "Base URL",
        key="base_url",
        help="Any OpenAI-compatible /v1 endpoint: OpenAI, Ollama, vLLM, LM Studio, llama.cpp, "
        "OpenRouter...",
    )
    server_key = settings.get("OPENAI_API_KEY", "")
    typed_key = st.text_input(
        "API key",
        type="password",
        key="api_key",
        placeholder="configured on the server" if server_key else "sk-...",
        help="Kept in this browser session only; never put in links or logs.",
    )
    model = st.text_input("Model", key="model_name")
    return base_url.strip(), typed_key or server_key, model.strip()
