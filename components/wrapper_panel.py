"""Teaching panel: the Iterable wrapper as Python and JSON Schema, and the exact request."""

from __future__ import annotations

import json

import streamlit as st

from iterplay.request import MODES, ExtractionRequest, build_payload
from iterplay.wrapper import Wrapper


def wrapper_panel(wrapper: Wrapper, request: ExtractionRequest, quirks: str) -> None:
    with st.expander(f"🧩 The wrapper `{wrapper.name}` and the request"):
        python_tab, schema_tab, request_tab = st.tabs(["Python", "JSON Schema", "Request"])
        with python_tab:
            st.code(wrapper.python_source(), language="python")
            st.caption(
                f"What `Iterable[{wrapper.task_name}]` becomes, as instructor builds it. The "
                "model fills `tasks`; each element becomes a card as soon as it closes."
            )
        with schema_tab:
            st.code(wrapper.json_schema_text(), language="json")
        with request_tab:
            payload = build_payload(request, quirks)
            st.caption(
                f"Mode `{request.mode}`: {MODES[request.mode].summary}. The JSON comes back in "
                + (
                    "`delta.tool_calls[0].function.arguments`."
                    if MODES[request.mode].channel == "tool_call"
                    else "`delta.content`."
                )
            )
            st.code(json.dumps(payload, indent=2, ensure_ascii=False), language="json")
