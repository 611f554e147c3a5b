"""The playground's browser-side behaviour (``page_behaviour.js``), mounted once per page run.

It tunes the schema editor, runs on Ctrl/Cmd+Enter and makes the output panes follow the
stream; see the script's header for why each needs the browser.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_SCRIPT = Path(__file__).with_suffix(".js").read_text(encoding="utf-8")
_page_behaviour = st.components.v2.component("iterplay_page_behaviour", js=_SCRIPT)


def page_behaviour(error_line: int | None, error: str | None) -> bool:
    """Mount the script; True in the script run that Ctrl/Cmd+Enter asked for.

    ``error_line`` (1-based) gets a gutter mark in the schema editor, with ``error`` as its text.
    """
    marks = [] if error_line is None else [editor_mark(error_line, error or "")]
    result = _page_behaviour(
        key="page-behaviour", data={"editorMarks": marks}, on_run_change=lambda: None
    )
    return result.get("run") is not None


def editor_mark(line: int, text: str) -> dict[str, object]:
    """An ace annotation: an error sign in the gutter of ``line``, ``text`` on hover."""
    return {"row": line - 1, "column": 0, "text": text, "type": "error"}
