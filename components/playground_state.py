"""Every key the playground keeps in ``st.session_state``, and how its inputs outlive a page.

Streamlit drops the value of a widget that a run did not draw: on another page, or the mode box
of the provider kind not chosen. Drawn again, the widget would start from its default. So each
input's value is kept under a key no widget uses (``kept.<widget key>``), recorded when the user
changes the widget (``keep``, its ``on_change``) or code sets it (``set_input``): Streamlit's
documented "save widget values in a dummy key" pattern. ``restore_inputs`` hands the kept value
back to the widget before it is drawn: in every run after another page was shown until one run
has drawn all the inputs (the browser mounts the widgets afresh and needs the values sent along),
and wherever the widget's value is not the kept one (a dropped widget's key can still hold what
was written before it was first drawn). It does not hand values back on every run: that would
send each value to the browser again and overwrite what the user is typing when a rerun ends.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Any

import streamlit as st

from components.page_sent import wait_until_page_sent

# How long a page run waits for its messages to go out (a few ms unless the server is starved).
PAGE_SENT_TIMEOUT_SECONDS = 0.5


class Input(StrEnum):
    """Widget keys of the playground's inputs (tests address the widgets by them)."""

    SCHEMA_KIND = "schema_kind"
    SOURCE_TEXT = "source_text"
    SYSTEM_PROMPT = "system_prompt"
    PROVIDER_KIND = "provider_kind"
    BASE_URL = "base_url"
    API_KEY = "api_key"
    MODEL_NAME = "model_name"
    MODE_EMBEDDED = "mode_embedded"
    MODE_REMOTE = "mode_remote"
    TEMPERATURE = "temperature"
    MAX_TOKENS = "max_tokens"
    STRICT = "strict"
    ENTITY_VIEW = "entity_view"


class Kept(StrEnum):
    """State that no widget owns, so Streamlit never drops it."""

    SCHEMA_TEXTS = "schema_texts"  # {kind: text}: each kind's editor text
    SCHEMA_CONVERSION = "schema_conversion"  # the last SchemaConversion made by a kind switch
    SCHEMA_NOTE = "schema_note"  # what a kind switch did, said once under the editor
    EDITOR = "schema_editor"  # EditorMount: the editor widget now mounted
    TARGETS = "targets"  # the target models last chosen (or from a link)
    ACTIVE_RUN = "active_run"  # the RunLog of the current or last run
    LIVE_RUN = "live_run"  # the SessionRun still going, if any (see iterplay.session_run)
    SESSION_RUN = "session_run"  # the SessionRun of the current or last run, live or ended
    OPENED_RUN_FILE = "opened_run_file"  # an OpenedRunFile to replay, until the playground does
    RUN_FILE_PROBLEM = "run_file_problem"  # why the run file chosen could not be opened, said once
    LANES = "lanes"  # [LaneSettings]: the variants raced beside lane 0 (see lanes_panel)
    RACE = "race"  # {lane: LaneRun} for lanes 1 and up of the last Extract (see playground)
    SHARE_APPLIED = "share_applied"  # the ?s= token the session started with, or last wrote
    SHARE_ERROR = "share_error"  # why the ?s= token could not be loaded, said once
    CASES = "cases"  # CaseSet: texts with their expected entities (see cases_panel)
    CASES_VERSION = "cases_version"  # bumped when code changes a case, to re-seed its editor
    CASES_PROBLEM = "cases_problem"  # why the expected list as typed cannot be used
    PAGE_SHOWN = "page_shown"  # the title of the page this run shows
    INPUTS_SENT = "inputs_sent"  # a run on this page drew every input, values included
    CONTAINER_TURNS = "container_turns"  # {key: slot}: see components.fresh_container
    LINK_MODEL = "link_model"  # the link author's model, when this server cannot run it
    RUN_HISTORY = "run_history"  # the HistoryWriter of the current or last run
    OPENED_RUN = "opened_run"  # an OpenedRun the History page sent, until the playground shows it
    SHOWN_HISTORY_RUN = "shown_history_run"  # that OpenedRun, while its log is on screen
    START = "start"  # what the output starts in its next run (a Start or ReplayOf), taken once
    EXTRACT_ASKED = "extract_asked"  # Extract was pressed and only the output reruns for it
    EXTRACT_AFTER_REDRAW = "extract_after_redraw"  # ... but the page must be drawn first
    PAGE_WIDGETS = "page_widgets"  # {key: value} of every widget when the page was last drawn
    INPUTS_DRAWN = "inputs_drawn"  # the inputs drawn_again() saw in the page's last run
    INPUTS_DRAWING = "inputs_drawing"  # ... and those it has seen in this run so far
    LIVE_CHANNEL = "live_channel"  # the session's LiveChannel (see components.live_cards)
    LIVE_RUN_NUMBER = "live_run_number"  # counts runs, so the page tells one run's cards apart


