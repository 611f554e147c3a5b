"""The live card channel in a real page: cards show through it first, Streamlit's copy takes
their place without a frame showing both or a card out of order, and its route answers nobody
without a token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from iterplay.testing import Reply
from tests.browser.playground_page import eventually

pytestmark = pytest.mark.browser

PEOPLE = [{"name": f"person {n}", "age": 20 + n} for n in range(12)]
LANE_PEOPLE = [{"name": name, "age": 60 + n} for n, name in enumerate(["Zed", "Yu", "Xi", "Wu"])]

# Per card hook class: whether it first came into the page inside a live copy, and the most
# copies of it any animation frame showed; and the frames where a lane's cards stood out of
# index order.
CARD_WATCH = """
window.__cards = {};
const KEY = /^st-key-(?:lane\\d+-)?(?:entity|invalid)-card-\\d+$/;
const note = (element) => {
  for (const name of element.classList) {
    if (KEY.test(name) && !(name in window.__cards)) {
      window.__cards[name] = { live: !!element.closest(".iterplay-live-card"), most: 0 };
    }
  }
};
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType !== 1) continue;
      note(node);
      node.querySelectorAll("[class*='-card-']").forEach(note);
    }
  }
}).observe(document, { childList: true, subtree: true });
window.__misordered = [];
window.__narrow = 0;
const inOrder = (lane) => {
  const pattern = new RegExp(`^st-key-${lane}entity-card-(\\d+)$`);
  const tops = [];
  document.querySelectorAll(`[class*='st-key-${lane}entity-card-']`).forEach((card) => {
    const name = [...card.classList].find((n) => pattern.test(n));
    if (name) tops.push([Number(name.match(pattern)[1]), card.getBoundingClientRect().top]);
  });
  tops.sort((a, b) => a[0] - b[0]);
  return tops.every((top, i) => i === 0 || top[1] > tops[i - 1][1]);
};
const sample = () => {
  for (const [name, seen] of Object.entries(window.__cards)) {
    seen.most = Math.max(seen.most, document.getElementsByClassName(name).length);
  }
  for (const lane of ["", "lane1-"]) {
    if (!inOrder(lane)) window.__misordered.push(lane || "lane0-");
  }
  // Lane 0's live cards as wide as its list (the lanes' grid gives each its column).
  document.querySelectorAll(".iterplay-live-card > .iterplay-card").forEach((card) => {
    const list = card.closest("[class*='st-key-entity-cards-']");
    if (list && card.getBoundingClientRect().width < 0.9 * list.getBoundingClientRect().width) {
      window.__narrow += 1;
    }
  });
  requestAnimationFrame(sample);
};
requestAnimationFrame(sample);
"""


def paused(elements: list[dict], pause: float = 0.2) -> Reply:
    """One element at a time, ``pause`` seconds apart."""
    text = json.dumps({"tasks": elements})
    pieces = ["{" + text[1:].split("{", 1)[0]]  # '{"tasks": [' on its own
    rest = text[len(pieces[0]) :]
    while "}" in rest:
        end = rest.index("}") + 1
        pieces.append(rest[:end])
        rest = rest[end:]
    return Reply.from_pieces([*pieces, rest], pause=pause, channel="tool_call")


@pytest.mark.parametrize("pause", [0.2, 0.03])
def test_cards_show_through_the_live_channel_then_streamlits_copy_takes_their_place(
    playground, scenario, provider_server, request, pause
):
    """At 0.2 s apart each card's copy comes before the next card; at 0.03 s several live
    cards wait for Streamlit's copies at once."""
    lane_model = f"{request.node.name}-lane-1"
    provider_server.script(lane_model, paused(LANE_PEOPLE, pause))
    lane = {"model": lane_model, "mode": None, "system_prompt": None, "temperature": None}
    playground.page.add_init_script(CARD_WATCH)
    playground.open(scenario(paused(PEOPLE, pause), lanes=[lane]))
    playground.extract_button.click()
    expect(playground.ending).to_have_count(2, timeout=30_000)
    page = playground.page
    expect(page.locator(".iterplay-live-card")).to_have_count(0)  # every copy was replaced
    cards = page.evaluate("window.__cards")
    expected = [f"st-key-entity-card-{i}" for i in range(len(PEOPLE))]
    expected += [f"st-key-lane1-entity-card-{i}" for i in range(len(LANE_PEOPLE))]
    assert sorted(cards) == sorted(expected)
    assert {name: seen["most"] for name, seen in cards.items()} == dict.fromkeys(expected, 1)
    assert page.evaluate("window.__misordered") == []  # every frame: each lane's cards in order
    assert page.evaluate("window.__narrow") == 0
    live = [name for name, seen in cards.items() if seen["live"]]
    # The page reopens its event stream every few seconds; a card closing in that moment comes
    # with Streamlit's copy alone, so one card may.
    assert len(live) >= len(expected) - 1, cards
    for name in expected:
        expect(page.locator(f".{name}")).to_have_count(1)
    assert [card["name"] for card in playground.all_card_fields()] == [p["name"] for p in PEOPLE]
    lane_cards = page.locator("[class*='st-key-lane1-entity-card-']")
    for index, person in enumerate(LANE_PEOPLE):
        expect(lane_cards.nth(index)).to_contain_text(person["name"])


@pytest.mark.parametrize("query", ["", "?t=", "?t=not-a-token", "?t=" + "A" * 43])
def test_the_live_route_answers_404_without_a_sessions_token(app, query):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{app.url}iterplay/live{query}", timeout=5)
    assert refused.value.code == 404


def test_a_closed_tabs_token_opens_nothing(app, new_playground):
    playground = new_playground()
    urls = []
    playground.page.on(
        "request", lambda request: urls.append(request.url) if "iterplay/live" in request.url else 0
    )
    playground.open(app.url)
    eventually(lambda: bool(urls))
    with urllib.request.urlopen(urls[0], timeout=5) as answer:  # the page's own token: open
        assert answer.status == 200
    playground.page.goto("about:blank")  # the tab leaves the app: its session disconnects

    def refused() -> bool:
        try:
            urllib.request.urlopen(urls[0], timeout=5).close()
        except urllib.error.HTTPError as error:
            return error.code == 404
        return False

    eventually(refused)
