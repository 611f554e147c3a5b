"""Untrusted text in markdown: escaped so nothing forms, and shown exactly as written."""

from __future__ import annotations

import re

import pytest

from components.inert_text import inert
from tests.apptest_page import as_shown

HOSTILE = [
    "![x](http://127.0.0.1:9/pixel.png)",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1)) and **bold** _it_ `code` ~~del~~",
    ":red[colored] :smile: $x^2$ # heading",
    "write to root@example.com or see www.example.com and https://example.com/a?b=c",
    "1. list\n- item\n> quote",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_inert_text_reads_exactly_as_written(text):
    assert as_shown(inert(text)) == text.replace("\n", " ")


@pytest.mark.parametrize("text", HOSTILE)
def test_no_markdown_syntax_or_autolink_survives(text):
    escaped = inert(text)
    assert not re.search(r"(?<!\\)[!\[\]()<>*_`~:$#@]", escaped)
    assert "://" not in escaped and "www." not in escaped.lower()
    assert "\n" not in escaped


def test_a_lone_surrogate_becomes_a_replacement_character():
    assert as_shown(inert("a\ud800b")) == "a\ufffdb"
