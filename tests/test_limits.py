"""The bounds: read from ITERPLAY_* variables, defaults otherwise, and a bad value said plainly."""

from __future__ import annotations

import math
from dataclasses import fields

import pytest

from iterplay.errors import ConfigError, InputError
from iterplay.inputs import check_max_tokens, check_temperature, check_text, valid_unicode
from iterplay.limits import Limits, limits_from_environ


def test_defaults_hold_without_any_variable():
    assert limits_from_environ({}) == Limits()
    assert Limits().text_bytes == 200_000 and Limits().schema_bytes == 100_000


def test_each_limit_is_set_by_its_own_variable():
    for item in fields(Limits):
        variable = item.metadata["variable"]
        assert variable.startswith("ITERPLAY_MAX_")
        assert getattr(limits_from_environ({variable: "1_234"}), item.name) == 1234


def test_share_links_may_expand_to_eight_times_their_length():
    assert limits_from_environ({"ITERPLAY_MAX_SHARE_CHARS": "1000"}).share_json_bytes == 8000


@pytest.mark.parametrize(
    "value", ["abc", "-5", "0", "1.5", "٣", "9" * 5000, "1e6"], ids=lambda value: value[:8]
)
def test_a_bad_value_names_the_variable(value):
    with pytest.raises(ConfigError, match=r"^ITERPLAY_MAX_TOKENS must be a whole number"):
        limits_from_environ({"ITERPLAY_MAX_TOKENS": value})


@pytest.mark.parametrize("value", [math.nan, math.inf, -0.01, 2.01, True, "0.5", [0.5]])
def test_temperature_outside_zero_to_two_is_refused(value):
    with pytest.raises(InputError, match="temperature"):
        check_temperature(value)


@pytest.mark.parametrize(
    "value", [0, -1, 32_001, 10**5000, True, 1.5], ids=["0", "-1", "32001", "1e5000", "true", "1.5"]
)
def test_max_tokens_outside_the_limit_is_refused(value):
    with pytest.raises(InputError, match="Max tokens must be a whole number from 1 to 32,000"):
        check_max_tokens(value, Limits())


def test_text_is_measured_in_utf8_bytes():
    assert check_text("source text", "é" * 5, 10) == "é" * 5
    with pytest.raises(InputError, match="11 bytes; the limit is 10"):
        check_text("source text", "é" * 5 + "x", 10)


def test_a_lone_surrogate_is_refused_with_its_position():
    with pytest.raises(InputError, match="position 3"):
        check_text("system prompt", "ab\ud800", 100)


def test_lone_surrogates_become_replacement_characters_for_display():
    assert valid_unicode("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert valid_unicode("Zoë 🎉") == "Zoë 🎉"
