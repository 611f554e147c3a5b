"""The raw stream pane: exactly the text the model sent, appended as it arrives.

Traffic to the browser stays linear in the stream: text goes into fixed-size segments, only the
last segment is ever re-sent, and only when the run view decides to draw (at most every
``FLUSH_SECONDS``). The browser holds at most ``max_chars`` (``ITERPLAY_MAX_RAW_PANE_CHARS``):
past it the pane says so and the rest of the stream is used but not shown.
"""

from __future__ import annotations

import streamlit as st

from components.fresh_container import fresh_container
from iterplay.limits import Limits

SEGMENT_CHARS = 2000
FLUSH_SECONDS = 0.05
PANE_HEIGHT = 460

PANE_STYLE = """
<style>
[class*="raw-stream"] [data-testid="stVerticalBlock"] { gap: 0; }
[class*="raw-stream"] [data-testid="stText"], [class*="raw-stream"] [data-testid="stText"] * {
  font-family: "Source Code Pro", ui-monospace, monospace; font-size: 0.8rem;
  white-space: pre-wrap; overflow-wrap: anywhere;
}
</style>
"""


class RawStreamPane:
    """Appends text to the ``raw-stream`` container in throttled, bounded updates."""

    def __init__(
        self, max_chars: int, new_run: bool = False, key: str = "raw-stream", styled: bool = True
    ) -> None:
        """``styled``: add the pane's style to the page (False: another pane on it has)."""
        if styled:
            st.html(PANE_STYLE)
        self.container = fresh_container(key, new_run, height=PANE_HEIGHT, border=True)
        self.segment_slot = None
        self.segment_text = ""
        self.pending: list[str] = []
        self.max_chars = max_chars
        self.room = max_chars
        self.clipped = False
        self.clip_noted = False

    def add(self, text: str) -> None:
        """Buffer text, as far as the pane has room; ``flush`` sends it."""
        if len(text) > self.room:
            text = text[: self.room]
            self.clipped = True
        self.room -= len(text)
        if text:
            self.pending.append(text)

    def flush(self) -> None:
        if self.pending:
            self._send("".join(self.pending))
            self.pending = []
        if self.clipped and not self.clip_noted:
            self._note_clipping()

    def _send(self, new_text: str) -> None:
        while new_text:
            if self.segment_slot is None or len(self.segment_text) >= SEGMENT_CHARS:
                with self.container:
                    self.segment_slot = st.empty()
                self.segment_text = ""
            room = SEGMENT_CHARS - len(self.segment_text)
            self.segment_text += new_text[:room]
            new_text = new_text[room:]
            self.segment_slot.text(self.segment_text)

    def _note_clipping(self) -> None:
        with self.container:
            st.caption(
                f"The pane shows the first {self.max_chars:,} characters "
                f"(set by {Limits.variable('raw_pane_chars')}); the rest of the stream was "
                "used for the cards but is not shown."
            )
        self.clip_noted = True
