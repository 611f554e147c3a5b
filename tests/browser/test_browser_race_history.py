"""Issue 10's "done when", end to end: one schema on two models side by side, both streaming,
the prompt edited while they run, the lane diff, and both runs found again in the History after
the app is restarted (a new process on the same history file, opened on a link to /history).

Real parts throughout: the scripted provider over HTTP, two app processes one after the other,
chromium. It starts its own app processes, so it never shares a history with other tests.
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from iterplay.history import History
from iterplay.share import SharedState
from iterplay.testing import Reply
from tests.browser.conftest import VIEWPORT, scripted_provider_env
from tests.browser.harness import AppProcess
from tests.browser.playground_page import USER, Playground, share_link

TEXT = "Ann is 31, Bob is 42 and Cy is 7. Zed is 99."
LANE_0 = '{"tasks": [{"name": "Ann", "age": 31}, {"name": "Bob", "age": 42}]}'
LANE_1 = '{"tasks": [{"name": "Zed", "age": 99}, {"name": "Ann", "age": 31}]}'


def test_two_models_side_by_side_are_found_again_in_the_history_after_a_restart(
    browser, provider_server, artifacts_dir, tmp_path, request
):
    name = request.node.name
    models, gates = [f"{name}-a", f"{name}-b"], [f"{name}-gate-a", f"{name}-gate-b"]
    for model, text, gate in zip(models, (LANE_0, LANE_1), gates, strict=True):
        provider_server.script(
            model, Reply.held_after_first_element(text, gate, channel="tool_call")
        )
    env = scripted_provider_env(provider_server, tmp_path / "logs") | {
        "ITERPLAY_DB": str(tmp_path / "history.db")
    }
    lane = {"model": models[1], "mode": None, "system_prompt": None, "temperature": None}
    state = SharedState(schema=USER, text=TEXT, model=models[0], mode="tools", lanes=[lane])

    with AppProcess(env, artifacts_dir / "race-history-app-1.log") as first:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            playground = Playground(context.new_page()).open(share_link(first.url, state))
            playground.extract_button.click()
            page = playground.page
            expect(playground.entity_card(0)).to_contain_text("Ann")
            expect(page.locator(".st-key-lane1-entity-card-0")).to_contain_text("Zed")

            playground.open_expander("System prompt")
            prompt = playground.text_field("system_prompt")  # edited while both lanes stream
            prompt.fill("Extract every person, with their age.")
            prompt.press("Tab")  # commits it; Ctrl+Enter would start a new run
            expect(page.get_by_text("Out of date")).to_be_visible()
            expect(playground.ending).to_have_count(0)

            for gate in gates:
                provider_server.open_gate(gate)
            expect(playground.ending).to_have_count(2, timeout=30_000)
            assert [card["name"] for card in playground.all_card_fields()] == ["Ann", "Bob"]
            expect(page.locator(".st-key-lane1-entity-card-1")).to_contain_text("Ann")
            expect(
                page.get_by_text(re.compile(r"^Lane diff — 1 found by all lanes"))
            ).to_be_visible()
            page.screenshot(path=artifacts_dir / "race-history-1.png", full_page=True)
        finally:
            context.close()

    with AppProcess(env, artifacts_dir / "race-history-app-2.log") as second:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(f"{second.url}history")
            expect(page.get_by_role("heading", name="History", level=1)).to_be_visible(
                timeout=30_000
            )
            page.get_by_role("combobox", name="Run").click()
            options = page.get_by_role("option")
            expect(options).to_have_count(2)
            race = r"complete · 2 entities · race \w{8} lane"
            lane_one = options.filter(has_text=re.compile(rf"· {models[1]} · tools · {race} 1$"))
            expect(options.filter(has_text=re.compile(rf"· {models[0]} · tools · {race} 0$")))
            expect(lane_one).to_have_count(1)
            lane_one.click()
            page.get_by_role("button", name="Open in playground").click()
            opened = Playground(page).ready()
            expect(opened.entity_card(0)).to_contain_text("Zed")
            expect(opened.entity_card(1)).to_contain_text("Ann")
            expect(opened.source_text).to_have_value(TEXT)
            page.screenshot(path=artifacts_dir / "race-history-2.png", full_page=True)
        finally:
            context.close()
    for process in (first, second):
        assert "Traceback" not in process.log_text()


def test_a_run_of_an_app_killed_mid_stream_is_kept_as_incomplete_with_what_arrived(
    browser, provider_server, artifacts_dir, tmp_path, request
):
    """Issue 10: the process killed while a run streams (no handler runs): the history keeps
    the run as incomplete, with the card that had arrived."""
    model, gate = f"{request.node.name}-model", f"{request.node.name}-never-opened"
    provider_server.script(model, Reply.held_after_first_element(LANE_0, gate, channel="tool_call"))
    db = tmp_path / "history.db"
    env = scripted_provider_env(provider_server, tmp_path / "logs") | {"ITERPLAY_DB": str(db)}
    state = SharedState(schema=USER, text=TEXT, model=model, mode="tools")
    with AppProcess(env, artifacts_dir / "killed-app.log") as app:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            playground = Playground(context.new_page()).open(share_link(app.url, state))
            playground.extract_button.click()
            expect(playground.entity_card(0)).to_contain_text("Ann")
            app.kill()
        finally:
            context.close()
    with History(db) as history:
        [summary] = history.list_runs()
        run = history.run(summary.id)
    assert (summary.model, summary.outcome, summary.entities) == (model, "incomplete", 1)
    assert "Ann" in json.dumps(run["events"]) and "Bob" not in json.dumps(run["events"])
