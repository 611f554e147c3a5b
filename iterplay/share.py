"""Playground state <-> URL token, so a link reproduces a demo.

Token: base64url (no padding) of zlib-compressed UTF-8 JSON. Never a key or a base URL: the state
type has no field for them. Decoding is bounded at both sizes, because a link is untrusted input.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import asdict, dataclass, fields
from typing import Any

from iterplay.errors import ShareLinkError

VERSION = 1
MAX_TOKEN_CHARS = 64_000
MAX_JSON_BYTES = 512_000
SCHEMA_KINDS = ("pydantic", "json_schema")


@dataclass(frozen=True)
class SharedState:
    """What a link carries: the playground's inputs, nothing about who is using it."""

    schema: str
    schema_kind: str = "pydantic"
    target: list[str] | None = None
    text: str = ""
    system_prompt: str | None = None
    model: str | None = None
    mode: str | None = None
    temperature: float | None = None


def encode_state(state: SharedState) -> str:
    payload = json.dumps({"v": VERSION, **asdict(state)}, ensure_ascii=False).encode("utf-8")
    token = base64.urlsafe_b64encode(zlib.compress(payload, 9)).decode("ascii").rstrip("=")
    if len(token) > MAX_TOKEN_CHARS:
        raise ShareLinkError(
            f"This playground is too large to share as a link ({len(token):,} characters; "
            f"the limit is {MAX_TOKEN_CHARS:,}); shorten the text or the schema."
        )
    return token


def decode_state(token: str) -> SharedState:
    """Parse a token from a link; any damage is a ShareLinkError with a plain reason."""
    if len(token) > MAX_TOKEN_CHARS:
        raise ShareLinkError("This share link is too long to be one of ours.")
    try:
        compressed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise ShareLinkError("This share link is damaged (not valid base64).") from None
    payload = _bounded_decompress(compressed)
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ShareLinkError("This share link is damaged (its contents are not JSON).") from None
    return _validated(data)


def _bounded_decompress(compressed: bytes) -> bytes:
    decompressor = zlib.decompressobj()
    try:
        payload = decompressor.decompress(compressed, MAX_JSON_BYTES + 1)
    except zlib.error:
        raise ShareLinkError("This share link is damaged (it does not decompress).") from None
    if len(payload) > MAX_JSON_BYTES or decompressor.unconsumed_tail:
        raise ShareLinkError("This share link expands to more than we accept.")
    if not decompressor.eof:
        raise ShareLinkError("This share link is cut short; copy the whole link.")
    return payload


_EXPECTED_TYPES: dict[str, tuple[type, ...]] = {
    "schema": (str,),
    "schema_kind": (str,),
    "target": (list, type(None)),
    "text": (str,),
    "system_prompt": (str, type(None)),
    "model": (str, type(None)),
    "mode": (str, type(None)),
    "temperature": (int, float, type(None)),
}


def _validated(data: Any) -> SharedState:
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise ShareLinkError("This share link is from another version or not from iterplay.")
    values = {}
    for field in fields(SharedState):
        value = data.get(field.name, field.default)
        if not isinstance(value, _EXPECTED_TYPES[field.name]) or isinstance(value, bool):
            raise ShareLinkError(f"This share link has a bad '{field.name}' value.")
        values[field.name] = value
    if values["schema_kind"] not in SCHEMA_KINDS:
        raise ShareLinkError("This share link names an unknown schema kind.")
    if values["target"] is not None and not all(isinstance(t, str) for t in values["target"]):
        raise ShareLinkError("This share link has a bad 'target' value.")
    return SharedState(**values)
