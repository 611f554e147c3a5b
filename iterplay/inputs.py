"""What a user sends, checked before anything uses it: types, ranges, encodings and sizes.

The playground's widgets, a share link and the CLI's flags and files all reach a request
through ``ExtractionRequest``, which checks its values here: a bad one is an ``InputError`` with
one sentence, never an exception from deep inside the SDK or the HTTP library.
"""

from __future__ import annotations

import math
import re
from typing import Any

from iterplay.errors import InputError
from iterplay.limits import Limits, limits

TEMPERATURE_RANGE = (0.0, 2.0)
MAX_MODEL_NAME_CHARS = 256
_SURROGATE = re.compile("[\ud800-\udfff]")


def unicode_problem(text: str) -> str | None:
    """Why ``text`` cannot be sent as UTF-8 (a lone surrogate, and where), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"has a character that is not valid Unicode at position {error.start + 1:,}"
    return None


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so it can be encoded and shown.

    JSON's ``"\\ud800"`` escape gives Python such a character; protobuf (so Streamlit), HTTP
    and UTF-8 output all refuse it.
    """
    if text.isascii() or not unicode_problem(text):
        return text
    return _SURROGATE.sub("\ufffd", text)


def utf8_size(text: str) -> int:
    """``text``'s size in UTF-8 bytes; call ``unicode_problem`` first."""
    return len(text.encode("utf-8"))


def check_text(label: str, value: Any, max_bytes: int) -> str:
    """``value`` if it is valid Unicode text of at most ``max_bytes`` UTF-8 bytes."""
    if not isinstance(value, str):
        raise InputError(f"The {label} must be text.")
    problem = unicode_problem(value)
    if problem:
        raise InputError(f"The {label} {problem}; retype it.")
    size = utf8_size(value)
    if size > max_bytes:
        raise InputError(
            f"The {label} is {size:,} bytes; the limit is {max_bytes:,}, so shorten it."
        )
    return value


def check_model_name(value: Any) -> str:
    name = check_text("model name", value, MAX_MODEL_NAME_CHARS * 4)
    if len(name) > MAX_MODEL_NAME_CHARS:
        raise InputError(f"The model name is longer than {MAX_MODEL_NAME_CHARS} characters.")
    return name


def check_temperature(value: Any) -> float | None:
    """A temperature in 0..2 (OpenAI's range and the slider's), or None for the default."""
    if value is None:
        return None
    low, high = TEMPERATURE_RANGE
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError("The temperature must be a number.")
    if not math.isfinite(value) or not low <= value <= high:
        raise InputError(f"The temperature must be a number from {low:g} to {high:g}.")
    return float(value)


def check_max_tokens(value: Any, bounds: Limits | None = None) -> int | None:
    """A max-tokens value from 1 to the configured limit, or None for the provider's default."""
    if value is None:
        return None
    largest = (bounds or limits()).max_tokens
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= largest:
        raise InputError(f"Max tokens must be a whole number from 1 to {largest:,}.")
    return value
