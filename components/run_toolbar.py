"""The run toolbar: Extract and Stop where they stay in view, the shortcut, and progress.

It sits above the three columns and sticks to the top of the page when it scrolls, so the
buttons never need a scroll, whatever the editor, an error or a target picker add above them.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from components.inert_text import inert
from components.page_behaviour import page_behaviour

TOOLBAR_KEY = "run-toolbar"
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
    """What the toolbar's controls asked for in this script run, and where progress goes."""

    extract: bool
    stop: bool
    progress: st.delta_generator.DeltaGenerator


def run_toolbar(container, blocked: str | None, error_line: int | None) -> RunToolbar:
    """Draw the toolbar into ``container`` (made with ``toolbar_container``).

    ``blocked`` says why Extract cannot run; ``error_line`` is where the schema error is.
    """
    with container:
        clicked = st.button(
            "Extract",
            key="extract",
            type="primary",
            disabled=bool(blocked),
            help=inert(blocked) if blocked else None,
            width=160,
        )
        stop = st.button("Stop", key="stop", width=100)
        shortcut = page_behaviour(error_line, blocked)
        st.caption(SHORTCUT_HINT)
        progress = st.empty()
    return RunToolbar(clicked or (shortcut and not blocked), stop, progress)


def toolbar_container():
    """The toolbar's place on the page; drawn into later, once the inputs are known."""
    st.html(TOOLBAR_STYLE)
    return st.container(key=TOOLBAR_KEY, horizontal=True, vertical_alignment="center")
