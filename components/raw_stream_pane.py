"""The raw stream pane: exactly the text the model sent, appended as it arrives.

Traffic to the browser stays linear in the stream: text goes into fixed-size segments, only the
last segment is ever re-sent, and only when the run view decides to draw (at most every
``FLUSH_SECONDS``).
"""

from __future__ import annotations

import streamlit as st

SEGMENT_CHARS = 2000
FLUSH_SECONDS = 0.05
PANE_HEIGHT = 460

PANE_STYLE = """
<style>
.st-key-raw-stream [data-testid="stVerticalBlock"] { gap: 0; }
.st-key-raw-stream [data-testid="stText"], .st-key-raw-stream [data-testid="stText"] * {
  font-family: "Source Code Pro", ui-monospace, monospace; font-size: 0.8rem;
  white-space: pre-wrap; overflow-wrap: anywhere;
}
</style>
"""


class RawStreamPane:
    """Appends text to the ``raw-stream`` container in throttled, bounded updates."""

    def __init__(self) -> None:
        st.html(PANE_STYLE)
        self.container = st.container(key="raw-stream", height=PANE_HEIGHT, border=True)
        self.segment_slot = None
        self.segment_text = ""
        self.pending: list[str] = []

    def add(self, text: str) -> None:
        """Buffer text; ``flush`` sends it."""
        self.pending.append(text)

    def flush(self) -> None:
        if not self.pending:
            return
        new_text = "".join(self.pending)
        self.pending = []
        while new_text:
            if self.segment_slot is None or len(self.segment_text) >= SEGMENT_CHARS:
                with self.container:
                    self.segment_slot = st.empty()
                self.segment_text = ""
            room = SEGMENT_CHARS - len(self.segment_text)
            self.segment_text += new_text[:room]
            new_text = new_text[room:]
            self.segment_slot.text(self.segment_text)
