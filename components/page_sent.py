"""Whether everything a script run has drawn so far has left the app for the browser.

Streamlit keeps a session's outgoing messages in a queue that its event loop empties every few
milliseconds, and the start of every full script run drops the page's messages still in it
(``ForwardMsgQueue.clear``): the new run redraws the page anyway. Extract's fast path breaks
that premise: a full run whose callback turns it into a rerun of the output alone
(``extract_pressed``) redraws no page, so the tail of the page run before it is lost and the
browser shows an older page until the next full run (seen on a loaded machine: the cases panel
stuck at "0 expected" after Ctrl+Enter, while the run was scored against the new list).
Streamlit has no public way to ask whether a message went out, so this reads the session's
queue; see docs/decisions.md.
"""

from __future__ import annotations

import time

from streamlit import config
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

POLL_SECONDS = 0.002


def wait_until_page_sent(timeout_seconds: float) -> bool:
    """True once the session's outgoing queue is empty, waiting up to ``timeout_seconds``.

    False when it does not empty in time or cannot be read (a Streamlit that keeps it
    elsewhere): the caller then assumes the page may not have arrived. Without a server
    (``AppTest``) messages are handed over as they are written: True.
    """
    if not Runtime.exists() or config.get_option("global.appTest"):
        return True  # AppTest's stand-in runtime: no server, no queue
    context = get_script_run_ctx()
    sessions = getattr(Runtime.instance(), "_session_mgr", None)
    if context is None or sessions is None:
        return False
    session_info = sessions.get_active_session_info(context.session_id)
    queue = getattr(session_info.session, "_browser_queue", None) if session_info else None
    if queue is None or not hasattr(queue, "is_empty"):
        return False
    deadline = time.monotonic() + timeout_seconds
    while not queue.is_empty():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True
