"""Fuzzing share-token decoding: whatever a link holds, the outcome is a SharedState that can be
shared again, or a ShareLinkError with one line of text; never any other exception."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iterplay.errors import ShareLinkError
from iterplay.share import SharedState, decode_state, encode_state

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Any characters and lone surrogates (which st.characters never draws): JSON carries them as
# \udXXX escapes, and they are what broke the page.
lone_surrogates = st.integers(min_value=0xD800, max_value=0xDFFF).map(chr)
any_text = st.lists(st.characters() | lone_surrogates, max_size=40).map("".join)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**4000, max_value=10**4200)
    | st.floats()
    | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=16,
)
plain_text = st.text(max_size=40)
MODES = ("tools", "json_schema", "json", "md_json")
valid_states = st.fixed_dictionaries(
    {"v": st.just(1), "schema": plain_text},
    optional={
        "schema_kind": st.sampled_from(["pydantic", "json_schema"]),
        "target": st.none() | st.lists(plain_text.filter(bool), max_size=3),
        "text": plain_text,
        "system_prompt": st.none() | plain_text,
        "model": st.none() | plain_text,
        "mode": st.none() | st.sampled_from(MODES),
        "temperature": st.none() | st.floats(min_value=0, max_value=2),
    },
)
FIELDS = ("v", "schema", "schema_kind", "target", "text", "system_prompt", "model", "mode",
          "temperature")  # fmt: skip
hostile_values = json_values | any_text | st.floats() | st.lists(any_text, max_size=3)
states_with_one_field_hostile = st.builds(
    lambda state, field, value: {**state, field: value},
    valid_states,
    st.sampled_from(FIELDS),
    hostile_values,
)


def token_of_bytes(payload: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(payload)).decode().rstrip("=")


def token_of(data: Any) -> str:
    """Python's json writes NaN, Infinity and big integers: exactly what a crafted link holds."""
    try:
        return token_of_bytes(json.dumps(data).encode())
    except ValueError:  # an integer too long for Python to write: send its digits by hand
        return token_of_bytes(b'{"v": 1, "schema": "x", "temperature": ' + b"9" * 5000 + b"}")


def assert_clean_outcome(token: Any) -> None:
    try:
        state = decode_state(token)
    except ShareLinkError as refusal:
        message = str(refusal)
        assert message and "\n" not in message and len(message) < 400
        return
    assert isinstance(state, SharedState)
    assert decode_state(encode_state(state)) == state  # what a link opens can be shared again


@FUZZ
@given(any_text)
def test_any_text_as_a_token(token):
    assert_clean_outcome(token)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_in_base64(payload):
    assert_clean_outcome(base64.urlsafe_b64encode(payload).decode().rstrip("="))


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_compressed(payload):
    assert_clean_outcome(token_of_bytes(payload))


@FUZZ
@given(json_values)
def test_any_json_value(value):
    assert_clean_outcome(token_of(value))


@FUZZ
@given(valid_states)
def test_every_valid_state_opens(data):
    assert isinstance(decode_state(token_of(data)), SharedState)


@FUZZ
@given(states_with_one_field_hostile)
def test_states_with_one_field_hostile(data):
    assert_clean_outcome(token_of(data))


@FUZZ
@given(states_with_one_field_hostile, st.integers(min_value=1, max_value=200))
def test_states_cut_short(data, cut):
    token = token_of(data)
    assert_clean_outcome(token[: max(0, len(token) - cut)])
