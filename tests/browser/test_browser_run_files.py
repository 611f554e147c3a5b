"""Run files in the browser: a share link with a recorded run replays it with no provider, says
it is a replay, and the run on screen downloads as a run file that replays the same."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from iterplay.run_file import parse_run_file, run_file_data
from iterplay.share import SharedState
from iterplay.testing import Reply
from tests.browser.conftest import TWO_USERS
from tests.browser.playground_page import eventually, share_link
from tests.recorded_runs import USER, recorded_run_file

pytestmark = pytest.mark.browser

TEXT = "Jason is 10 and John is 30."


def test_a_share_link_with_a_recording_replays_it_with_no_provider(
    new_playground, embedded_app, provider_server, tmp_path
):
    recording = recorded_run_file(
        provider_server,
        Reply.from_text(TWO_USERS, channel="tool_call"),
        model="recorded-for-a-link",
        text=TEXT,
    )
    # The app serving the link has no provider configured, and nothing is started for a replay.
    link = share_link(embedded_app.url, SharedState(schema=USER, text=TEXT, run=recording))
    playground = new_playground().open(link)
    assert "Complete — The stream completed." in playground.wait_for_ending()
    assert playground.all_card_fields() == [
        {"name": "Jason", "age": "10"},
        {"name": "John", "age": "30"},
    ]
    notice = playground.page.locator(".st-key-replay-notice")
    expect(notice).to_contain_text(re.compile(r"Replay of a run recorded on \d{4}-\d\d-\d\d at"))
    expect(notice).to_contain_text("recorded-for-a-link")
    expect(notice).to_contain_text("no provider is called")
    expect(notice).to_contain_text("Validated against the recorded schema")
    assert "Starting the embedded model" not in playground.page.content()

    # Streamlit draws a button with help twice, one of them hidden.
    run_file_button = playground.page.locator(".st-key-download_run_file button:visible")
    with playground.page.expect_download() as download:
        run_file_button.click()
    path = tmp_path / "run.json"
    download.value.save_as(path)
    downloaded = parse_run_file(path.read_text(encoding="utf-8"), "run.json")
    assert "".join(chunk.text for chunk in downloaded.chunks) == TWO_USERS
    assert json.loads(path.read_text(encoding="utf-8"))["model"] == "recorded-for-a-link"


def test_a_run_file_of_the_schema_kind_on_screen_replaces_the_editors_text(
    playground, app, provider_server, tmp_path
):
    """The editor was mounted again under the key it had, so it kept the old schema (Pet)
    while the page used the run file's (User), and the next keystroke brought Pet back."""
    recording = recorded_run_file(
        provider_server, Reply.from_text(TWO_USERS, channel="tool_call"), text=TEXT
    )
    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps(run_file_data(recording)), encoding="utf-8")
    pet = "from pydantic import BaseModel\n\nclass Pet(BaseModel):\n    kind: str\n"
    playground.open(share_link(app.url, SharedState(schema=pet, text="Pets.")))
    panel = playground.open_expander("Open a run file")
    panel.get_by_role("radiogroup").get_by_text("Instant", exact=True).click()
    expect(panel.get_by_role("radio", name="Instant")).to_be_checked()
    panel.locator("input[type=file]").set_input_files(run_file)
    assert "Complete" in playground.wait_for_ending()
    eventually(lambda: playground.editor_text() == recording.schema.source)

    playground.type_at_end_of_editor("    email: str")
    eventually(lambda: "email: str" in playground.editor_text())
    assert "class User(BaseModel)" in playground.editor_text()
    assert "Pet" not in playground.editor_text()
