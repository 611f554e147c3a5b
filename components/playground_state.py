"""Every key the playground keeps in ``st.session_state``, and how its inputs outlive a page.

Streamlit drops the value of a widget that a run did not draw: on another page, or the mode box
of the provider kind not chosen. Drawn again, the widget would start from its default. So each
input's value is kept under a key no widget uses (``kept.<widget key>``), recorded when the user
changes the widget (``keep``, its ``on_change``) or code sets it (``set_input``), and handed back
to the widget before it is drawn on every run (``restore_inputs``): Streamlit's documented "save
widget values in a dummy key" pattern. Reading a dropped widget's key is no substitute: it can
still hold the value written before the widget was first drawn.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import streamlit as st


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
    ENTITY_VIEW = "entity_view"


class Kept(StrEnum):
    """State that no widget owns, so Streamlit never drops it."""

    SCHEMA_TEXTS = "schema_texts"  # {kind: text}: each kind's editor text
    SCHEMA_CONVERSION = "schema_conversion"  # the last SchemaConversion made by a kind switch
    SCHEMA_NOTE = "schema_note"  # what a kind switch did, said once under the editor
    EDITOR = "schema_editor"  # EditorMount: the editor widget now mounted
    TARGETS = "targets"  # the target models last chosen (or from a link)
    ACTIVE_RUN = "active_run"  # the RunLog of the current or last run
    SHARE_APPLIED = "share_applied"  # the ?s= token already loaded (or written) into the inputs
    SHARE_ERROR = "share_error"  # why the ?s= token could not be loaded, said once
    CASES = "cases"  # CaseSet: texts with their expected entities (see cases_panel)
    CASES_VERSION = "cases_version"  # bumped when code changes a case, to re-seed its editor
    CASES_PROBLEM = "cases_problem"  # why the expected list as typed cannot be used


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


def restore_inputs() -> None:
    """Hand each kept value back to its widget; call before any input widget is drawn."""
    state = st.session_state
    for key in Input:
        if kept_key(key) in state:
            state[key] = state[kept_key(key)]
