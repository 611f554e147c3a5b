"""Extract's fast path (a rerun of the output alone) and the page run before it.

Streamlit drops a page run's messages still queued for the browser when the next full script
run starts; Extract's rerun of the output alone starts as one and draws no page. The playground
therefore takes that path only once the page it compares with has left the app
(``components/page_sent.py``). One test checks the path is taken on a real server; the other
slows the server's sending so that the page run's messages are still queued when Extract comes,
and checks the page ends up showing what that run drew.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from iterplay.share import SharedState
from iterplay.testing import Reply
from tests.browser.harness import AppProcess
from tests.browser.playground_page import USER, share_link

pytestmark = pytest.mark.browser

TEXT = "Jason is 10, Mary is 42 and Tom is 7."
EXPECTED = [{"name": "Jason", "age": 10}, {"name": "Mary", "age": 42}, {"name": "Tom", "age": 7}]
REPLY = {"tasks": EXPECTED[:2]}
SEND_EVERY_SECONDS = 1.0


@pytest.fixture
def slow_send_app(tuned_app) -> AppProcess:
    """The app on a server that sends what its script runs write once a second."""
    return tuned_app({"streamlit.runtime.runtime.MESSAGE_FLUSH_INTERVAL_SECS": SEND_EVERY_SECONDS})


def test_extract_on_a_drawn_page_reruns_the_output_alone(playground, app, provider_server):
    reply = Reply.from_text(json.dumps(REPLY), channel="tool_call")
    provider_server.script("page-sent-fast", reply)
    deltas: list[ForwardMsg] = []
    listening = {"on": False}

    def frames(socket) -> None:
        def received(payload) -> None:
            if listening["on"] and isinstance(payload, bytes):
                message = ForwardMsg.FromString(payload)
                if message.WhichOneof("type") == "delta":
                    deltas.append(message)

        socket.on("framereceived", received)

    playground.page.on("websocket", frames)
    playground.open(
        share_link(app.url, SharedState(schema=USER, text=TEXT, model="page-sent-fast"))
    )
    expect(playground.page.get_by_text("Press Extract: each entity")).to_be_visible()
    listening["on"] = True
    assert "Complete" in playground.extract()
    listening["on"] = False
    assert deltas, "the run drew nothing"
    outside = [message.metadata.delta_path for message in deltas if not message.delta.fragment_id]
    assert outside == [], "Extract redrew the page, not the output alone"


def test_a_page_run_still_being_sent_when_extract_comes_is_shown(
    new_playground, slow_send_app, provider_server
):
    provider_server.script("page-sent", Reply.from_text(json.dumps(REPLY), channel="tool_call"))
    playground = new_playground()
    state = SharedState(schema=USER, text=TEXT, model="page-sent")
    playground.open(share_link(slow_send_app.url, state))
    cases = playground.open_expander("Expected entities")
    cases.get_by_role("button", name="Start a case for this text").click()
    expected = playground.open_expander("Expected entities").locator("textarea")
    expected.fill(json.dumps(EXPECTED))
    # Leaving the text area commits it: a full run of the page, whose messages the server
    # holds for up to a second. Extract comes before they are sent, after that run has drawn.
    expected.blur()
    playground.page.wait_for_timeout(400)
    playground.extract_button.click()
    expect(playground.open_expander("Expected entities")).to_contain_text(
        "3 expected for this text", timeout=15_000
    )
    expect(playground.page.get_by_text(re.compile(r"✓ 2 · ≈ 0 · ✗ 0 · missed 1"))).to_be_visible(
        timeout=15_000
    )
    assert "Traceback" not in slow_send_app.log_text()
