"""The playground: schema and text on the left, entity cards and the raw stream on the right.

State lives in ``st.session_state`` under the keys of ``components.playground_state``: the inputs
(kept apart from their widgets, so no page change loses them), the RunLog of the current or last
run, and the link token already loaded.
"""

from __future__ import annotations

import time

import streamlit as st

from components.cases_panel import cases_panel, current_cases, expected_picker
from components.entity_cards import entity_data
from components.playground_state import Input, Kept, default_input, keep, restore_inputs, set_input
from components.provider_settings import ProviderChoice, provider_settings
from components.run_toolbar import run_toolbar, toolbar_container
from components.run_view import RunView
from components.schema_editor import SchemaState, replace_schema_text, schema_editor
from components.share_box import share_box
from components.system_prompt_box import system_prompt_box
from components.wrapper_panel import wrapper_panel
from iterplay.background_run import BackgroundRun
from iterplay.errors import LocalModelError, ShareLinkError
from iterplay.events import Entity
from iterplay.examples import SAMPLE_TEXT
from iterplay.local_model import LocalModelServer, embedded_provider, ensure_server
from iterplay.provider import ProviderConfig
from iterplay.request import DEFAULT_SYSTEM_PROMPT, MODES, ExtractionRequest
from iterplay.run_log import RunLog
from iterplay.scoring import LiveScore
from iterplay.share import SharedState, decode_state

state = st.session_state
MODEL_STARTING = "Starting the embedded model: 3 to 5 s the first time…"


@st.cache_resource(
    show_spinner=False,
    validate=lambda server: server.alive(),
)
def local_server() -> LocalModelServer:
    """One embedded llama.cpp server for the whole process, shared by every session."""
    return ensure_server()


def apply_share_link() -> None:
    """Pre-fill the inputs from ``?s=`` once per token; a damaged link leaves the defaults."""
    token = st.query_params.get("s")
    if not token or state.get(Kept.SHARE_APPLIED) == token:
        return
    state[Kept.SHARE_APPLIED] = token
    try:
        shared = decode_state(token)
    except ShareLinkError as error:
        state[Kept.SHARE_ERROR] = str(error)
        return
    set_input(Input.SCHEMA_KIND, shared.schema_kind)
    replace_schema_text(shared.schema_kind, shared.schema)
    state.pop(Kept.SCHEMA_CONVERSION, None)
    set_input(Input.SOURCE_TEXT, shared.text)
    set_input(Input.SYSTEM_PROMPT, shared.system_prompt or DEFAULT_SYSTEM_PROMPT)
    state[Kept.TARGETS] = shared.target
    if shared.model:
        set_input(Input.MODEL_NAME, shared.model)
    if shared.mode in MODES:
        set_input(Input.MODE_EMBEDDED, shared.mode)
        set_input(Input.MODE_REMOTE, shared.mode)
    if shared.temperature is not None:
        set_input(Input.TEMPERATURE, float(shared.temperature))


def provider_config(choice: ProviderChoice) -> ProviderConfig:
    if choice.embedded:
        return embedded_provider(local_server())
    return ProviderConfig(base_url=choice.base_url, api_key=choice.api_key, model=choice.model)


def shared_state(schema: SchemaState, choice: ProviderChoice) -> SharedState:
    prompt = state[Input.SYSTEM_PROMPT]
    return SharedState(
        schema=schema.text,
        schema_kind=schema.kind,
        target=list(schema.targets) or None,
        text=state[Input.SOURCE_TEXT],
        system_prompt=None if prompt == DEFAULT_SYSTEM_PROMPT else prompt,
        model=None if choice.embedded else choice.model,
        mode=choice.mode,
        temperature=choice.temperature,
    )


def note_interruption(stop_pressed: bool) -> None:
    """A rerun during a run ends it; say why, keeping everything it produced."""
    log: RunLog | None = state.get(Kept.ACTIVE_RUN)
    if log is not None and not log.finished:
        log.interrupt(
            "You pressed Stop." if stop_pressed else "An input changed while the run was going."
        )


