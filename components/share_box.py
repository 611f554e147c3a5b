"""The Share box: a link that reopens this playground (never with a key or a base URL)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from components.inert_text import inert
from iterplay.errors import ShareLinkError
from iterplay.share import SharedState, encode_state


def app_base_url() -> str:
    """This app's URL without query or fragment, as the browser reached it."""
    try:
        url = st.context.url or ""
    except AttributeError:
        url = ""
    if not url:
        host = st.context.headers.get("Host", "localhost:8501")
        url = f"http://{host}/"
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def share_box(state: SharedState) -> None:
    with st.expander("🔗 Share this playground"):
        try:
            token = encode_state(state)
        except ShareLinkError as error:
            st.warning(inert(error))
            return
        st.code(f"{app_base_url()}?s={token}", language=None, wrap_lines=True)
        st.caption(
            "The link carries the schema, text, prompt, model name and mode — never your API key "
            "or base URL."
        )
