"""Hostile text in a real browser: model output, provider errors, model names and schema errors
carrying HTML, scripts and markdown images run nothing and fetch nothing.

A tiny HTTP listener on loopback plays the attacker's server: every hostile image points at it.
After each page has shown its outcome, the page itself fetches ``/control`` from the listener,
which proves the listener hears the browser; it must have heard nothing else.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from iterplay.share import SharedState
from iterplay.testing import Reply
from tests.browser.harness import API_KEY
from tests.browser.playground_page import Playground, eventually, share_link

pytestmark = pytest.mark.browser

USER = "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
FLAG = "window.__iterplay_pwned"


class _Recorder(BaseHTTPRequestHandler):
    server: _AttackerServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _AttackerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.paths: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def attacker() -> Iterator[_AttackerServer]:
    server = _AttackerServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def hostile_strings(attacker: _AttackerServer, where: str) -> dict[str, str]:
    return {
        "html": f'<img src="{attacker.url}/{where}-html.png" onerror="{FLAG}=1">',
        "script": f"<script>{FLAG}=2</script>",
        "svg": f'<svg onload="{FLAG}=3"></svg>',
        "markdown": f"![x]({attacker.url}/{where}-markdown.png)",
    }


def wait_for_alert(playground: Playground, text: str) -> str:
    """The text of the alert (an ending, an error) that shows ``text``, once it is there.

    The page may put invisible word joiners into untrusted text (they stop autolinks); a reader
    sees the text as written, and so does this function.
    """
    alert = playground.page.locator("[data-testid='stAlert']")
    eventually(lambda: any(text in shown for shown in _shown(alert)), timeout=20)
    shown = next(shown for shown in _shown(alert) if text in shown)
    assert alert.locator("a").count() == 0  # shown as text: not even a link
    return shown


def _shown(alerts) -> list[str]:
    return [text.replace("\u2060", "") for text in alerts.all_inner_texts()]


def assert_inert(playground: Playground, attacker: _AttackerServer) -> None:
    """No script ran, no image points at the attacker, and the attacker heard only our probe."""
    page = playground.page
    assert page.evaluate(f"typeof {FLAG}") == "undefined"
    assert page.locator(f"img[src^='{attacker.url}']").count() == 0
    page.evaluate(f"fetch('{attacker.url}/control').then(() => null, () => null)")
    eventually(lambda: "/control" in attacker.paths)
    assert attacker.paths == ["/control"]


@pytest.fixture
def scripted_link(request, app, provider_server):
    """Scripts ``reply`` under a model named after the test; returns a share link naming it."""

    def make(reply: Reply, **state) -> str:
        model = f"{request.node.name}-{len(provider_server.models())}"
        provider_server.script(model, reply)
        fields = {"schema": USER, "text": "Ann is 31.", "model": model, "mode": "tools", **state}
        return share_link(app.url, SharedState(**fields))

    return make


def test_hostile_values_and_raw_stream_are_shown_as_text(playground, scripted_link, attacker):
    hostile = hostile_strings(attacker, "value")
    elements = [{"name": text, "age": number} for number, text in enumerate(hostile.values())]
    elements.append({"name": hostile["html"], "age": hostile["markdown"]})  # an invalid one
    link = scripted_link(Reply.from_text(json.dumps({"tasks": elements}), channel="tool_call"))

    playground.open(link).extract()

    expect(playground.entity_cards).to_have_count(4)
    expect(playground.invalid_cards).to_have_count(1)
    expect(playground.entity_card(0)).to_contain_text(hostile["html"])
    expect(playground.entity_card(3)).to_contain_text(hostile["markdown"])
    expect(playground.invalid_card(4)).to_contain_text(hostile["markdown"])
    assert hostile["script"] in playground.raw_stream()
    assert_inert(playground, attacker)


def test_hostile_provider_error_is_shown_as_text(playground, scripted_link, attacker):
    hostile = hostile_strings(attacker, "error")
    message = " ".join(hostile.values())
    link = scripted_link(Reply(status=400, error={"message": message}))

    playground.open(link).extract_button.click()

    ending = wait_for_alert(playground, hostile["markdown"])
    assert hostile["html"] in ending
    assert_inert(playground, attacker)


def test_hostile_finish_reason_is_shown_as_text(playground, scripted_link, attacker):
    hostile = hostile_strings(attacker, "finish")
    reply = Reply.from_text(
        '{"tasks": [{"name": "Ann", "age": 31}', channel="tool_call", finish_reason=hostile["svg"]
    )

    playground.open(scripted_link(reply)).extract_button.click()

    wait_for_alert(playground, hostile["svg"])
    assert_inert(playground, attacker)


def test_a_model_name_echoed_by_the_provider_is_shown_as_text(playground, app, attacker):
    model = hostile_strings(attacker, "model")["markdown"]
    link = share_link(app.url, SharedState(schema=USER, text="Ann is 31.", model=model))

    playground.open(link).extract_button.click()

    wait_for_alert(playground, model)
    assert_inert(playground, attacker)


@pytest.mark.parametrize(
    "schema_kind", ["pydantic", "json_schema"], ids=["forward reference", "property name"]
)
def test_hostile_schema_error_is_shown_as_text(playground, app, attacker, schema_kind):
    hostile = hostile_strings(attacker, "schema")
    if schema_kind == "pydantic":
        schema = USER + f"    friend: {json.dumps(hostile['markdown'] + hostile['html'])}\n"
    else:
        properties = {hostile["markdown"] + hostile["html"]: {"type": "no-such-type"}}
        schema = json.dumps({"title": "User", "type": "object", "properties": properties})
    link = share_link(app.url, SharedState(schema=schema, schema_kind=schema_kind, text="x"))

    playground.open(link)

    wait_for_alert(playground, "Schema error")
    assert_inert(playground, attacker)


@pytest.mark.parametrize("status", [401, 500])
def test_the_server_key_never_reaches_the_browser_or_the_log(
    playground, scripted_link, app, status
):
    log_start = len(app.log_text())
    link = scripted_link(Reply(status=status, error={"message": f"Bad key {API_KEY} given"}))

    playground.open(link).extract_button.click()

    wait_for_alert(playground, "[key hidden]")
    assert API_KEY not in playground.page.content()
    assert API_KEY not in playground.share_link()
    assert API_KEY not in app.log_text()[log_start:]
