"""Where requests go: base URL, key, model, and which quirks table entry applies.

The key is held here and nowhere else; ``repr`` hides it, and ``redact`` scrubs it (and anything
shaped like a key) from provider messages before they reach a user, a log or a link.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from iterplay.context_window import PromptBudget

_KEY_SHAPED = re.compile(r"\b(sk|pk|rk|key|gsk|hf)[-_][A-Za-z0-9_\-*.]{6,}")


DEFAULT_TIMEOUT = 60.0


def default_timeout(environ: Mapping[str, str] = os.environ) -> float:
    """Seconds to wait for the provider to connect or send the next bytes.

    ``ITERPLAY_TIMEOUT`` sets it for a deployment; anything but a positive number is ignored.
    """
    try:
        seconds = float(environ.get("ITERPLAY_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT
    return seconds if 0 < seconds < float("inf") else DEFAULT_TIMEOUT


@dataclass(frozen=True)
class ProviderConfig:
    """An OpenAI-compatible endpoint.

    ``prompt_budget`` is set where the model's tokenizer is at hand (the embedded model): a prompt
    too long for its context window is refused before anything is sent.
    """

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    quirks: str = "openai"
    timeout: float = field(default_factory=default_timeout)
    prompt_budget: PromptBudget | None = None

    @property
    def display_url(self) -> str:
        return safe_url(self.base_url)

    def redact(self, text: str) -> str:
        """``text`` with this key, and anything shaped like a key, masked."""
        if self.api_key:
            text = text.replace(self.api_key, "[key hidden]")
        return _KEY_SHAPED.sub("[key hidden]", text)


def safe_url(url: str) -> str:
    """The URL without user:password, so it can be shown and shared."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


def configured_endpoint(
    base_url: str | None = None,
    api_key: str | None = None,
    model: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> ProviderConfig | None:
    """The endpoint named by arguments or by ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.

    None when neither is set anywhere: the caller then uses the embedded model.
    """
    base_url = base_url or environ.get("OPENAI_BASE_URL") or None
    api_key = api_key or environ.get("OPENAI_API_KEY") or ""
    if not base_url and not api_key:
        return None
    return ProviderConfig(
        base_url=base_url or OPENAI_BASE_URL,
        api_key=api_key,
        model=model or environ.get("ITERPLAY_MODEL") or DEFAULT_OPENAI_MODEL,
    )


# Chosen by measurement: benchmarks/embedded_modes.py scores every mode on 41 labelled texts
# (docs/benchmarks.md); on the embedded model tools (F1 0.27) beat json (0.14).
DEFAULT_MODES = {"openai": "tools", "llama_cpp": "tools"}


def default_mode(provider: ProviderConfig) -> str:
    """The mode a run uses unless the user picks one, per provider kind."""
    return DEFAULT_MODES.get(provider.quirks, "tools")
