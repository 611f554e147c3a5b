"""A keyed container that a new run starts empty at once, not when its script run ends.

Streamlit keeps the previous script run's elements on screen, faded, until this run draws over
them or ends; a container drawn again at the same place even keeps its old children. For a run
that streams for seconds, the previous run's cards and raw text would stay beside the new ones.
So the container takes turns between two slots: a new run draws it in the slot the previous run
left empty, and empties the slot the previous run drew it in, at once. Any other script run
draws it where it was, so the browser keeps the same element (and its scroll position).
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.playground_state import Kept


def fresh_container(key: str, new_run: bool, **options) -> DeltaGenerator:
    """``st.container(key=key, **options)``; without the previous run's children if ``new_run``."""
    turns: dict[str, int] = st.session_state.setdefault(Kept.CONTAINER_TURNS, {})
    if new_run:
        turns[key] = 1 - turns.get(key, 0)
    slots = (st.empty(), st.empty())
    return slots[turns.get(key, 0)].container(key=key, **options)
