"""Every size bound in one place, set by whoever starts the server or the CLI.

A shared demo takes text, schemas, links and model output from strangers; each of those is
bounded here, and the CLI, the playground and share-link decoding all ask ``limits()`` instead
of keeping a number of their own. The values come from ``ITERPLAY_*`` environment variables,
read once at start-up (the first call), never from anything a visitor sends. docs/deploy.md
lists them with their defaults.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from iterplay.errors import ConfigError

_LARGEST = 10**12


def _limit(default: int, variable: str, bounds: str) -> int:
    return field(default=default, metadata={"variable": variable, "bounds": bounds})


@dataclass(frozen=True)
class Limits:
    """The bounds in force, each with the environment variable that sets it."""

    text_bytes: int = _limit(
        200_000, "ITERPLAY_MAX_TEXT_BYTES", "source text and system prompt, in UTF-8 bytes"
    )
    schema_bytes: int = _limit(
        100_000,
        "ITERPLAY_MAX_SCHEMA_BYTES",
        "schema text, pydantic or JSON Schema, in UTF-8 bytes",
    )
    cases_bytes: int = _limit(
        10_000_000, "ITERPLAY_MAX_CASES_BYTES", "a cases file for iterplay eval, in bytes"
    )
    max_tokens: int = _limit(
        32_000, "ITERPLAY_MAX_TOKENS", "the largest max tokens a request may ask for"
    )
    share_link_chars: int = _limit(
        64_000,
        "ITERPLAY_MAX_SHARE_CHARS",
        "a share token's length (it may expand to 8 times that in JSON, no more)",
    )
    share_run_bytes: int = _limit(
        200_000,
        "ITERPLAY_MAX_SHARE_RUN_BYTES",
        "a recorded run carried in a share link, in bytes of its JSON (past it, the run file)",
    )
    entities_per_run: int = _limit(
        5_000, "ITERPLAY_MAX_ENTITIES", "elements (valid or invalid) one run may produce"
    )
    stream_chars: int = _limit(
        2_000_000, "ITERPLAY_MAX_STREAM_CHARS", "characters of model output one run may read"
    )
    run_file_bytes: int = _limit(
        50_000_000, "ITERPLAY_MAX_RUN_FILE_BYTES", "a run file to replay, in bytes"
    )
    raw_pane_chars: int = _limit(
        300_000,
        "ITERPLAY_MAX_RAW_PANE_CHARS",
        "characters of the raw stream the browser is sent and holds",
    )

    @property
    def share_json_bytes(self) -> int:
        """What a share token may decompress to: a bound on zip bombs, not a second knob."""
        return 8 * self.share_link_chars

    @staticmethod
    def variable(name: str) -> str:
        """The environment variable that sets the limit ``name``."""
        return next(item.metadata["variable"] for item in fields(Limits) if item.name == name)


def limits_from_environ(environ: Mapping[str, str]) -> Limits:
    """The limits ``environ`` sets, defaults elsewhere; a bad value is a ConfigError."""
    values = {}
    for item in fields(Limits):
        variable = item.metadata["variable"]
        raw = environ.get(variable, "").strip().replace("_", "")
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 13 and 1 <= int(raw) <= _LARGEST):
            raise ConfigError(f"{variable} must be a whole number from 1 to {_LARGEST:,}.")
        values[item.name] = int(raw)
    return Limits(**values)


@functools.cache
def limits() -> Limits:
    """The limits of this process, read from its environment on first use."""
    return limits_from_environ(os.environ)
