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

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and escaping all of
# them leaves no markdown syntax (nor Streamlit's :color[...] / :emoji: / $latex$) to act on.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"\r\n?|\n")


def inert(text: object) -> str:
    """``text`` escaped for markdown, on one line, so it renders exactly as written."""
    return _PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", valid_unicode(str(text))))
