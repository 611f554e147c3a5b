"""Stream anatomy: one run, from the user's model to every character of its raw stream.

The How it works page draws a run (the playground's current one, or an opened run file) in the
order the data flows: the model, the ``Iterable{Name}`` wrapper, its JSON Schema, the exact
request, then the stream. The stream shows each character classified and coloured
(``iterplay.anatomy``), a scrubber over the recorded time, the cards that existed at that
moment, and a timeline chart. Choosing an element (its span in the stream) highlights its card,
and a card's button chooses it; both are the one ``ELEMENT_KEY`` widget value.

Everything the model sent is untrusted: it is HTML-escaped before it is placed in any HTML.
"""

from __future__ import annotations

import json
from html import escape

import altair as alt
import pandas as pd
import streamlit as st

from components.entity_cards import CARD_STYLE, card_html
from components.inert_text import inert
from iterplay.anatomy import Element, Moment, Part, Segment, StreamAnatomy, Timeline
from iterplay.events import Entity
from iterplay.limits import limits
from iterplay.request import MODES
from iterplay.run_file import RunFile
from iterplay.wrapper import wrapper_source

MOMENT_KEY = "anatomy-moment"  # the scrubber: seconds since the request was sent
ELEMENT_KEY = "anatomy-element"  # the element chosen in the stream (its index), or None
SHOWN_RUN_KEY = "anatomy-run"  # (recorded_at, scrubber end) of the run last shown
CARD_PREFIX = "anatomy-"  # cards are st-key-anatomy-entity-card-<k> / -invalid-card-<k>
MAX_CARDS = 200
_STEPS = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)

# Translucent colours over the page, so the classes read in light and dark themes alike.
ANATOMY_STYLE = """
<style>
.anatomy-stream { font-family: "Source Code Pro", ui-monospace, monospace; font-size: 0.8rem;
  white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.7;
  border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 0.5rem; padding: 0.6rem 0.8rem;
  max-height: 28rem; overflow-y: auto; }
.anatomy-legend { display: flex; flex-wrap: wrap; gap: 0.3rem 0.9rem; font-size: 0.8rem;
  margin-bottom: 0.4rem; }
.anatomy-legend span { white-space: nowrap; }
.anatomy-swatch { display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 0.2rem;
  vertical-align: middle; margin-right: 0.3rem; }
.anatomy-prose { background: rgba(128, 128, 128, 0.14); font-style: italic; }
.anatomy-fence { background: rgba(150, 90, 210, 0.28); }
.anatomy-wrapper { background: rgba(60, 120, 230, 0.24); }
.anatomy-element { background: rgba(40, 170, 90, 0.24); border-radius: 0.2rem; }
.anatomy-invalid { background: rgba(230, 70, 70, 0.26); border-radius: 0.2rem;
  text-decoration: underline wavy rgba(230, 70, 70, 0.9); }
.anatomy-separator { background: rgba(230, 180, 40, 0.35); }
.anatomy-unfinished { background: rgba(240, 140, 40, 0.16); outline: 1px dashed
  rgba(240, 140, 40, 0.9); }
.anatomy-selected { outline: 2px solid rgba(255, 75, 75, 0.95); outline-offset: 1px; }
.iterplay-card.anatomy-selected { box-shadow: 0 0 0 2px rgba(255, 75, 75, 0.95); }
</style>
"""


def model_section(run: RunFile) -> None:
    """1. The user's model, as written."""
    language = "python" if run.schema.kind == "pydantic" else "json"
    st.code(run.schema.source, language=language)


def wrapper_section(run: RunFile) -> None:
    """2. The ``Iterable{Name}`` wrapper generated around the run's target."""
    st.code(wrapper_source(run.target), language="python")


def schema_section(run: RunFile) -> None:
    """3. The wrapper's JSON Schema, as the run sent it."""
    st.code(json.dumps(run.wrapper_schema, indent=2, ensure_ascii=False), language="json")


def request_section(run: RunFile) -> None:
    """4. The exact chat-completions body the run sent (never a key: keys are headers)."""
    mode = MODES.get(run.mode)
    if mode is not None:
        where = (
            "`delta.tool_calls[0].function.arguments`"
            if mode.channel == "tool_call"
            else "`delta.content`"
        )
        st.caption(f"Mode `{inert(run.mode)}`: {mode.summary}. The JSON came back in {where}.")
    if run.request is None:
        st.caption("This run sent no request: the provider's settings refused it first.")
        return
    st.code(json.dumps(run.request, indent=2, ensure_ascii=False), language="json")


