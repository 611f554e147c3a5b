"""The output of one run: status, stats, entity cards, the card being written, the raw stream.

The same view draws a run live and redraws it from its log after a rerun (``replay``), so a Stop
click or an edit never loses what arrived. Live, events are first taken (buffered, no drawing)
and then drawn together: new cards first, as one HTML batch, then the card being written, the
raw pane and the stats. Cards go out at once after a quiet spell and at most every 50 ms in a
burst; the panes at most every 50 ms. Traffic to the browser stays linear in the stream. Each
new card also goes to the page the moment it is taken, through the session's live channel
(``components/live_cards.py``); while the page listens, Streamlit's copies go with the panes.

Entities show as cards in a scrolling list, or as one table (valid entities as rows; error cards
stay below it), redrawn at most every half second while a run streams. The cards/table toggle
lives in a fragment: flipping it during a run does not end the run; the page redraws in the
other view once the run is over.
"""

from __future__ import annotations

import time
from typing import assert_never

import streamlit as st

from components.entity_cards import CARD_STYLE, card_html, partial_card_html
from components.entity_table import entity_table, table_row
from components.fresh_container import fresh_container
from components.lane_cards import LaneCards
from components.live_cards import LiveOut
from components.playground_state import Input, default_input, keep
from components.raw_stream_pane import FLUSH_SECONDS, PANE_HEIGHT, RawStreamPane
from components.score_marks import MARK_STYLE, ghost_card_html, mark_html, score_line
from components.stats_bar import retry_notice, run_ending, stats_line
from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Retrying, Token
from iterplay.limits import limits
from iterplay.run_inputs import in_words
from iterplay.run_log import RunLog
from iterplay.scoring import LiveScore

TICK_SECONDS = 1.0  # the elapsed clock, while nothing arrives (``RunView.tick``)
TABLE_FLUSH_SECONDS = 0.5
ENTITY_VIEWS = {"cards": "Cards", "table": "Table"}


