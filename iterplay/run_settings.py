"""What a run uses where the user has not said: one rule, asked by the CLI and the playground.

So the same schema, text and settings make the same request from ``iterplay extract``, the
playground and exported code:

- provider: the base URL, key and model given, else the server's ``OPENAI_BASE_URL`` /
  ``OPENAI_API_KEY`` / ``ITERPLAY_MODEL``; with no base URL and no key anywhere, the embedded
  model (``iterplay.provider.configured_endpoint``);
- model: given, else ``ITERPLAY_MODEL``, else ``DEFAULT_OPENAI_MODEL``; the embedded model
  answers to its alias;
- quirks (how requests are shaped): ``llama_cpp`` for the embedded model, ``openai`` otherwise;
- mode: per quirks (``DEFAULT_MODES``, chosen by measurement for the embedded model);
- targets: ``iterplay.schema.targets.choose_targets`` (one root: it; several: all of them).
"""

from __future__ import annotations

from collections.abc import Mapping

EMBEDDED_QUIRKS = "llama_cpp"
REMOTE_QUIRKS = "openai"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
MODEL_VARIABLE = "ITERPLAY_MODEL"
# Where `iterplay serve-model` serves the embedded model unless told otherwise; exported code
# expects it there when it was made for the embedded model.
SERVE_MODEL_PORT = 8765

# Chosen by measurement: benchmarks/embedded_modes.py scores every mode on 41 labelled texts
# (docs/benchmarks.md); on the embedded model tools (F1 0.27) beat json (0.14).
DEFAULT_MODES = {REMOTE_QUIRKS: "tools", EMBEDDED_QUIRKS: "tools"}


def quirks_for(embedded: bool) -> str:
    """The quirks table entry for requests to the embedded model or to another provider."""
    return EMBEDDED_QUIRKS if embedded else REMOTE_QUIRKS


def default_mode(quirks: str) -> str:
    """The mode a run uses unless the user picks one."""
    return DEFAULT_MODES.get(quirks, "tools")


def default_model(settings: Mapping[str, str]) -> str:
    """The model an OpenAI-compatible provider is asked for unless the user names one."""
    return settings.get(MODEL_VARIABLE) or DEFAULT_OPENAI_MODEL
