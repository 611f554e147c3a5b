"""The Gallery page under AppTest: every example listed, and opening one puts its inputs in the
playground and replays its recorded run there, with a provider nobody listens on."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from iterplay.events import Entity
from iterplay.gallery import EXAMPLE_INFO, load_example
from tests.apptest_page import html_texts
from tests.browser.harness import free_port

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def offline_env(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-nobody-listens")
    monkeypatch.setenv("ITERPLAY_DB", str(tmp_path / "history.db"))


def gallery_page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30).run()
    return app.switch_page("pages/gallery.py").run()


def test_the_gallery_lists_every_example_with_an_open_button(offline_env):
    app = gallery_page()
    assert not app.exception
    assert [s.value for s in app.subheader] == [info.title for info in EXAMPLE_INFO]
    for info in EXAMPLE_INFO:
        assert app.button(key=f"gallery-open-{info.slug}").label == "Open in playground"


@pytest.mark.parametrize("slug", ["books", "invoice"])
def test_opening_an_example_restores_its_inputs_and_replays_its_run(offline_env, slug):
    example = load_example(slug)
    app = gallery_page()
    app.segmented_control(key="gallery_speed").set_value(0.0).run()
    app.button(key=f"gallery-open-{slug}").click().run()
    assert not app.exception
    assert app.text_area(key="source_text").value == example.text
    assert app.radio(key="schema_kind").value == example.kind
    log = app.session_state["active_run"]
    assert log.finished
    recorded = [e for e in example.run_file.events if e.type in ("entity", "invalid")]
    assert [(e.type, e.index, e.span) for e in log.elements] == [
        (e.type, e.index, e.span) for e in recorded
    ]
    cards = "".join(html_texts(app))
    for event in recorded:
        if isinstance(event, Entity):
            assert f'st-key-entity-card-{event.index}"' in cards
        else:
            assert f'st-key-invalid-card-{event.index}"' in cards
    shown = " ".join(str(e.value) for e in [*app.info, *app.success, *app.warning])
    assert "replay" in shown.lower()
    assert "sk-nobody-listens" not in cards
