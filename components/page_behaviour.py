"""The playground's browser-side behaviour (``page_behaviour.js``), mounted once per page run.

It tunes the schema editor, runs on Ctrl/Cmd+Enter and makes the output panes follow the
stream; see the script's header for why each needs the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

PAGE_BEHAVIOUR_KEY = "page-behaviour"
_SCRIPT = Path(__file__).with_suffix(".js").read_text(encoding="utf-8")
_page_behaviour = st.components.v2.component("iterplay_page_behaviour", js=_SCRIPT)


def page_behaviour(
    error_line: int | None,
    error: str | None,
    on_run: Callable[[], None] = lambda: None,
    live_url: str | None = None,
) -> bool:
    """Mount the script; True in the script run that Ctrl/Cmd+Enter asked for.

    ``error_line`` (1-based) gets a gutter mark in the schema editor, with ``error`` as its text;
    ``on_run`` is called first in that script run, as a button's ``on_click`` is; ``live_url``
    is the session's live card channel (``components/live_cards.py``), which the page listens to.
    """
    marks = [] if error_line is None else [editor_mark(error_line, error or "")]
    result = _page_behaviour(
        key=PAGE_BEHAVIOUR_KEY,
        data={"editorMarks": marks, "liveUrl": live_url},
        on_run_change=on_run,
    )
    return result.get("run") is not None


def editor_mark(line: int, text: str) -> dict[str, object]:
    """An ace annotation: an error sign in the gutter of ``line``, ``text`` on hover."""
    return {"row": line - 1, "column": 0, "text": text, "type": "error"}
