"""The run toolbar: Extract and Stop where they stay in view, and the shortcut.

It sits above the three columns and sticks to the top of the page when it scrolls, so the
buttons never need a scroll, whatever the editor, an error or a target picker add above them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from components.inert_text import inert
from components.live_cards import live_url
from components.page_behaviour import PAGE_BEHAVIOUR_KEY, page_behaviour

TOOLBAR_KEY = "run-toolbar"
EXTRACT_KEY = "extract"
EXTRACT_TRIGGERS = frozenset({EXTRACT_KEY, PAGE_BEHAVIOUR_KEY})  # the widgets that call on_extract
SHORTCUT_HINT = "or **Ctrl+Enter** (⌘+Enter) in the editor or the text"
# Streamlit wraps the keyed block in a layout wrapper of the same size: that one must stick,
# just below Streamlit's header, which gets the page's background so that nothing shows
# through it as the page scrolls. Less padding above the title leaves more room for output.
TOOLBAR_STYLE = f"""
<style>
[data-testid="stLayoutWrapper"]:has(> .st-key-{TOOLBAR_KEY}) {{
  position: sticky; top: 3.75rem; z-index: 100; padding: 0.4rem 0;
  background: var(--iterplay-page-background, transparent);
}}
[data-testid="stHeader"] {{ background: var(--iterplay-page-background, transparent); }}
[data-testid="stMainBlockContainer"] {{ padding-top: 4rem; }}
.st-key-page-behaviour {{ display: none; }}
</style>
"""


@dataclass
class RunToolbar:
    """What the toolbar's controls asked for in this script run."""

    extract: bool
    stop: bool


def run_toolbar(
    container, blocked: str | None, error_line: int | None, on_extract: Callable[[], None]
) -> RunToolbar:
    """Draw the toolbar into ``container`` (made with ``toolbar_container``).

    ``blocked`` says why Extract cannot run; ``error_line`` is where the schema error is;
    ``on_extract``: called first in the script run that Extract or the shortcut starts (it may
    narrow that run to the output, see ``pages/playground.py``). The output's fragment puts its
    progress line at the toolbar's end.
    """
    with container:
        clicked = st.button(
            "Extract",
            key=EXTRACT_KEY,
            type="primary",
            disabled=bool(blocked),
            help=inert(blocked) if blocked else None,
            width=160,
            on_click=on_extract,
        )
        stop = st.button("Stop", key="stop", width=100)
        shortcut = page_behaviour(error_line, blocked, on_run=on_extract, live_url=live_url())
        st.caption(SHORTCUT_HINT)
    return RunToolbar(clicked or (shortcut and not blocked), stop)


def toolbar_container():
    """The toolbar's place on the page; drawn into later, once the inputs are known."""
    st.html(TOOLBAR_STYLE)
    return st.container(key=TOOLBAR_KEY, horizontal=True, vertical_alignment="center")
