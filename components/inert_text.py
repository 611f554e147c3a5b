"""Untrusted text inside Streamlit's markdown, shown as the characters it holds and nothing more.

``st.error``, ``st.warning``, ``st.caption``, ``help=`` tooltips and expander labels all render
markdown: a provider's error, a property name or a model name placed there as-is could become
an image the browser fetches (``![x](https://...)``), a link, a heading, colored text or LaTeX.
Every piece of text that comes from a user, a schema, a provider or a model goes through
``inert`` before it is placed in markdown; the labels we write ourselves (``**Failed**``) stay
markdown.
"""

from __future__ import annotations

import re

from iterplay.inputs import valid_unicode

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of them
# leaves no markdown syntax (nor Streamlit's :color[...] directives or $latex$) to act on.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"\r\n?|\n")
# Autolinks (http://..., www.x, a@b.c) and :emoji: shortcodes are found in the text *after*
# escapes are decoded, so escaping cannot stop them; an invisible word joiner where they would
# match does, and changes nothing a reader sees.
_JOINER = "\u2060"
_LINK_TRIGGERS = re.compile(r"(?i)(:)|(@)|(www)(\.)")


def _break_link(match: re.Match[str]) -> str:
    colon, at, www, dot = match.groups()
    if colon:
        return colon + _JOINER
    if at:
        return _JOINER + at
    return www + _JOINER + dot


def inert(text: object) -> str:
    """``text`` as markdown that renders exactly as written, on one line."""
    one_line = _LINE_BREAKS.sub(" ", valid_unicode(str(text)))
    return _PUNCTUATION.sub(r"\\\1", _LINK_TRIGGERS.sub(_break_link, one_line))
