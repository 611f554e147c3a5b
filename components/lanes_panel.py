"""Lanes: the variants raced beside lane 0 (the sidebar's settings), set under the inputs.

Each lane changes any of model, mode, system prompt and temperature, and may run on the
embedded model instead of the sidebar's provider; an empty field keeps lane 0's value. The lanes
are kept apart from their widgets (``Kept.LANES``), so they outlive a visit to another page and
travel in share links.
"""

from __future__ import annotations

import streamlit as st

from components.playground_state import Kept
from iterplay.lanes import MAX_LANES, LaneSettings
from iterplay.request import MODES

SAME = "as lane 0"
ON_SIDEBAR, ON_EMBEDDED = "the sidebar's provider", "the embedded model"


def current_lanes() -> list[LaneSettings]:
    return list(st.session_state.get(Kept.LANES, []))


def replace_lanes(lanes: list[LaneSettings]) -> None:
    """Set the lanes from code (a share link): every lane's widgets show them."""
    st.session_state[Kept.LANES] = list(lanes[: MAX_LANES - 1])
    for key in [key for key in st.session_state if str(key).startswith("lane-setting-")]:
        del st.session_state[key]


def lanes_panel(sidebar_embedded: bool) -> list[LaneSettings]:
    """Draw each lane's settings and the **Add lane** button; the lanes as set now."""
    lanes = current_lanes()
    kept: list[LaneSettings] = []
    for number, lane in enumerate(lanes, start=1):
        edited = _lane_settings(number, lane, sidebar_embedded)
        if edited is None:  # removed: the lanes after it move up a number
            replace_lanes([*kept, *lanes[number:]])
            st.rerun()
        kept.append(edited)
    if kept != lanes:
        st.session_state[Kept.LANES] = kept
    if len(kept) < MAX_LANES - 1 and st.button(
        "Add lane",
        key="add-lane",
        help="Race a variant of this run (another model, mode, prompt or temperature) beside "
        f"it: up to {MAX_LANES} lanes stream at once on the same schema and text.",
    ):
        st.session_state[Kept.LANES] = [*kept, LaneSettings()]
        st.rerun()
    return kept


def _lane_settings(number: int, lane: LaneSettings, sidebar_embedded: bool) -> LaneSettings | None:
    """One lane's expander; None once its Remove button is pressed."""
    key = f"lane-setting-{number}-"
    _seed(key, lane)
    with st.expander(f"Lane {number}", expanded=True):
        left, right = st.columns(2)
        provider = ON_EMBEDDED
        if not sidebar_embedded:
            provider = left.radio("Runs on", [ON_SIDEBAR, ON_EMBEDDED], key=key + "provider")
        model = left.text_input(
            "Model",
            key=key + "model",
            placeholder=SAME,
            disabled=provider == ON_EMBEDDED,
            help="The embedded model has one model." if provider == ON_EMBEDDED else None,
        )
        mode = right.selectbox("Mode", [SAME, *MODES], key=key + "mode")
        temperature = right.number_input(
            "Temperature", 0.0, 2.0, step=0.05, key=key + "temperature", placeholder=SAME
        )
        prompt = st.text_area("System prompt", key=key + "prompt", placeholder=SAME, height=80)
        if st.button("Remove lane", key=key + "remove"):
            return None
    return LaneSettings(
        model=model.strip() or None if provider == ON_SIDEBAR else None,
        mode=None if mode == SAME else mode,
        system_prompt=prompt or None,
        temperature=temperature,
        embedded=True if provider == ON_EMBEDDED else None,
    )


def _seed(key: str, lane: LaneSettings) -> None:
    """Give the lane's widgets its kept values where Streamlit dropped them (a page change)."""
    defaults = {
        "provider": ON_EMBEDDED if lane.embedded else ON_SIDEBAR,
        "model": lane.model or "",
        "mode": lane.mode or SAME,
        "temperature": lane.temperature,
        "prompt": lane.system_prompt or "",
    }
    for suffix, value in defaults.items():
        st.session_state.setdefault(key + suffix, value)