def stream_section(run: RunFile) -> None:
    """5. The stream: the scrubber, the raw text classified, the cards then, the timeline."""
    anatomy = StreamAnatomy(run.chunks, run.events)
    if not anatomy.chunks:
        st.caption("The model sent no text in this run, so there is no stream to take apart.")
        return
    _reset_widgets_for(run, anatomy)
    st.html(ANATOMY_STYLE + CARD_STYLE)
    moment = anatomy.at(_scrubber(anatomy))
    selected = _element_picker(anatomy)
    st.caption(_moment_summary(anatomy, moment, selected))
    stream_column, cards_column = st.columns([3, 2], gap="medium")
    with stream_column:
        st.html(legend_html())
        with st.container(key="anatomy-stream"):
            st.html(stream_html(moment, selected, limits().raw_pane_chars))
    with cards_column:
        _cards(moment, selected)
    with st.container(key="anatomy-timeline"):
        st.altair_chart(timeline_chart(anatomy.timeline(), moment.t), width="stretch")
    st.caption(
        "Characters received over time. Each dot is an element emitted: a card (green circle) "
        "or an element that failed validation (red cross); the dashed line is the first token, "
        "the grey line the moment shown above."
    )


def _reset_widgets_for(run: RunFile, anatomy: StreamAnatomy) -> None:
    """A run not shown before starts at its end (every card), with no element chosen; so does
    a run shown again after a visit to another page (Streamlit dropped the scrubber's value).
    A run still streaming keeps the chosen element, and a scrubber left at its end follows it."""
    end = _scrubber_end(anatomy)
    shown = st.session_state.get(SHOWN_RUN_KEY)
    if shown is None or shown[0] != run.recorded_at or MOMENT_KEY not in st.session_state:
        st.session_state[MOMENT_KEY] = end
        st.session_state[ELEMENT_KEY] = None
    elif st.session_state[MOMENT_KEY] == shown[1] or st.session_state[MOMENT_KEY] > end:
        st.session_state[MOMENT_KEY] = end
    st.session_state[SHOWN_RUN_KEY] = (run.recorded_at, end)


def _scrubber_step(anatomy: StreamAnatomy) -> float:
    """The finest of a few round steps that keeps the scrubber under about 500 positions."""
    return next((step for step in _STEPS if step * 500 >= anatomy.duration), _STEPS[-1])


