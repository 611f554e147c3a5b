"""The Share box: a link that reopens this playground (never with a key or a base URL)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from components.inert_text import inert
from components.playground_state import Kept
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
    """The Share box, and the address bar kept in step with it.

    The URL always carries the current token, so a reload or a bookmark restores the playground
    (a new session reads ``?s=`` once, when it starts). The browser may apply the new address
    after the user's next edit has sent the old one back: that old token is never read again.
    """
    try:
        token = encode_state(state)
    except ShareLinkError as error:
        st.warning(
            f"{inert(error)} The address bar keeps the last version that fitted, so a reload "
            "would bring that back without your latest edits."
        )
        return
    if st.query_params.get("s") != token:
        st.query_params["s"] = token
    st.session_state[Kept.SHARE_APPLIED] = token
    with st.expander("🔗 Share this playground"):
        st.code(f"{app_base_url()}?s={token}", language=None, wrap_lines=True)
        st.caption(
            "The link carries the schema, text, prompt, model name and mode — never your API key "
            "or base URL. The address bar always holds it too: reload or bookmark this page to "
            "come back to it."
        )
