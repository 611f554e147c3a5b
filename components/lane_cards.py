"""Lanes 1 and up show their cards in one grid, a column per lane, sent as one update a round.

Streamlit's frontend renders the whole page again for each update it gets, one update after
another, so cards of four lanes sent as four updates took four renders, the last card waiting
for the three before it (docs/benchmarks.md). Here every lane's new cards of a round go out as
one ``st.html``, and CSS places each card in its lane's column (the element wrappers between
the grid and the cards take no box: ``display: contents``), so row k holds the k-th card of
every lane. The grid scrolls as one list, under the lanes' titles and above their raw panes.
"""

from __future__ import annotations

import streamlit as st

from components.fresh_container import fresh_container
from components.raw_stream_pane import PANE_HEIGHT

GRID_KEY = "lanes-entity-cards"
LIST_KEY = "lanes-entity-list"
COLUMN_GAP = "2rem"  # what st.columns(gap="medium") leaves between the lanes' columns


def grid_style(columns: int, key: str) -> str:
    grid = f".st-key-{key}"
    wrappers = f'{grid} > [data-testid="stElementContainer"]'
    return f"""<style>
{grid} {{ display: grid !important; grid-template-columns: repeat({columns}, minmax(0, 1fr));
  column-gap: {COLUMN_GAP}; row-gap: 0; grid-auto-flow: row dense; align-items: start; }}
{wrappers}, {wrappers} > [data-testid="stHtml"] {{ display: contents; }}
{wrappers} > [data-testid="stEmpty"] {{ display: none; }}
{"".join(f".iterplay-lane-column-{n} {{ grid-column: {n}; }}" for n in range(1, columns + 1))}
</style>"""


class LaneCards:
    """The grid of lanes 1 and up: cards are added per lane and sent together by ``flush``."""

    def __init__(self, area, lanes: list[int], new_run: bool, run: int | None = None) -> None:
        """``run``: the run's number for the live channel, which finds the grid by its key."""
        self.column = {lane: n for n, lane in enumerate(lanes, start=1)}
        self.pending: list[str] = []
        self.key = GRID_KEY if run is None else f"{GRID_KEY}-{run}"
        with area:
            st.html(grid_style(len(lanes), self.key))
            with fresh_container(LIST_KEY, new_run, height=PANE_HEIGHT):
                self.grid = st.container(key=self.key)
                if run is not None:
                    # In the page from the start, for the live channel; no grid item (CSS).
                    self.grid.empty()

    def add(self, lane: int, cards: list[str]) -> None:
        """Cards of ``lane`` (each one card's HTML), sent with the next ``flush``."""
        self.pending += [self.wrap(lane, card) for card in cards]

    def wrap(self, lane: int, card: str) -> str:
        """A card of ``lane`` as the grid holds it, in the lane's column."""
        return f'<div class="iterplay-lane-column-{self.column[lane]}">{card}</div>'

    def flush(self) -> bool:
        """Send every lane's cards added since the last flush, as one update; True if any."""
        if not self.pending:
            return False
        with self.grid:
            st.html("".join(self.pending))
        self.pending = []
        return True
