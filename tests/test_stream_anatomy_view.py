"""The stream anatomy view under AppTest, drawn from a run file recorded for real.

The run (``iterplay extract --save`` against the scripted server) streams a valid element, an
invalid one and another valid one, a pause apart, after a line of prose: enough to see every
section, each class of character, the scrubber changing the cards and the chart.
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from iterplay.run_file import RunFile, parse_run_file, write_run_file
from iterplay.testing import Reply, ScriptedServer
from tests.test_cli import JASON, JOHN, USER_PY
from tests.test_replay import BOB_TOO_OLD, Case, _record

PIECES = [
    "Sure:\n",
    '{"tasks": [',
    JASON,
    ", ",
    BOB_TOO_OLD.replace('"Bob"', '"<img src=x onerror=alert(1)>"'),
    ", ",
    JOHN,
    "]}",
]
STREAMED = Case(
    "anatomy view", (Reply.from_pieces(PIECES, pause=0.05, channel="tool_call"),), mode="tools"
)


def _view(path: str) -> None:
    """The five sections of the How it works page for the run file at ``path``."""
    from pathlib import Path

    from components import stream_anatomy
    from iterplay.run_file import parse_run_file

    run = parse_run_file(Path(path).read_text(encoding="utf-8"), "run.json")
    stream_anatomy.model_section(run)
    stream_anatomy.wrapper_section(run)
    stream_anatomy.schema_section(run)
    stream_anatomy.request_section(run)
    stream_anatomy.stream_section(run)


@pytest.fixture(scope="module")
def run_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("anatomy-view")
    (folder / "user.py").write_text(USER_PY, encoding="utf-8")
    with ScriptedServer() as server:
        return _record(STREAMED, server, folder).run_file


@pytest.fixture(scope="module")
def run(run_path: Path) -> RunFile:
    return parse_run_file(run_path.read_text(encoding="utf-8"), "run.json")


@pytest.fixture
def view(run_path: Path) -> AppTest:
    app = AppTest.from_function(_view, args=(str(run_path),), default_timeout=30).run()
    assert not app.exception
    return app


def stream_html(app: AppTest) -> str:
    return next(
        block.proto.body for block in app.html if 'class="anatomy-stream"' in block.proto.body
    )


def shown_text(app: AppTest) -> str:
    """The raw text the stream view shows, as a reader sees it (tags gone, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", stream_html(app)))


def cards(app: AppTest) -> list[str]:
    """The keys of the cards drawn, in order."""
    bodies = "".join(block.proto.body for block in app.html)
    return re.findall(r"st-key-(anatomy-(?:entity|invalid)-card-\d+)", bodies)


def test_the_sections_follow_the_data_from_the_model_to_the_request(view, run):
    codes = [block.value for block in view.code]

    assert codes[0] == USER_PY.strip()
    assert codes[1].startswith("class IterableUser(BaseModel):")
    assert '"title": "IterableUser"' in codes[2]
    assert '"tool_choice"' in codes[3] and '"stream": true' in codes[3]


def test_the_stream_shows_every_character_received_once_in_its_class(view, run):
    raw = "".join(chunk.text for chunk in run.chunks)

    assert shown_text(view) == raw
    classes = set(re.findall(r"<span class=\"anatomy-(\w+)", stream_html(view)))
    assert classes == {"prose", "wrapper", "element", "invalid", "separator"}


def test_model_text_is_escaped_in_the_stream_and_the_cards(view):
    bodies = "".join(block.proto.body for block in view.html)

    assert "<img" not in bodies
    assert "&lt;img src=x onerror=alert(1)&gt;" in stream_html(view)


def test_at_first_the_whole_run_and_every_card_are_shown(view):
    assert cards(view) == [
        "anatomy-entity-card-0",
        "anatomy-invalid-card-1",
        "anatomy-entity-card-2",
    ]


def test_at_first_no_element_is_chosen_and_nothing_is_outlined(view):
    assert view.segmented_control(key="anatomy-element").value is None
    bodies = "".join(block.proto.body for block in view.html)
    assert re.findall(r'class="[^"]*anatomy-selected', bodies) == []


def test_the_scrubber_shows_the_text_and_exactly_the_cards_of_that_moment(view, run):
    first, second = run.events[0].t, run.events[1].t
    moment = round((first + second) / 2, 4)

    view.slider(key="anatomy-moment").set_value(moment).run()

    received = "".join(chunk.text for chunk in run.chunks if round(chunk.t, 4) <= moment)
    assert shown_text(view) == received
    assert cards(view) == ["anatomy-entity-card-0"]


def test_before_the_first_element_no_card_exists(view, run):
    view.slider(key="anatomy-moment").set_value(0.0).run()

    assert cards(view) == []
    assert any("No element had been emitted yet" in caption.value for caption in view.caption)


def test_choosing_an_element_highlights_its_span_and_its_card(view, run):
    view.segmented_control(key="anatomy-element").set_value(1).run()

    selected = re.findall(
        r'<span class="anatomy-\w+ anatomy-selected"[^>]*>([^<]*)<', stream_html(view)
    )
    start, end = run.events[1].span
    assert [html.unescape(text) for text in selected] == [
        "".join(c.text for c in run.chunks)[start:end]
    ]
    bodies = "".join(block.proto.body for block in view.html)
    assert re.findall(r'class="iterplay-card anatomy-selected[^"]*st-key-(\S+)"', bodies) == [
        "anatomy-invalid-card-1"
    ]


def test_a_card_button_chooses_its_element_in_the_stream(view):
    view.button(key="anatomy-show-2").click().run()

    assert view.segmented_control(key="anatomy-element").value == 2
    assert re.findall(r'anatomy-selected" data-element="(\d+)"', stream_html(view)) == ["2"]


def test_the_timeline_chart_marks_each_emission_and_the_first_token(view):
    charts = view.get("vega_lite_chart")

    assert len(charts) == 1
    spec = charts[0].proto.spec
    assert '"step-after"' in spec and '"rule"' in spec
    assert '"failed validation"' in spec and '"card"' in spec


def test_a_run_still_streaming_keeps_the_chosen_element_and_the_scrubber_follows_its_end(
    run, tmp_path
):
    path = tmp_path / "run.json"
    so_far = dataclasses.replace(run, chunks=run.chunks[:4], events=run.events[:1], end=None)
    write_run_file(path, so_far)
    app = AppTest.from_function(_view, args=(str(path),), default_timeout=30).run()
    app.segmented_control(key="anatomy-element").set_value(0).run()
    assert cards(app) == ["anatomy-entity-card-0"]

    write_run_file(path, run)
    app.run()

    assert app.segmented_control(key="anatomy-element").value == 0
    assert cards(app) == [
        "anatomy-entity-card-0",
        "anatomy-invalid-card-1",
        "anatomy-entity-card-2",
    ]
