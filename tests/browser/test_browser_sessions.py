"""Many users at once: eight browser sessions stream together, each sees only its own cards."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from iterplay.share import SharedState
from iterplay.testing import Piece, Reply
from tests.browser.playground_page import share_link

pytestmark = pytest.mark.browser

SESSIONS = 8
PEOPLE_PER_SESSION = 3
USER = "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"


def people_of(session: int) -> list[dict]:
    return [{"name": f"s{session}-person{k}", "age": 10 * session + k} for k in range(3)]


def held_after_the_first(people: list[dict], gate: str) -> Reply:
    """The first person at once, the others once the test opens ``gate``."""
    text = json.dumps({"tasks": people})
    first_end = text.index("}") + 1
    rest = text[first_end:]
    middle = len(rest) // 2
    pieces = (Piece(text[:first_end]), Piece(rest[:middle], after=gate), Piece(rest[middle:]))
    return Reply(pieces=pieces, channel="tool_call")


def test_eight_sessions_streaming_at_once_each_get_exactly_their_own_cards(
    new_playground, app, provider_server, request
):
    """Every session's run is held after its first card until all eight show one, so the
    eight streams are provably open together; then they are let go at once."""
    tag = request.node.name
    playgrounds = []
    for session in range(SESSIONS):
        model = f"{tag}-{session}"
        provider_server.script(model, held_after_the_first(people_of(session), gate=tag))
        state = SharedState(schema=USER, text=f"Session {session}.", model=model, mode="tools")
        playgrounds.append(new_playground().open(share_link(app.url, state)))

    for playground in playgrounds:
        playground.extract_button.click()
    for playground in playgrounds:
        expect(playground.entity_card(0)).to_be_visible()
    for playground in playgrounds:
        expect(playground.ending).to_have_count(0)  # all eight still streaming
    provider_server.open_gate(tag)

    for session, playground in enumerate(playgrounds):
        assert "Complete" in playground.wait_for_ending()
        expect(playground.entity_cards).to_have_count(PEOPLE_PER_SESSION)
        expect(playground.invalid_cards).to_have_count(0)
        assert playground.all_card_fields() == [
            {"name": person["name"], "age": str(person["age"])} for person in people_of(session)
        ]
        others = [f"s{other}-person" for other in range(SESSIONS) if other != session]
        page_text = playground.page_text()
        assert not [name for name in others if name in page_text]
