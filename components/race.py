"""A race: lanes 1 and up run beside lane 0 on the same schema and text, each drawn live.

Lane 0 is the playground's own run (``RunView`` in the cards and raw columns); the other lanes
get a column each under them, their cards in one grid across those columns
(``components/lane_cards.py``) above their raw streams, keyed ``lane<j>-...`` (DESIGN.md).
All runs stream at once; runs on the embedded model take turns (it answers one request at a
time) and say so while they wait. When every lane has ended, the lane diff says which entities
all lanes found, which only some or one found, and where they differ.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import streamlit as st

from components.inert_text import inert
from components.lane_cards import LaneCards
from components.live_cards import LiveOut
from components.run_history import record_run
from components.run_view import RunView
from iterplay.background_run import extraction
from iterplay.errors import LocalModelError
from iterplay.events import Entity, Event, Failed
from iterplay.lanes import LaneDiff, LaneSettings, lane_diff, lane_request
from iterplay.local_model import EMBEDDED_LINE
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run_file import RunHeader, SchemaText
from iterplay.run_inputs import RunInputs
from iterplay.run_log import RunLog
from iterplay.scoring import LiveScore
from iterplay.session_run import SessionRun
from iterplay.wrapper import Wrapper

POLL_SECONDS = 0.02
PANES_PUT_OFF_SECONDS = 0.15
CARDS_QUIET_SECONDS = 0.05
CARDS_APART_SECONDS = 0.015  # about what the browser takes to draw one update with four lanes


@dataclass
class LaneRun:
    """One lane of the race: what it runs, and its run (None if it could not start)."""

    title: str
    run: SessionRun | None
    problem: str | None = None


def start_race(
    lanes: list[LaneSettings],
    request: ExtractionRequest,
    inputs: RunInputs,
    remote: ProviderConfig | None,
    embedded: Callable[[], ProviderConfig],
    sidebar_embedded: bool,
    race_id: str | None = None,
) -> dict[int, LaneRun]:
    """Start lanes 1 and up. ``remote``: the sidebar's endpoint (None when it is the embedded
    model); ``embedded``: starts or finds the embedded model; ``race_id``: the race's id in the
    history, where each lane is recorded as a run of its own."""
    race: dict[int, LaneRun] = {}
    for number, lane in enumerate(lanes, start=1):
        on_embedded = bool(lane.embedded) or sidebar_embedded or remote is None
        try:
            provider = (
                embedded() if on_embedded else replace(remote, model=lane.model or remote.model)  # type: ignore[arg-type]
            )
        except LocalModelError as error:
            race[number] = LaneRun(f"Lane {number}", None, str(error))
            continue
        lane_req = lane_request(request, lane, provider.model)
        log = RunLog(inputs=inputs)
        line = EMBEDDED_LINE if on_embedded else None
        recording = record_run(inputs, lane_req, provider, race_id, lane=number)
        header = RunHeader.of_request(
            SchemaText(inputs.schema, inputs.schema_kind), lane_req, provider
        )
        run = SessionRun.start(
            extraction(provider, lane_req), log, header, line=line, sinks=[recording]
        )
        # The model name may come from a share link: shown inert, never as markdown.
        shown = "embedded" if on_embedded else inert(lane_req.model)
        title = f"Lane {number} — {shown} · {lane_req.mode}"
        race[number] = LaneRun(title, run)
    return race


def lane_views(
    area,
    race: dict[int, LaneRun],
    score: Callable[[], LiveScore | None],
    new_run: bool,
    live: LiveOut | None = None,
) -> tuple[dict[int, RunView], LaneCards | None]:
    """Under the main columns: per lane its title, status and stats; then every lane's cards in
    one grid, a column each; then per lane its card being written and raw stream."""
    if not race:
        return {}, None
    with area:
        heads = st.columns(len(race), gap="medium")
    grid = LaneCards(area, list(race), new_run, None if live is None else live.run)
    with area:
        tails = st.columns(len(race), gap="medium")
    views = {}
    for head, tail, (number, lane) in zip(heads, tails, race.items(), strict=True):
        views[number] = RunView(
            head, tail, score(), new_run, lane=number, title=lane.title, grid=grid, live=live
        )
        if lane.problem is not None:
            views[number].status_slot.error(
                f"**This lane could not start** — {inert(lane.problem)}", icon="🚫"
            )
    return views, grid


def replay_race(views: dict[int, RunView], race: dict[int, LaneRun], grid: LaneCards) -> None:
    for number, lane in race.items():
        if lane.run is not None:
            views[number].replay(lane.run.log)
    grid.flush()


def follow_race(
    main: RunView,
    main_run: SessionRun | None,
    views: dict[int, RunView],
    race: dict[int, LaneRun],
    grid: LaneCards | None = None,
) -> None:
    """Draw every lane's new events as they come, until all have ended.

    One loop takes from all runs in turn without waiting on any (``SessionRun.take``), so a
    lane that is quiet or waiting in line never holds up the others' cards. Every run wakes the
    loop the moment its events arrive, and cards always go first: each round sends all lanes'
    new cards, then the panes (raw text, stats, status) a lane at a time, going back to the
    cards as soon as another lane has new events. The browser draws one update after another,
    so panes sent between two lanes' cards would hold up the second: panes wait until no card
    has gone for ``CARDS_QUIET_SECONDS``, and ``PANES_PUT_OFF_SECONDS`` at most, so a fast
    stream's panes do not starve.

    For the same reason, lanes 1 and up send their cards together (``grid``: one update for all
    of them), and cards that come within ``CARDS_APART_SECONDS`` of the last ones sent wait for
    the end of that spell: the browser is still drawing the last ones then, and any other lane's
    cards that come meanwhile go in the same update.
    """
    following = {0: (main, main_run)} if main_run is not None else {}
    for number, lane in race.items():
        if lane.run is not None:
            following[number] = (views[number], lane.run)
    arrived = threading.Event()
    watched = [run.background for _, run in following.values()]
    for background in watched:
        background.watch(arrived)
    panes_due: float | None = None  # the panes put off by cards are drawn by then at the latest
    quiet_from = 0.0  # ... or once no card has gone for CARDS_QUIET_SECONDS
    cards_went = -CARDS_APART_SECONDS  # when cards last went to the browser
    try:
        while following:
            arrived.clear()
            took = {number: bool(_take(view, run)) for number, (view, run) in following.items()}
            spell_left = cards_went + CARDS_APART_SECONDS - time.monotonic()
            if spell_left > 0 and any(view.new_cards for view, _ in following.values()):
                arrived.wait(spell_left)
                continue  # the cards of any lane that came meanwhile go with these
            cards_sent = False
            for view, run in following.values():
                cards_sent |= view.draw_cards(run.log)
            if grid is not None:
                grid.flush()
            now = time.monotonic()
            if cards_sent:
                cards_went = now
                panes_due = panes_due or now + PANES_PUT_OFF_SECONDS
                quiet_from = now + CARDS_QUIET_SECONDS
            hold = 0.0 if panes_due is None else min(quiet_from, panes_due) - now
            if hold > 0 and arrived.wait(hold):
                continue  # another lane's events: its cards before any panes
            for number, (view, run) in list(following.items()):
                if arrived.is_set() and panes_due is not None and time.monotonic() < panes_due:
                    break  # another lane's events: its cards first, these panes next round
                view.waiting_in_line(run.background.in_line and not run.log.finished)
                if took[number] or view.panes_stale:
                    view.draw_panes(run.log)
                elif run.ended:
                    view.draw(run.log, force=True)
                    del following[number]
                else:
                    view.tick(run.log)
            else:
                panes_due = None
            if grid is not None:
                grid.flush()  # a lane's last cards, drawn as it ended, and cards it missed
            if not any(took.values()):
                arrived.wait(POLL_SECONDS)
    finally:
        for background in watched:
            background.unwatch(arrived)


def _take(view: RunView, run: SessionRun) -> list[Event]:
    """Hand the run's new events to its view (drawn later); the events taken."""
    batch = run.take()
    view.take_all(batch)
    return batch


