"""The race loop (components.race.follow_race): cards of every lane before any lane's panes.

Real runs against the scripted server; the views are recorders, so the test sees the order in
which the loop asked for cards and panes to be drawn. The loop's two time constants are set
far apart from the replies' pauses, so the order does not depend on how busy the machine is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from components import race
from components.race import LaneRun, follow_race
from iterplay.background_run import extraction
from iterplay.events import Entity, Event, Invalid
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run_file import RunHeader, SchemaText
from iterplay.run_log import RunLog
from iterplay.session_run import SessionRun
from iterplay.testing import Piece, Reply
from tests.test_session_run_file import USER_PY, WRAPPER


@dataclass
class RecordingView:
    """Stands in for ``RunView``: notes what the loop asks it to draw, in one shared list."""

    lane: int
    drawn: list[tuple[str, int, int]]  # (what, lane, cards taken so far)
    taken: list[Event] = field(default_factory=list)
    new_cards: int = 0
    panes_stale: bool = False

    def take(self, event: Event) -> None:
        self.taken.append(event)
        self.new_cards += isinstance(event, Entity | Invalid)
        self.panes_stale = True

    def take_all(self, events: list[Event]) -> None:
        for event in events:
            self.take(event)

    def cards(self) -> int:
        return sum(isinstance(event, Entity | Invalid) for event in self.taken)

    def draw_cards(self, log: RunLog, force: bool = False) -> bool:
        sent, self.new_cards = self.new_cards > 0, 0
        if sent:
            self.drawn.append(("cards", self.lane, self.cards()))
        return sent

    def draw_panes(self, log: RunLog, force: bool = False) -> None:
        if self.panes_stale:
            self.drawn.append(("panes", self.lane, self.cards()))
            self.panes_stale = False

    def draw(self, log: RunLog, force: bool = False) -> None:
        self.draw_cards(log, force)
        self.draw_panes(log, force)

    def tick(self, log: RunLog) -> None:
        pass

    def waiting_in_line(self, waiting: bool) -> None:
        pass


def element(index: int) -> str:
    return f'{{"name": "person-{index}", "age": {index}}}'


def one_element_per_piece(elements: int, first_after: float, apart: float) -> Reply:
    pieces = ['{"tasks": [' + element(0)] + [", " + element(i) for i in range(1, elements)]
    pauses = [first_after] + [apart] * (elements - 1)
    return Reply(
        pieces=(
            *(Piece(text, pause) for text, pause in zip(pieces, pauses, strict=True)),
            Piece("]}", 0.05),
        ),
        channel="tool_call",
    )


def start(server, model: str) -> SessionRun:
    provider = ProviderConfig(base_url=server.url, model=model, api_key="sk-race-loop", timeout=10)
    request = ExtractionRequest(WRAPPER, "People.", model, mode="tools")
    header = RunHeader.of_request(SchemaText(USER_PY, "pydantic"), request, provider)
    return SessionRun.start(extraction(provider, request), RunLog(), header)


@dataclass
class RecordingGrid:
    """Stands in for ``LaneCards``: notes each update that carried cards drawn before it."""

    drawn: list[tuple[str, int, int]]

    def flush(self) -> bool:
        sent = bool(self.drawn) and self.drawn[-1][0] == "cards"
        if sent:
            self.drawn.append(("update", -1, 0))
        return sent


def race_of(server, replies: list[Reply]) -> tuple[list[tuple[str, int, int]], list[RecordingView]]:
    """Run one lane per reply at once through ``follow_race``; what was drawn, in order."""
    drawn: list[tuple[str, int, int]] = []
    views = [RecordingView(lane, drawn) for lane in range(len(replies))]
    for lane, reply in enumerate(replies):
        server.script(f"lane-{lane}", reply)
    runs = [start(server, f"lane-{lane}") for lane in range(len(replies))]
    others = {lane: LaneRun(f"Lane {lane}", runs[lane]) for lane in range(1, len(replies))}
    follow_race(views[0], runs[0], dict(enumerate(views)), others, RecordingGrid(drawn))
    return drawn, views


def test_a_card_on_another_lane_goes_before_the_panes_of_the_lane_that_had_one_first(
    scripted_server, monkeypatch
):
    # Lane 1's element closes 0.3 s after lane 0's: within the (here long) quiet spell that
    # the loop waits for before drawing panes, so its card goes before lane 0's panes.
    monkeypatch.setattr(race, "CARDS_QUIET_SECONDS", 3.0)
    monkeypatch.setattr(race, "PANES_PUT_OFF_SECONDS", 6.0)
    drawn, views = race_of(
        scripted_server,
        [one_element_per_piece(1, 0.05, 0), one_element_per_piece(1, 0.35, 0)],
    )

    assert [view.cards() for view in views] == [1, 1]
    first_panes = drawn.index(("panes", 0, 1))
    assert drawn.index(("cards", 0, 1)) < drawn.index(("cards", 1, 1)) < first_panes


def test_panes_are_put_off_by_cards_only_for_so_long(scripted_server, monkeypatch):
    # Cards every 20 ms for a second, and no quiet spell long enough: the panes still follow,
    # at least every PANES_PUT_OFF_SECONDS, while the cards stream.
    monkeypatch.setattr(race, "CARDS_QUIET_SECONDS", 3.0)
    monkeypatch.setattr(race, "PANES_PUT_OFF_SECONDS", 0.1)
    drawn, views = race_of(scripted_server, [one_element_per_piece(50, 0.05, 0.02)])

    assert views[0].cards() == 50
    panes_while_streaming = [cards for what, _, cards in drawn if what == "panes" and cards < 50]
    assert len(panes_while_streaming) >= 3


@pytest.mark.parametrize("lanes", [1, 3])
def test_every_lane_ends_with_all_its_cards_and_its_panes_drawn(scripted_server, lanes):
    drawn, views = race_of(scripted_server, [one_element_per_piece(5, 0.02, 0.02)] * lanes)

    assert [view.cards() for view in views] == [5] * lanes
    for lane in range(lanes):
        assert [d for d in drawn if d[1] == lane][-1] == ("panes", lane, 5)


def test_cards_that_come_while_the_last_ones_are_drawn_go_out_together(
    scripted_server, monkeypatch
):
    # Lanes 1 and 2 close their elements 0.2 s and 0.35 s after lane 0's: both inside the (here
    # long) spell after lane 0's card, so they wait for its end and go in the same update.
    monkeypatch.setattr(race, "CARDS_APART_SECONDS", 0.6)
    monkeypatch.setattr(race, "CARDS_QUIET_SECONDS", 3.0)
    monkeypatch.setattr(race, "PANES_PUT_OFF_SECONDS", 6.0)
    drawn, views = race_of(
        scripted_server,
        [one_element_per_piece(1, first_after, 0) for first_after in (0.05, 0.25, 0.4)],
    )

    assert [view.cards() for view in views] == [1, 1, 1]
    lane_1 = drawn.index(("cards", 1, 1))
    assert drawn[lane_1 + 1 : lane_1 + 3] == [("cards", 2, 1), ("update", -1, 0)]
    assert drawn.index(("update", -1, 0)) < lane_1  # lane 0's card went before, on its own
