"""The system prompt, folded away, with a way back to the default one."""

from __future__ import annotations

import streamlit as st

from components.playground_state import Input, keep, set_input
from iterplay.request import DEFAULT_SYSTEM_PROMPT


def system_prompt_box(max_chars: int) -> None:
    """Draw the prompt's text area and its Reset button (disabled while it is the default)."""
    with st.expander("System prompt"):
        st.text_area(
            "System prompt",
            key=Input.SYSTEM_PROMPT,
            height=120,
            max_chars=max_chars,
            on_change=keep,
            args=(Input.SYSTEM_PROMPT,),
        )
        st.button(
            "Reset to the default prompt",
            key="reset_system_prompt",
            on_click=set_input,
            args=(Input.SYSTEM_PROMPT, DEFAULT_SYSTEM_PROMPT),
            disabled=st.session_state[Input.SYSTEM_PROMPT] == DEFAULT_SYSTEM_PROMPT,
        )
