"""Gallery: worked examples that open in the playground and replay a recorded run.

Each example is a schema, a text, a note on what it teaches and a run recorded from a real
model (``iterplay.gallery``). Opening one puts its inputs in the playground and replays its
recording there, so it works with no provider, no key and no network; Extract then runs it
live on whatever model the sidebar names.
"""

from __future__ import annotations

from enum import StrEnum

import streamlit as st

from components.navigation import through_app_navigation
from components.replay_panel import open_run_file
from iterplay.gallery import Example, examples

COLUMNS = 2
SPEEDS = {1.0: "1×", 4.0: "4×", 0.0: "Instant"}


class GalleryKey(StrEnum):
    """Widget keys of this page (tests address the widgets by them)."""

    SPEED = "gallery_speed"
    OPEN = "gallery-open-"  # + the example's slug
    EXAMPLE = "gallery-example-"  # + the example's slug: the example's container


through_app_navigation()
st.title("Gallery")
st.markdown(
    "Worked examples, each with a run **recorded from a real model**. **Open** one: its schema "
    "and text go into the playground and the recorded run replays there, card by card, as it "
    "streamed — no provider, key or network needed. Then press **Extract** to try it live, "
    "edit the schema, or look at the stream on **How it works**."
)
speed = st.segmented_control(
    "Replay speed",
    list(SPEEDS),
    format_func=SPEEDS.get,
    default=1.0,
    required=True,
    key=GalleryKey.SPEED,
)


def example_card(example: Example) -> None:
    run = example.run_file
    with st.container(border=True, key=f"{GalleryKey.EXAMPLE}{example.slug}"):
        st.subheader(example.info.title)
        st.markdown(example.info.teaches)
        st.caption(
            f"{'JSON Schema' if example.kind == 'json_schema' else 'pydantic'} · "
            f"target {', '.join(run.target)} · recorded from `{run.model}` in `{run.mode}` mode"
        )
        with st.expander("Schema, text and what the model did"):
            st.code(example.schema, language="json" if example.kind == "json_schema" else "python")
            st.code(example.text, language=None, wrap_lines=True)
            st.markdown(example.note)
        if st.button("Open in playground", key=f"{GalleryKey.OPEN}{example.slug}", type="primary"):
            open_run_file(run, speed)
            st.switch_page("pages/playground.py")


shown = examples()
for first in range(0, len(shown), COLUMNS):  # row by row, so the page reads left to right
    row = shown[first : first + COLUMNS]
    for column, example in zip(st.columns(COLUMNS, gap="medium")[: len(row)], row, strict=True):
        with column:
            example_card(example)
