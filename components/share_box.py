"""The Share box: a link that reopens this playground (never with a key or a base URL); and,
under a run once it is over, a link that carries the run too, whose opening replays it with no
provider (or, past the size bound, its run file to download instead)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from components.inert_text import inert
from components.playground_state import Kept
from iterplay.errors import ShareLinkError
from iterplay.run_file import RunFile, run_file_json
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
            "come back to it. To share a run too, use **Share with this run** under its results."
        )


def share_run_box(state: SharedState, run: RunFile) -> None:
    """A link to the playground with ``run`` (over) in it; past the size bound, its run file.

    The address bar keeps the link without the run: a reload restores the inputs, it does not
    replay anything.
    """
    with st.expander("🔗 Share with this run"):
        _link_with_run(state, run)


def _link_with_run(state: SharedState, run: RunFile) -> None:
    try:
        token = encode_state(replace(state, run=run))
    except ShareLinkError as error:
        st.warning(inert(error), icon="📦")
        st.download_button(
            "Download the run file",
            data=lambda: run_file_json(run),
            file_name="iterplay-run.json",
            mime="application/json",
            key="share_run_file",
            on_click="ignore",
            icon=":material/download:",
        )
        return
    with st.container(key="share-run-link"):
        st.code(f"{app_base_url()}?s={token}", language=None, wrap_lines=True)
    st.caption(
        "Opening this link restores the inputs and replays this run as it was recorded, with "
        "no provider and no key."
    )
