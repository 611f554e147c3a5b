"""Where requests go: base URL, key, model, and which quirks table entry applies.

The key is held here and nowhere else; ``repr`` hides it, and ``redact`` scrubs it (and anything
shaped like a key) from provider messages before they reach a user, a log or a link. Which key a
request may carry is decided once, in ``api_key_for``: a key configured on the server goes only
to the base URL configured with it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from iterplay.context_window import PromptBudget
from iterplay.errors import InputError
from iterplay.inputs import unicode_problem, valid_unicode
from iterplay.run_settings import REMOTE_QUIRKS, default_mode, default_model

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
    quirks: str = REMOTE_QUIRKS
    timeout: float = field(default_factory=default_timeout)
    prompt_budget: PromptBudget | None = None

    @property
    def display_url(self) -> str:
        return safe_url(self.base_url)

    def redact(self, text: str) -> str:
        """Provider text made safe to show, log and store: this key, and anything shaped like a
        key, masked; lone surrogates (from a ``\\ud800`` escape in its JSON) replaced."""
        text = valid_unicode(text)
        if self.api_key:
            text = text.replace(self.api_key, "[key hidden]")
        return _KEY_SHAPED.sub("[key hidden]", text)


def safe_url(url: str) -> str:
    """The URL without user:password, so it can be shown, shared and stored. Never raises: a
    URL Python cannot parse loses everything between ``//`` and its last ``@`` instead."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return _USERINFO.sub("//", url, count=1)
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


_USERINFO = re.compile(r"//[^/?#]*@")


OPENAI_BASE_URL = "https://api.openai.com/v1"
HIDE_SETTINGS_VARIABLE = "ITERPLAY_HIDE_PROVIDER_SETTINGS"
MAX_BASE_URL_CHARS = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}


_BAD_BASE_URL = (
    f"The base URL must be an http:// or https:// URL with a host, such as {OPENAI_BASE_URL}."
)


def check_base_url(url: str) -> str:
    """``url`` without surrounding blanks, if it is an http(s) URL with a host; else InputError."""
    text = url.strip() if isinstance(url, str) else ""
    if not _usable_url(text):
        raise InputError(_BAD_BASE_URL)
    return text


def _usable_url(url: str) -> bool:
    if not url or len(url) > MAX_BASE_URL_CHARS or unicode_problem(url):
        return False
    if any(character.isspace() or not character.isprintable() for character in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)


def normalized_url(url: str) -> str | None:
    """One spelling per endpoint: lower-case scheme and host, no default port, no trailing slash.

    None when ``url`` is not a usable base URL at all.
    """
    try:
        parts = urlsplit(check_base_url(url))
        port = parts.port
    except (InputError, ValueError):
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{parts.username or ''}:{parts.password or ''}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))


def same_endpoint(url: str, other: str) -> bool:
    """True when both URLs name the same endpoint, however they are spelled."""
    normalized = normalized_url(url)
    return normalized is not None and normalized == normalized_url(other)


def server_base_url(settings: Mapping[str, str]) -> str:
    """The base URL the server's settings name: the one its key was configured with."""
    return settings.get("OPENAI_BASE_URL") or OPENAI_BASE_URL


def api_key_for(base_url: str, typed_key: str, settings: Mapping[str, str]) -> str:
    """The key a request to ``base_url`` may carry.

    The key someone typed goes where they point it. A key configured on the server
    (``OPENAI_API_KEY``) goes only to the base URL configured with it: to any other base URL a
    request carries no key unless one is typed, so a visitor cannot have the server's key sent
    to a host of their choosing.
    """
    if typed_key:
        return typed_key
    server_key = settings.get("OPENAI_API_KEY") or ""
    if server_key and same_endpoint(base_url, server_base_url(settings)):
        return server_key
    return ""


def endpoint_for(
    base_url: str, typed_key: str, model: str, settings: Mapping[str, str]
) -> ProviderConfig:
    """The endpoint someone asked for, carrying only the key ``api_key_for`` allows there."""
    url = check_base_url(base_url)
    return ProviderConfig(base_url=url, api_key=api_key_for(url, typed_key, settings), model=model)


def configured_endpoint(
    base_url: str | None = None,
    api_key: str | None = None,
    model: str | None = None,
    environ: Mapping[str, str] = os.environ,
) -> ProviderConfig | None:
    """The endpoint named by arguments or by ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.

    None when neither is set anywhere: the caller then uses the embedded model. The key follows
    ``api_key_for``; a base URL that is not an http(s) URL is an InputError.
    """
    if not (base_url or api_key or environ.get("OPENAI_BASE_URL") or environ.get("OPENAI_API_KEY")):
        return None
    return endpoint_for(
        base_url or server_base_url(environ),
        api_key or "",
        model or default_model(environ),
        environ,
    )


@functools.cache
def provider_settings_hidden() -> bool:
    """Whoever starts the server can hide provider settings: visitors then use its provider.

    Read once, from the server's environment at start-up (``ITERPLAY_HIDE_PROVIDER_SETTINGS=1``).
    """
    return os.environ.get(HIDE_SETTINGS_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def mode_for(provider: ProviderConfig) -> str:
    """The mode a run on ``provider`` uses unless the user picks one (see ``run_settings``)."""
    return default_mode(provider.quirks)