def extract(view: RunView, choice: ProviderChoice, schema: SchemaState, progress) -> None:
    pressed = time.monotonic()  # the run's clock includes starting the embedded model
    try:
        with progress, st.spinner(MODEL_STARTING, show_time=True):
            provider = provider_config(choice)
    except LocalModelError as error:
        view.status_slot.error(f"**The embedded model could not start** — {error}", icon="🚫")
        return
    log = RunLog(started=pressed)
    state[Kept.ACTIVE_RUN] = log
    request = ExtractionRequest(
        wrapper=schema.wrapper,
        text=state[Input.SOURCE_TEXT],
        model=provider.model,
        mode=choice.mode,
        system_prompt=state[Input.SYSTEM_PROMPT],
        temperature=choice.temperature,
        max_tokens=choice.max_tokens,
    )
    run = BackgroundRun(provider, request, partials=True)
    try:
        for batch in run.batches(poll_seconds=0.02):
            if batch is None:
                view.tick(log)
                continue
            for event in batch:
                log.add(event)
                view.take(event)
            view.draw(log)
        view.draw(log, force=True)
    finally:
        run.cancel()


def page() -> None:
    restore_inputs()
    default_input(Input.SOURCE_TEXT, SAMPLE_TEXT)
    default_input(Input.SYSTEM_PROMPT, DEFAULT_SYSTEM_PROMPT)
    apply_share_link()
    st.title("🧩 iterplay")
    st.caption(
        "Write a pydantic class or a JSON Schema, paste text, press **Extract**: every entity "
        "of `Iterable[T]` appears as a card the moment its closing brace arrives."
    )
    if share_error := state.pop(Kept.SHARE_ERROR, None):
        st.warning(f"{share_error} The default playground is shown instead.")
    choice = provider_settings()
    toolbar_slot = toolbar_container()
    inputs, cards_column, raw_column = st.columns([5, 4, 3], gap="medium")
    with inputs:
        st.subheader("Schema")
        schema = schema_editor()
        st.text_area(
            "Source text",
            key=Input.SOURCE_TEXT,
            height=140,
            on_change=keep,
            args=(Input.SOURCE_TEXT,),
        )
        system_prompt_box()
        if schema.wrapper is not None:
            preview = ExtractionRequest(
                schema.wrapper,
                state[Input.SOURCE_TEXT],
                choice.model,
                choice.mode,
                state[Input.SYSTEM_PROMPT],
                choice.temperature,
                choice.max_tokens,
            )
            wrapper_panel(schema.wrapper, preview, "llama_cpp" if choice.embedded else "openai")
        blocked = schema.error or (None if state[Input.SOURCE_TEXT].strip() else "Paste some text.")
        share_box(shared_state(schema, choice))
        case = cases_panel(schema.wrapper, state[Input.SOURCE_TEXT])
    toolbar = run_toolbar(toolbar_slot, blocked, schema.error_line)
    note_interruption(toolbar.stop)
    score = None
    if case is not None and schema.wrapper is not None:
        score = LiveScore(schema.wrapper, case, current_cases().rules)
    view = RunView(cards_column, raw_column, score)
    if toolbar.extract and schema.wrapper is not None:
        extract(view, choice, schema, toolbar.progress)
    elif state.get(Kept.ACTIVE_RUN) is not None:
        view.replay(state[Kept.ACTIVE_RUN])
    else:
        view.empty_state()
    offer_cards_as_expected(cards_column)


def offer_cards_as_expected(cards_column) -> None:
    """After a run, any card becomes an expected entity of this text in one click."""
    log: RunLog | None = state.get(Kept.ACTIVE_RUN)
    if log is None or not log.finished:
        return
    entities = [(e.index, entity_data(e)) for e in log.elements if isinstance(e, Entity)]
    with cards_column:
        expected_picker(entities, state[Input.SOURCE_TEXT], run_key=str(id(log)))


page()
