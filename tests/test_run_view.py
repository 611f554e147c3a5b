"""What a run's view sends to the browser (AppTest): every element it sends is a render there."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _three_clock_ticks() -> None:
    import streamlit as st

    from components.run_view import RunView
    from iterplay.run_log import RunLog

    view = RunView(st.container(), st.container())
    sent: dict[str, list[str]] = {"caption": [], "stats": []}
    caption, stats = view.raw_caption.caption, view.stats_slot.markdown
    view.raw_caption.caption = lambda body: sent["caption"].append(body) or caption(body)
    view.stats_slot.markdown = lambda body: sent["stats"].append(body) or stats(body)
    log = RunLog()
    for _ in range(3):  # what a tick does while the provider is silent
        view.panes_stale = True
        view.draw(log, force=True)
    st.session_state["sent"] = sent


def test_a_clock_tick_sends_the_stats_line_and_not_an_unchanged_raw_caption():
    app = AppTest.from_function(_three_clock_ticks, default_timeout=30).run()
    assert not app.exception
    sent = app.session_state["sent"]
    assert len(sent["stats"]) == 3
    assert len(sent["caption"]) == 1 and sent["caption"][0].startswith("0 chunks")