def race_over(main_log: RunLog | None, race: dict[int, LaneRun]) -> bool:
    logs = [main_log, *(lane.run.log for lane in race.values() if lane.run is not None)]
    return all(log is not None and log.finished for log in logs)


def lane_diff_panel(area, wrapper: Wrapper, main_log: RunLog, race: dict[int, LaneRun]) -> None:
    """Which entities every lane found, which only some or one did, and differing fields."""
    every = {0: main_log} | {n: lane.run.log for n, lane in race.items() if lane.run is not None}
    # A lane that failed before any element found nothing to compare: left out, and said so.
    failed = [n for n, log in every.items() if isinstance(log.end, Failed) and not log.elements]
    failed += [n for n, lane in race.items() if lane.run is None]
    logs = {n: log for n, log in every.items() if n not in failed}
    left_out = _left_out(sorted(failed))
    if len(logs) < 2:
        area.caption(f"No lane diff: fewer than two lanes found anything to compare{left_out}.")
        return
    found = [[e.value for e in log.elements if isinstance(e, Entity)] for log in logs.values()]
    try:
        diff = lane_diff(wrapper, found)
    except Exception as error:  # values from another schema version: say so, never a traceback
        area.caption(f"No lane diff: {inert(error)}")
        return
    numbers = list(logs)
    with area, st.expander(_summary(diff) + left_out, expanded=True):
        rows = [
            {
                "entity": _short(entity.data),
                "found by": ", ".join(f"lane {numbers[j]}" for j in entity.exact),
                "differs in": "; ".join(
                    f"lane {numbers[j]}: {', '.join(fields)}"
                    for j, fields in entity.differing.items()
                ),
            }
            for entity in diff.entities
        ]
        st.dataframe(rows, hide_index=True)


def _summary(diff: LaneDiff) -> str:
    return (
        f"Lane diff — {len(diff.by_all)} found by all lanes · {len(diff.by_some)} by some · "
        f"{len(diff.by_one)} by one · "
        f"{sum(1 for e in diff.entities if e.differing)} with differing fields"
    )


def _left_out(failed: list[int]) -> str:
    if not failed:
        return ""
    lanes = ", ".join(str(n) for n in failed)
    return f" ({'lane' if len(failed) == 1 else 'lanes'} {lanes} failed, left out)"


def _short(data: dict) -> str:
    text = ", ".join(f"{name}={value!r}" for name, value in data.items())
    return text if len(text) <= 120 else text[:119] + "…"