class RunView:
    """Placeholders laid out once per script run, in the cards and raw-stream columns."""

    def __init__(
        self,
        cards_column,
        raw_column,
        score: LiveScore | None = None,
        new_run: bool = False,
        lane: int = 0,
        title: str = "Entities",
        grid: LaneCards | None = None,
        live: LiveOut | None = None,
    ) -> None:
        """``new_run``: this script run starts a run, so the previous run's output goes at once.

        ``lane`` j >= 1 draws one of the variants raced beside lane 0: its element keys start
        with ``lane<j>-`` (DESIGN.md's hooks), it shows cards only, under ``title``, with the
        styles lane 0's view puts on the page, and has no replay notice, out-of-date note or
        table (``notice_slot``, ``out_of_date_slot``, ``table_slot``: lane 0's only). Its cards
        go to the lanes' ``grid`` (``components/lane_cards.py``), its card being written above
        its raw pane. ``live``: where each new card also goes the moment it is taken, for the
        page to show before Streamlit's own copy arrives (``components/live_cards.py``).
        """
        default_input(Input.ENTITY_VIEW, "cards")
        self.prefix = f"lane{lane}-" if lane else ""
        self.view = st.session_state[Input.ENTITY_VIEW] if not lane else "cards"
        with cards_column:
            # The browser draws every element of the page again with each update it gets
            # (docs/decisions.md): a lane's view places only what a lane shows.
            if lane:
                st.subheader(title)
            else:
                with st.container(key="entities-header", horizontal=True, vertical_alignment="top"):
                    st.subheader(title)
                    _entity_view_toggle(self.view)
                st.html(CARD_STYLE + MARK_STYLE)  # one copy per page, for every lane's cards
                self.notice_slot = st.empty()  # what the run is, when not a live one (a replay)
            self.status_slot = st.empty()
            if not lane:
                self.out_of_date_slot = st.empty()
            self.stats_slot = st.empty()
            self.score_slot = st.empty()
            if not lane:
                self.table_slot = st.empty()
            if grid is None:
                height = PANE_HEIGHT if self.view == "cards" else "content"
                with fresh_container(f"{self.prefix}entity-list", new_run, height=height):
                    # Numbered per run for the live channel, which adds cards to it by its key.
                    self.cards_key = f"{self.prefix}entity-cards" + (
                        "" if live is None else f"-{live.run}"
                    )
                    self.cards = st.container(key=self.cards_key)
                    if live is not None:
                        # Streamlit leaves an empty container out of the page, and the live
                        # channel's first card needs it there: a placeholder fills it.
                        self.cards.empty()
                    self.partial_slot = self._partial_slot()
        with raw_column:
            if grid is not None:
                self.partial_slot = self._partial_slot()
            if not lane:
                st.subheader("Raw stream")
            self.raw = RawStreamPane(
                limits().raw_pane_chars, new_run, key=f"{self.prefix}raw-stream", styled=not lane
            )
            self.raw_caption = st.empty()
            self.raw_caption_text = ""
        self.lane = lane
        self.grid = grid
        self.live = live
        self.live_cards: list[str] = []  # cards taken, for the live channel (see take_all)
        self.live_shown = False  # cards went to the live channel since the last draw_cards
        self.table_rows: list[dict] = []
        self.table_stale = False
        self.last_table = 0.0
        self.new_cards: list[str] = []
        self.partial: Partial | None = None
        self.partial_shown = False
        self.retry_shown = False
        self.line_shown = False
        self.panes_stale = False
        self.last_cards = 0.0
        self.last_panes = 0.0
        # Scores the run against the current text's expected entities, when it has some.
        self.score = score
        self.missed_drawn = False

    def _partial_slot(self):
        """Where the card being written shows: under the cards, or above a lane's raw pane."""
        with st.container(key=f"{self.prefix}partial-card"):
            return st.empty()

    def empty_state(self) -> None:
        with self.cards:
            st.caption("Press **Extract**: each entity appears here the moment it is complete.")
        self.raw_caption.caption(
            "What the model sends (content or tool-call arguments) shows here."
        )

    def replay(self, log: RunLog, changed: tuple[str, ...] = ()) -> None:
        """Redraw a run from its log; ``changed`` names the inputs that differ since it ran."""
        if changed:
            have = "has" if len(changed) == 1 else "have"
            self.out_of_date_slot.info(
                f"**Out of date** — these results came from earlier inputs: {in_words(changed)} "
                f"{have} changed since. Press **Extract** to run again.",
                icon="🕰️",
            )
        for element in log.elements:
            self._add_element(element)
        self.raw.add(log.raw_text)
        self.partial = log.partial
        self.panes_stale = True
        self.draw(log, force=True)

    def take(self, event: Event) -> None:
        """Buffer one event for the next ``draw`` (``take_all`` sends its card live)."""
        match event:
            case Token():
                self.raw.add(event.text)
            case Partial():
                self.partial = event
            case Entity() | Invalid():
                cards = len(self.new_cards)
                self._add_element(event)
                if self.live is not None and len(self.new_cards) > cards:
                    self.live_cards.append(self.new_cards[-1])
                if self.partial is not None and self.partial.index <= event.index:
                    self.partial = None
            case Retrying() | Finished() | Failed():
                pass  # drawn from the run log: the retry notice, the ending, the stats
            case _:
                assert_never(event)
        self.panes_stale = True

    def _add_element(self, element: Entity | Invalid) -> None:
        """A table row for a valid entity in the table view, else a card (scored, if scoring)."""
        mark = None if self.score is None else self.score.take(element)
        if self.view == "table" and isinstance(element, Entity):
            self.table_rows.append(table_row(element))
            self.table_stale = True
        elif self.score is None:
            self.new_cards.append(card_html(element, prefix=self.prefix))
        else:
            self.new_cards.append(
                card_html(element, mark_html(mark, self.score.expected), self.prefix)
            )

    def take_all(self, events: list[Event]) -> None:
        """Buffer a batch of events for the next ``draw``; its new cards go to the live channel
        at once, as one message (a fast stream's batch holds many)."""
        for event in events:
            self.take(event)
        if self.live_cards:
            if self.grid is None:
                self.live.send(self.cards_key, "".join(self.live_cards))
            else:
                wrapped = (self.grid.wrap(self.lane, card) for card in self.live_cards)
                self.live.send(self.grid.key, "".join(wrapped))
            self.live_cards = []
            self.live_shown = True

    def waiting_in_line(self, waiting: bool) -> None:
        """Say that the run waits for the embedded model, which answers one request at a time."""
        if waiting and not self.line_shown:
            self.status_slot.info(
                "**Waiting in line** — the embedded model answers one request at a time; this "
                "run starts when the one before it ends.",
                icon="⏳",
            )
        elif not waiting and self.line_shown:
            self.status_slot.empty()
        self.line_shown = waiting

    def tick(self, log: RunLog) -> None:
        """Nothing arrived for a while: refresh the elapsed clock once a second.

        The clock shows the app waiting on the provider. Each refresh is an update the browser
        applies by drawing the whole page again, one per lane, and a card closing meanwhile
        waits behind them (docs/benchmarks.md): once a second instead of four times costs a
        quarter. Stop does not wait for it: Streamlit starts the page run a click asks for at
        once (``runner.fastReruns``), and that run stops the session's runs.
        """
        stop_point()
        if time.monotonic() - self.last_panes >= TICK_SECONDS:
            self.panes_stale = True
        self.draw(log)

    def draw(self, log: RunLog, force: bool = False) -> None:
        """Send what is due to the browser: cards first, then the panes."""
        self.draw_cards(log, force)
        self.draw_panes(log, force)

    def draw_cards(self, log: RunLog, force: bool = False) -> bool:
        """Send the new cards, if due; True if some went (to Streamlit or, since the last call,
        to the live channel). Several views drawn together send every view's cards before any
        view's panes, so no card waits behind another's panes."""
        now = time.monotonic()
        force = force or log.finished
        shown_live, self.live_shown = self.live_shown, False
        if not force and self.live is not None and self.live.channel.listening:
            # The page shows them already: Streamlit's copies go with the panes, so that they
            # do not hold up another lane's live card with a render of the whole page.
            sent = shown_live
        else:
            sent = bool(self.new_cards) and (force or now - self.last_cards >= FLUSH_SECONDS)
            if sent:
                self._flush_cards(now)
        if self.table_stale and (force or now - self.last_table >= TABLE_FLUSH_SECONDS):
            self.table_slot.dataframe(
                entity_table(self.table_rows), hide_index=True, height=PANE_HEIGHT
            )
            self.table_stale = False
            self.last_table = now
        return sent

    def _flush_cards(self, now: float) -> None:
        self._send_cards(self.new_cards)
        self.new_cards = []
        self.last_cards = now

    def draw_panes(self, log: RunLog, force: bool = False) -> None:
        """Send the card being written, the raw pane, the stats and the status, if due (and
        Streamlit's copies of cards the page shows from the live channel)."""
        now = time.monotonic()
        force = force or log.finished
        if self.panes_stale and (force or now - self.last_panes >= FLUSH_SECONDS):
            if self.new_cards:
                self._flush_cards(now)
            self._draw_panes(log)
            self.panes_stale = False
            self.last_panes = now

    def _draw_panes(self, log: RunLog) -> None:
        if self.partial is not None:
            self.partial_slot.html(partial_card_html(self.partial, ended=log.finished))
            self.partial_shown = True
        elif self.partial_shown or log.finished:
            self.partial_slot.empty()
            self.partial_shown = False
        self.raw.flush()
        self.stats_slot.markdown(stats_line(log))
        caption = (
            f"{log.chunks} chunks · {log.characters:,} characters"
            + (f" · first at {log.first_token_t:.2f} s" if log.first_token_t is not None else "")
            + f" · last at {log.last_t:.2f} s"
        )
        if caption != self.raw_caption_text:  # a clock tick changes the stats line only
            self.raw_caption.caption(caption)
            self.raw_caption_text = caption
        if log.finished:
            with self.status_slot.container():
                run_ending(log)
        elif log.waiting_to_retry is not None:
            with self.status_slot.container():
                retry_notice(log.waiting_to_retry)
            self.retry_shown = True
        elif self.retry_shown:
            self.status_slot.empty()
            self.retry_shown = False
        if self.score is not None:
            self._draw_score(log)

    def _draw_score(self, log: RunLog) -> None:
        """The score line, live; when the run ends, the expected entities it missed."""
        scoring = self.score.scoring()
        with self.score_slot.container():
            score_line(scoring, self.score.field_names)
        if log.finished and not self.missed_drawn and scoring.missed:
            self._send_cards(
                [ghost_card_html(j, self.score.expected[j], self.prefix) for j in scoring.missed]
            )
            self.missed_drawn = True

    def _send_cards(self, cards: list[str]) -> None:
        """Lane 0's cards go to its list at once; a lane's, to the grid's next update."""
        if self.grid is None:
            with self.cards:
                st.html("".join(cards))
        else:
            self.grid.add(self.lane, cards)


def stop_point() -> None:
    """Where Streamlit ends this script run if a newer one replaced it, as at every ``st``
    call, sending the browser nothing: the session state yields to the script runner on each
    access (Streamlit's ``SafeSessionState``).

    A click or an edit starts the newer run at once (``runner.fastReruns``) and the older one
    goes on until its next Streamlit call. While a provider is silent that was the next clock
    tick, and an older run following the same run took the events that came meanwhile, drew
    them nowhere and ended: the newer run never drew the ending (seen with a one-second clock).
    The loops pass here on every quiet poll, so an older run ends within one.
    """
    st.session_state.get(Input.ENTITY_VIEW)


@st.fragment
def _entity_view_toggle(drawn: str) -> None:
    """Cards or table; a change redraws the page, after the run if one is going."""
    chosen = st.segmented_control(
        "Show entities as",
        list(ENTITY_VIEWS),
        format_func=ENTITY_VIEWS.get,
        required=True,
        key=Input.ENTITY_VIEW,
        on_change=keep,
        args=(Input.ENTITY_VIEW,),
        label_visibility="collapsed",
    )
    if chosen != drawn:
        st.rerun()
