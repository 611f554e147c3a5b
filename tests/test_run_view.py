"""What a run's view sends to the browser (AppTest): every element it sends is a render there."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _three_clock_ticks() -> None:
    import streamlit as st

    from components.run_view import RunView
    from iterplay.run_log import RunLog

    view = RunView(st.container(), st.container())
    sent: dict[str, list[str]] = {"caption": [], "stats": []}
    caption, stats = view.raw_caption.caption, view.stats_slot.markdown
    view.raw_caption.caption = lambda body: sent["caption"].append(body) or caption(body)
    view.stats_slot.markdown = lambda body: sent["stats"].append(body) or stats(body)
    log = RunLog()
    for _ in range(3):  # what a tick does while the provider is silent
        view.panes_stale = True
        view.draw(log, force=True)
    st.session_state["sent"] = sent


def test_a_clock_tick_sends_the_stats_line_and_not_an_unchanged_raw_caption():
    app = AppTest.from_function(_three_clock_ticks, default_timeout=30).run()
    assert not app.exception
    sent = app.session_state["sent"]
    assert len(sent["stats"]) == 3
    assert len(sent["caption"]) == 1 and sent["caption"][0].startswith("0 chunks")


def _two_cards_while_a_page_listens() -> None:
    import asyncio
    import threading
    import time

    import streamlit as st

    from components.live_cards import LiveOut
    from components.run_view import RunView
    from iterplay.events import Entity
    from iterplay.live_channel import LiveChannel
    from iterplay.run_log import RunLog

    channel = LiveChannel()
    heard: list[str] = []
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def listen() -> None:
        async for event in channel.messages():
            heard.append(event)

    listening = asyncio.run_coroutine_threadsafe(listen(), loop)
    while not channel.listening:
        time.sleep(0.01)
    view = RunView(st.container(), st.container(), new_run=True, live=LiveOut(channel, 7))
    streamlit_copies: list[int] = []
    send_cards = view._send_cards
    view._send_cards = lambda cards: streamlit_copies.append(len(cards)) or send_cards(cards)
    log = RunLog()
    view.take_all([Entity(0, {"name": "p0"}, (0, 1), 0.1)])
    view.take_all([Entity(1, {"name": "p1"}, (0, 1), 0.2)])
    shown = view.draw_cards(log)
    copies_before_panes = list(streamlit_copies)
    view.draw_panes(log)
    deadline = time.monotonic() + 5
    while len(heard) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    listening.cancel()
    while channel.listening:
        time.sleep(0.01)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()
    st.session_state["result"] = {
        "shown": shown,
        "copies_before_panes": copies_before_panes,
        "copies": streamlit_copies,
        "heard": heard,
        "cards_key": view.cards_key,
    }


def test_while_the_page_listens_cards_go_live_at_once_and_streamlits_copy_with_the_panes():
    import json

    app = AppTest.from_function(_two_cards_while_a_page_listens, default_timeout=30).run()
    assert not app.exception
    result = app.session_state["result"]
    assert result["shown"] and result["copies_before_panes"] == []
    assert result["copies"] == [2]  # both cards, in one update, with the panes
    assert result["cards_key"] == "entity-cards-7"
    messages = [json.loads(event[len("data: ") :]) for event in result["heard"][1:]]
    assert [(m["run"], m["target"]) for m in messages] == [(7, ".st-key-entity-cards-7")] * 2
    assert ["st-key-entity-card-0" in messages[0]["html"], "p1" in messages[1]["html"]] == [
        True,
        True,
    ]