def _scrubber_end(anatomy: StreamAnatomy) -> float:
    step = _scrubber_step(anatomy)
    return round(-(-anatomy.duration // step) * step, 4)


def _scrubber(anatomy: StreamAnatomy) -> float:
    end = _scrubber_end(anatomy)
    if end <= 0:
        return 0.0
    return st.slider(
        "Moment of the run (seconds since the request was sent)",
        min_value=0.0,
        max_value=end,
        step=_scrubber_step(anatomy),
        format="%.4f s",
        key=MOMENT_KEY,
        help="Drag back to see the stream and the cards as they were at that moment.",
    )


def _element_picker(anatomy: StreamAnatomy) -> Element | None:
    """The element chosen in the stream: its span and its card are highlighted."""
    indices = [element.index for element in anatomy.elements]
    if not indices:
        return None
    if st.session_state.get(ELEMENT_KEY) not in (None, *indices):
        st.session_state[ELEMENT_KEY] = None
    labels = {
        e.index: f"#{e.index}" + ("" if isinstance(e, Entity) else " ⚠️") for e in anatomy.elements
    }
    label = "Element in the stream (highlights its span and its card)"
    if len(indices) <= 24:
        index = st.segmented_control(
            label, indices, format_func=labels.__getitem__, key=ELEMENT_KEY
        )
    else:
        index = st.selectbox(
            label, indices, format_func=labels.__getitem__, key=ELEMENT_KEY, index=None
        )
    return None if index is None else anatomy.element(index)


def _moment_summary(anatomy: StreamAnatomy, moment: Moment, selected: Element | None) -> str:
    cards = len(moment.elements)
    summary = (
        f"At {moment.t:.4f} s: {moment.chunks} of {len(anatomy.chunks)} chunks, "
        f"{len(moment.text):,} of {len(anatomy.raw_text):,} characters, "
        f"{cards} of {len(anatomy.elements)} element{'s' if len(anatomy.elements) != 1 else ''} "
        "emitted."
    )
    if selected is not None and selected not in moment.elements:
        summary += (
            f" Element #{selected.index} is emitted at {selected.t:.4f} s: move the moment "
            "past it to see its card."
        )
    return summary


def legend_html() -> str:
    swatches = "".join(
        f'<span><span class="anatomy-swatch anatomy-{part.value}"></span>{escape(part.label)}'
        "</span>"
        for part in Part
    )
    return f'<div class="anatomy-legend">{swatches}</div>'


def stream_html(moment: Moment, selected: Element | None, max_chars: int) -> str:
    """The text received by the moment, each segment a span of its class; escaped throughout.

    At most ``max_chars`` characters are drawn (the raw pane's bound), with a note past it.
    """
    selected_index = None if selected is None else selected.index
    pieces = []
    for segment in moment.segments:
        if segment.start >= max_chars:
            break
        text = moment.text[segment.start : min(segment.end, max_chars)]
        chosen = selected_index is not None and segment.index == selected_index
        pieces.append(_segment_html(segment, text, moment, chosen))
    clipped = len(moment.text) > max_chars
    note = f"\n… {len(moment.text) - max_chars:,} more characters not drawn" if clipped else ""
    return f'<div class="anatomy-stream">{"".join(pieces)}{escape(note)}</div>'


def _segment_html(segment: Segment, text: str, moment: Moment, selected: bool) -> str:
    classes = f"anatomy-{segment.part.value}" + (" anatomy-selected" if selected else "")
    title = f"{segment.part.label}, {segment.place.value}"
    attributes = ""
    if segment.index is not None:
        element = next(e for e in moment.elements if e.index == segment.index)
        title = f"element #{segment.index}, emitted at {element.t:.4f} s"
        if not isinstance(element, Entity):
            title += ", failed validation: " + "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or '(element)'}: {error['msg']}"
                for error in element.errors
            )
        attributes = f' data-element="{segment.index}"'
    return f'<span class="{classes}"{attributes} title="{escape(title)}">{escape(text)}</span>'


def _cards(moment: Moment, selected: Element | None) -> None:
    """Exactly the cards that existed at the moment, each with a button that chooses it."""
    st.markdown(f"**Cards at {moment.t:.4f} s**")
    if not moment.elements:
        st.caption("No element had been emitted yet.")
        return
    with st.container(key="anatomy-cards", height=460):
        for element in moment.elements[:MAX_CARDS]:
            html = card_html(element, prefix=CARD_PREFIX)
            if selected is not None and element.index == selected.index:
                html = html.replace(
                    'class="iterplay-card', 'class="iterplay-card anatomy-selected', 1
                )
            st.html(html)
            st.button(
                f"Show #{element.index} in the stream",
                key=f"anatomy-show-{element.index}",
                on_click=_choose,
                args=(element.index,),
                type="tertiary",
            )
    if len(moment.elements) > MAX_CARDS:
        st.caption(f"The first {MAX_CARDS} of {len(moment.elements)} cards are drawn.")


def _choose(index: int) -> None:
    st.session_state[ELEMENT_KEY] = index


def timeline_chart(timeline: Timeline, now: float) -> alt.LayerChart:
    """Characters received over time, each emission marked (valid or not), the first token
    and the moment shown."""
    arrivals = pd.DataFrame(
        [{"seconds": a.t, "characters": a.characters} for a in timeline.arrivals]
    )
    emissions = pd.DataFrame(
        [
            {
                "seconds": e.t,
                "characters": e.characters,
                "element": f"#{e.index}",
                "emitted": "card" if e.valid else "failed validation",
            }
            for e in timeline.emissions
        ],
        columns=["seconds", "characters", "element", "emitted"],
    )
    x = alt.X("seconds:Q", title="seconds since the request was sent")
    received = (
        alt.Chart(arrivals)
        .mark_line(interpolate="step-after")
        .encode(x=x, y=alt.Y("characters:Q", title="characters received"))
    )
    kinds = alt.Scale(domain=["card", "failed validation"], range=["#2ca05a", "#e64646"])
    marks = (
        alt.Chart(emissions)
        .mark_point(filled=True, size=90)
        .encode(
            x=x,
            y="characters:Q",
            color=alt.Color("emitted:N", scale=kinds, title="element"),
            shape=alt.Shape(
                "emitted:N",
                scale=alt.Scale(domain=["card", "failed validation"], range=["circle", "cross"]),
                title="element",
            ),
            tooltip=["element", "emitted", "seconds", "characters"],
        )
    )
    layers: list[alt.Chart] = [received, marks]
    if timeline.first_token is not None:
        first = pd.DataFrame([{"seconds": timeline.first_token, "label": "first token"}])
        layers.append(
            alt.Chart(first).mark_rule(strokeDash=[4, 3]).encode(x=x, tooltip=["label", "seconds"])
        )
    layers.append(
        alt.Chart(pd.DataFrame([{"seconds": now}])).mark_rule(color="gray", opacity=0.6).encode(x=x)
    )
    return alt.layer(*layers).properties(height=240)
