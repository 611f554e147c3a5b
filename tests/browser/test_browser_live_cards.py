"""The live card channel in a real page: cards show through it first, Streamlit's copy takes
their place without a frame showing both, and its route answers nobody without a token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from iterplay.testing import Reply

pytestmark = pytest.mark.browser

PEOPLE = [{"name": "Ann", "age": 31}, {"name": "Bob", "age": 42}, {"name": "Cy", "age": 7}]
LANE_PEOPLE = [{"name": "Zed", "age": 99}, {"name": "Yu", "age": 50}]

# Per card hook class: whether it first came into the page inside a live copy, and the most
# copies of it any animation frame showed.
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
const sample = () => {
  for (const [name, seen] of Object.entries(window.__cards)) {
    seen.most = Math.max(seen.most, document.getElementsByClassName(name).length);
  }
  requestAnimationFrame(sample);
};
requestAnimationFrame(sample);
"""


def paused(elements: list[dict]) -> Reply:
    """One element at a time, a fifth of a second apart."""
    text = json.dumps({"tasks": elements})
    pieces = ["{" + text[1:].split("{", 1)[0]]  # '{"tasks": [' on its own
    rest = text[len(pieces[0]) :]
    while "}" in rest:
        end = rest.index("}") + 1
        pieces.append(rest[:end])
        rest = rest[end:]
    return Reply.from_pieces([*pieces, rest], pause=0.2, channel="tool_call")


def test_cards_show_through_the_live_channel_then_streamlits_copy_takes_their_place(
    playground, scenario, provider_server, request
):
    lane_model = f"{request.node.name}-lane-1"
    provider_server.script(lane_model, paused(LANE_PEOPLE))
    lane = {"model": lane_model, "mode": None, "system_prompt": None, "temperature": None}
    playground.page.add_init_script(CARD_WATCH)
    playground.open(scenario(paused(PEOPLE), lanes=[lane]))
    playground.extract_button.click()
    expect(playground.ending).to_have_count(2, timeout=30_000)
    page = playground.page
    expect(page.locator(".iterplay-live-card")).to_have_count(0)  # every copy was replaced
    cards = page.evaluate("window.__cards")
    expected = [f"st-key-entity-card-{i}" for i in range(3)]
    expected += [f"st-key-lane1-entity-card-{i}" for i in range(2)]
    assert sorted(cards) == sorted(expected)
    assert {name: seen["most"] for name, seen in cards.items()} == dict.fromkeys(expected, 1)
    live = [name for name, seen in cards.items() if seen["live"]]
    # The page reopens its event stream every few seconds; a card closing in that moment comes
    # with Streamlit's copy alone, so one card of five may.
    assert len(live) >= len(expected) - 1, cards
    for name in expected:
        expect(page.locator(f".{name}")).to_have_count(1)
    assert [card["name"] for card in playground.all_card_fields()] == ["Ann", "Bob", "Cy"]
    lane_cards = page.locator("[class*='st-key-lane1-entity-card-']")
    expect(lane_cards.nth(0)).to_contain_text("Zed")
    expect(lane_cards.nth(1)).to_contain_text("Yu")


@pytest.mark.parametrize("query", ["", "?t=", "?t=not-a-token", "?t=" + "A" * 43])
def test_the_live_route_answers_404_without_a_sessions_token(app, query):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{app.url}iterplay/live{query}", timeout=5)
    assert refused.value.code == 404
