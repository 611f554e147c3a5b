"""The live card channel (``iterplay/live_channel.py``): its route, and a session's end of it.

The route is served beside Streamlit's own by the ``st.App`` that ``app.py`` declares, so
``streamlit run app.py`` serves both. A page asks for ``/iterplay/live?t=<token>`` with the token
its session put in the page behaviour's data; the answer is a stream of server-sent events,
one per batch of cards, which ``page_behaviour.js`` adds to the page until Streamlit's own copy
of each card arrives.
"""

from __future__ import annotations

import streamlit as st
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from streamlit import config, runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from components.playground_state import Kept
from iterplay.live_channel import LiveCards, LiveChannel, find_channel

LIVE_ROUTE = "iterplay/live"


def _live_path() -> str:
    """The route's path, under the server's ``baseUrlPath`` as Streamlit's own routes are."""
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, LIVE_ROUTE) if part)


async def _live_stream(request: Request) -> Response:
    channel = find_channel(request.query_params.get("t", ""))
    if channel is None:
        return PlainTextResponse("No such live channel.", status_code=404)
    return StreamingResponse(
        channel.messages(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def live_routes() -> list[BaseRoute]:
    """The routes ``app.py``'s ``st.App`` adds to Streamlit's."""
    return [Route(_live_path(), _live_stream, methods=["GET"])]


def session_channel() -> LiveChannel:
    """This session's channel; the session state holds it, so it lives as long as the session,
    and it opens only while the session's page is connected (Streamlit keeps a closed tab's
    session for a while, and the app freezes its first session's objects for good)."""
    channel = st.session_state.get(Kept.LIVE_CHANNEL)
    if channel is None:
        ctx = get_script_run_ctx()
        session = ctx.session_id if ctx is not None else None
        channel = st.session_state[Kept.LIVE_CHANNEL] = LiveChannel(lambda: _connected(session))
    return channel


def _connected(session: str | None) -> bool:
    return (
        session is not None
        and runtime.exists()
        and runtime.get_instance().is_active_session(session)
    )


def live_url() -> str:
    """Where this session's page listens (the token is the only key to the channel)."""
    return f"{_live_path()}?t={session_channel().token}"


class LiveOut:
    """What one run's views hand the channel: each new card, at once, for the page to show."""

    def __init__(self, channel: LiveChannel, run: int) -> None:
        self.channel = channel
        self.run = run

    def send(self, container_key: str, html: str) -> None:
        """Cards to add at the end of the container keyed ``container_key``."""
        self.channel.publish(LiveCards(self.run, f".st-key-{container_key}", html))


def live_out(new_run: bool) -> LiveOut:
    """The channel's end for this script run's views (``new_run``: they start a run)."""
    number = st.session_state.get(Kept.LIVE_RUN_NUMBER, 0) + int(new_run)
    st.session_state[Kept.LIVE_RUN_NUMBER] = number
    return LiveOut(session_channel(), number)