def kept_key(key: Input) -> str:
    return f"kept.{key}"


def keep(key: Input) -> None:
    """The ``on_change`` of an input widget: record its new value apart from the widget."""
    st.session_state[kept_key(key)] = st.session_state[key]


def set_input(key: Input, value: Any) -> None:
    """Set an input from code (defaults, a share link), the widget and its kept value alike."""
    st.session_state[kept_key(key)] = st.session_state[key] = value


def default_input(key: Input, value: Any) -> None:
    if kept_key(key) not in st.session_state:
        set_input(key, value)


def note_page_shown(title: str) -> None:
    """Called by the entry point on every run with the page it runs: a page change means the
    browser mounts the playground's widgets afresh, so they need their values sent along."""
    state = st.session_state
    if state.get(Kept.PAGE_SHOWN) != title:
        state.pop(Kept.INPUTS_SENT, None)
    state[Kept.PAGE_SHOWN] = title


def restore_inputs() -> None:
    """Hand kept values back to their widgets where needed; call before any input is drawn."""
    state = st.session_state
    state[Kept.INPUTS_DRAWN] = state.pop(Kept.INPUTS_DRAWING, frozenset())
    sent = state.get(Kept.INPUTS_SENT, False)
    for key in Input:
        kept = kept_key(key)
        if kept in state and (not sent or state.get(key) != state[kept]):
            state[key] = state[kept]


def drawn_again(*keys: Input) -> None:
    """Call right before drawing inputs that some runs leave out (the remote provider's fields,
    each mode's picker, Strict): those the page's last run did not draw get their kept values
    handed back. The browser mounts such a widget anew and, unless its value comes along, shows
    its default (an empty base URL and model after a trip to the embedded model and another
    page) and sends that back as the user's."""
    state = st.session_state
    drawn_last = state.get(Kept.INPUTS_DRAWN, frozenset())
    for key in keys:
        if key not in drawn_last and kept_key(key) in state:
            state[key] = state[kept_key(key)]
    state[Kept.INPUTS_DRAWING] = state.get(Kept.INPUTS_DRAWING, frozenset()) | set(keys)


def note_page_widgets() -> None:
    """Call once the page's widgets are drawn: what ``page_widgets_unchanged`` compares with.

    Noted only once all the page drawn so far has left for the browser: a rerun of the output
    alone would otherwise drop what is still queued (``components/page_sent.py``). Until then
    Extract reruns the page.
    """
    if wait_until_page_sent(PAGE_SENT_TIMEOUT_SECONDS):
        st.session_state[Kept.PAGE_WIDGETS] = _widget_values()


def page_widgets_unchanged(ignored: Collection[str]) -> bool:
    """Whether every widget still holds the value it had when the page was last drawn in full.

    In a callback, where the values of the interaction that started this script run are already
    in: false when that interaction also changed an input (the text typed just before a click
    arrives with it), or when a script run that changed one was cut short before it drew the
    page. ``ignored``: the keys of the widgets that started this run (their value is the click).
    Every playground widget has a key, so its value is in the session state.
    """
    drawn = st.session_state.get(Kept.PAGE_WIDGETS)
    if drawn is None:
        return False
    now = _widget_values()
    return all(
        key in now and now[key] == value for key, value in drawn.items() if key not in ignored
    )


def _widget_values() -> dict[str, Any]:
    """Every value in the session state that the playground keeps itself holds none of."""
    kept = set(Kept) | {kept_key(key) for key in Input}
    state = st.session_state
    return {key: state[key] for key in state if key not in kept}


def note_inputs_sent() -> None:
    """Call once every input widget is drawn: the browser has their values from now on.

    Until a run gets this far (the first run on the page can be cut short by the next), every
    run sends the values along again.
    """
    st.session_state[Kept.INPUTS_SENT] = True
