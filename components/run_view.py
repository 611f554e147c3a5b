"""The output of one run: status, stats, entity cards, the card being written, the raw stream.

The same view draws a run live (``apply`` per event) and redraws it from its log after a rerun
(``replay``), so a Stop click or an edit never loses what arrived. Cards are added once each;
the in-progress card, stats and raw pane are placeholders updated at most every 50 ms.
"""

from __future__ import annotations

import time

import streamlit as st

from components.entity_cards import entity_card, invalid_card, partial_card_body
from components.raw_stream_pane import FLUSH_SECONDS, RawStreamPane
from components.stats_bar import run_ending, stats_line
from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Token
from iterplay.run_log import RunLog


class RunView:
    """Placeholders laid out once per script run, in the cards and raw-stream columns."""

    def __init__(self, cards_column, raw_column) -> None:
        with cards_column:
            st.subheader("Entities")
            self.status_slot = st.empty()
            self.stats_slot = st.empty()
            self.cards = st.container()
            with st.container(key="partial-card"):
                self.partial_slot = st.empty()
        with raw_column:
            st.subheader("Raw stream")
            self.raw = RawStreamPane()
            self.raw_caption = st.empty()
        self.last_refresh = 0.0
        self.shown_partial = False

    def empty_state(self) -> None:
        with self.cards:
            st.caption("Press **Extract**: each entity appears here the moment it is complete.")
        self.raw_caption.caption(
            "What the model sends (content or tool-call arguments) appears here."
        )

    def replay(self, log: RunLog) -> None:
        for element in log.elements:
            self._card(element)
        self.raw.append(log.raw_text)
        self.raw.flush()
        if log.partial is not None:
            with self.partial_slot.container():
                partial_card_body(log.partial)
        self.refresh(log, force=True)

    def apply(self, event: Event, log: RunLog) -> None:
        """Show one event; ``log`` already holds it."""
        if isinstance(event, Token):
            self.raw.append(event.text)
        elif isinstance(event, Partial):
            self._partial(event)
        elif isinstance(event, Entity | Invalid):
            self.raw.flush()
            if self.shown_partial:
                self.partial_slot.empty()
                self.shown_partial = False
            self._card(event)
        elif isinstance(event, Finished | Failed):
            self.raw.flush()
            self.partial_slot.empty()
        self.refresh(log, force=isinstance(event, Entity | Invalid | Finished | Failed))

    def refresh(self, log: RunLog, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_refresh < FLUSH_SECONDS:
            return
        self.last_refresh = now
        self.stats_slot.markdown(stats_line(log))
        self.raw_caption.caption(
            f"{log.chunks} chunks · {log.characters:,} characters"
            + (f" · first at {log.first_token_t:.2f} s" if log.first_token_t is not None else "")
            + f" · last at {log.last_t:.2f} s"
        )
        if log.finished:
            with self.status_slot.container():
                run_ending(log)

    def _partial(self, partial: Partial) -> None:
        if time.monotonic() - self.last_refresh < FLUSH_SECONDS and self.shown_partial:
            return
        with self.partial_slot.container(border=True):
            partial_card_body(partial)
        self.shown_partial = True

    def _card(self, element: Entity | Invalid) -> None:
        with self.cards:
            if isinstance(element, Entity):
                entity_card(element)
            else:
                invalid_card(element)
