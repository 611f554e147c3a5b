"""The live card channel: cards published from a script thread reach the open streams of their
own session's channel, in order, and no other; tokens stop working with their session."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from iterplay import live_channel
from iterplay.live_channel import LiveCards, LiveChannel, find_channel


def run_in_own_loop(main):
    """``asyncio.run(main())`` on a thread of its own: the browser tests' Playwright keeps an
    event loop running on this one for the rest of the session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def read_stream(channel: LiveChannel, count: int, publish, timeout: float = 5.0) -> list[str]:
    """Open one stream on a loop of its own, call ``publish`` from another thread once it is
    open, and return the first ``count`` events after the opening ``retry`` line."""

    async def main() -> list[str]:
        stream = channel.messages()
        assert (await anext(stream)).startswith("retry: ")
        assert channel.listening
        threading.Thread(target=publish).start()
        events = []
        async with asyncio.timeout(timeout):
            while len(events) < count:
                events.append(await anext(stream))
        await stream.aclose()
        return events

    return run_in_own_loop(main)


def data_of(event: str) -> dict:
    assert event.startswith("data: ") and event.endswith("\n\n")
    return json.loads(event[len("data: ") :])


def test_cards_published_from_another_thread_arrive_in_order_as_server_sent_events():
    channel = LiveChannel()
    cards = [LiveCards(1, ".st-key-entity-cards-1", f"<div>#{n}</div>") for n in range(5)]

    def publish():
        for card in cards:
            channel.publish(card)

    events = read_stream(channel, 5, publish)
    assert [data_of(event) for event in events] == [
        {"run": 1, "target": ".st-key-entity-cards-1", "html": f"<div>#{n}</div>"} for n in range(5)
    ]
    assert not channel.listening  # the stream closed, and left the channel


def test_a_card_with_newlines_stays_one_event():
    channel = LiveChannel()
    html = "<div>line one\n\nline two</div>"
    events = read_stream(channel, 1, lambda: channel.publish(LiveCards(2, ".x", html)))
    assert events[0].count("\n\n") == 1
    assert data_of(events[0])["html"] == html


def test_another_sessions_channel_never_gets_these_cards():
    mine, theirs = LiveChannel(), LiveChannel()
    assert mine.token != theirs.token

    def publish():
        theirs.publish(LiveCards(1, ".x", "<div>theirs</div>"))
        mine.publish(LiveCards(1, ".x", "<div>mine</div>"))

    events = read_stream(mine, 1, publish)
    assert data_of(events[0])["html"] == "<div>mine</div>"


def test_publishing_with_nobody_listening_is_a_no_op():
    channel = LiveChannel()
    assert not channel.listening
    channel.publish(LiveCards(1, ".x", "<div></div>"))


def test_a_token_finds_its_channel_only_while_the_session_holds_it():
    channel = LiveChannel()
    token = channel.token
    assert find_channel(token) is channel
    assert find_channel("not-a-token") is None
    assert find_channel("") is None
    del channel
    gc.collect()
    assert find_channel(token) is None


def test_tokens_are_long_and_unguessable():
    tokens = {LiveChannel().token for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) >= 40 for token in tokens)


def test_a_stream_ends_by_itself_so_that_the_server_can_shut_down(monkeypatch):
    monkeypatch.setattr(live_channel, "STREAM_SECONDS", 0.2)
    channel = LiveChannel()

    async def main() -> list[str]:
        async with asyncio.timeout(5):
            return [event async for event in channel.messages()]

    assert run_in_own_loop(main) == [f"retry: {live_channel.RECONNECT_MS}\n\n"]
    assert not channel.listening


def test_a_page_that_reads_slower_than_cards_come_gets_the_newest(monkeypatch):
    monkeypatch.setattr(live_channel, "MAX_WAITING", 3)
    channel = LiveChannel()
    done = threading.Event()

    def publish():
        for n in range(6):
            channel.publish(LiveCards(1, ".x", f"#{n}"))
        done.set()

    async def main() -> list[str]:
        stream = channel.messages()
        await anext(stream)
        threading.Thread(target=publish).start()
        await asyncio.to_thread(done.wait, 5)
        await asyncio.sleep(0.05)  # the loop runs the hand-overs the thread queued
        events = [await anext(stream) for _ in range(3)]
        await stream.aclose()
        return events

    assert [data_of(event)["html"] for event in run_in_own_loop(main)] == ["#3", "#4", "#5"]


@pytest.mark.parametrize("token", ["", "x" * 43, "../../etc/passwd"])
def test_unknown_tokens_find_nothing(token):
    assert find_channel(token) is None


def test_a_token_opens_nothing_once_its_session_is_gone():
    connected = True
    channel = LiveChannel(lambda: connected)
    assert find_channel(channel.token) is channel
    connected = False
    assert find_channel(channel.token) is None
