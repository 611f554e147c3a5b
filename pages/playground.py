"""The playground: schema and text on the left, entity cards and the raw stream on the right.

State lives in ``st.session_state`` under a few keys: the inputs (widget keys), ``active_run``
(the RunLog of the current or last run) and ``share_applied`` (the link token already loaded).
"""

from __future__ import annotations

import streamlit as st

from components.provider_settings import ProviderChoice, provider_settings
from components.run_view import RunView
from components.schema_editor import SchemaState, schema_editor, schema_text_key
from components.share_box import share_box
from components.wrapper_panel import wrapper_panel
from iterplay.background_run import BackgroundRun
from iterplay.errors import LocalModelError, ShareLinkError
from iterplay.examples import SAMPLE_TEXT
from iterplay.local_model import LocalModelServer, embedded_provider, ensure_server
from iterplay.provider import ProviderConfig
from iterplay.request import DEFAULT_SYSTEM_PROMPT, MODES, ExtractionRequest
from iterplay.run_log import RunLog
from iterplay.share import SharedState, decode_state

state = st.session_state


@st.cache_resource(
    show_spinner="Starting the embedded model (about a second)…",
    validate=lambda server: server.alive(),
)
def local_server() -> LocalModelServer:
    """One embedded llama.cpp server for the whole process, shared by every session."""
    return ensure_server()


def apply_share_link() -> None:
    """Pre-fill the inputs from ``?s=`` once per token; a damaged link leaves the defaults."""
    token = st.query_params.get("s")
    if not token or state.get("share_applied") == token:
        return
    state["share_applied"] = token
    try:
        shared = decode_state(token)
    except ShareLinkError as error:
        state["share_error"] = str(error)
        return
    state["schema_kind"] = shared.schema_kind
    state[schema_text_key(shared.schema_kind)] = shared.schema
    state["editor_version"] = state.get("editor_version", 0) + 1
    state["source_text"] = shared.text
    state["system_prompt"] = shared.system_prompt or DEFAULT_SYSTEM_PROMPT
    state["shared_target"] = shared.target
    if shared.model:
        state["shared_model"] = state["model_name"] = shared.model
    if shared.mode in MODES:
        state["mode_embedded"] = state["mode_remote"] = shared.mode
    if shared.temperature is not None:
        state["temperature"] = float(shared.temperature)


def provider_config(choice: ProviderChoice) -> ProviderConfig:
    if choice.embedded:
        return embedded_provider(local_server())
    return ProviderConfig(base_url=choice.base_url, api_key=choice.api_key, model=choice.model)


def shared_state(schema: SchemaState, choice: ProviderChoice) -> SharedState:
    prompt = state["system_prompt"]
    return SharedState(
        schema=schema.text,
        schema_kind=schema.kind,
        target=list(schema.targets) or None,
        text=state["source_text"],
        system_prompt=None if prompt == DEFAULT_SYSTEM_PROMPT else prompt,
        model=None if choice.embedded else choice.model,
        mode=choice.mode,
        temperature=choice.temperature,
    )


def note_interruption(stop_pressed: bool) -> None:
    """A rerun during a run ends it; say why, keeping everything it produced."""
    log: RunLog | None = state.get("active_run")
    if log is not None and not log.finished:
        log.interrupted = (
            "You pressed Stop." if stop_pressed else "An input changed while the run was going."
        )


def extract(view: RunView, choice: ProviderChoice, schema: SchemaState) -> None:
    try:
        provider = provider_config(choice)
    except LocalModelError as error:
        st.error(f"**The embedded model could not start** — {error}", icon="🚫")
        return
    log = RunLog()
    state["active_run"] = log
    request = ExtractionRequest(
        wrapper=schema.wrapper,
        text=state["source_text"],
        model=provider.model,
        mode=choice.mode,
        system_prompt=state["system_prompt"],
        temperature=choice.temperature,
        max_tokens=choice.max_tokens,
    )
    view.start()
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
    state.setdefault("source_text", SAMPLE_TEXT)
    state.setdefault("system_prompt", DEFAULT_SYSTEM_PROMPT)
    apply_share_link()
    st.title("🧩 iterplay")
    st.caption(
        "Write a pydantic class or a JSON Schema, paste text, press **Extract**: every entity "
        "of `Iterable[T]` appears as a card the moment its closing brace arrives."
    )
    if state.get("share_error"):
        st.warning(f"{state.pop('share_error')} The default playground is shown instead.")
    choice = provider_settings()
    inputs, cards_column, raw_column = st.columns([5, 4, 3], gap="medium")
    with inputs:
        st.subheader("Schema")
        schema = schema_editor()
        st.text_area("Source text", key="source_text", height=140)
        with st.expander("System prompt"):
            st.text_area("System prompt", key="system_prompt", height=120)
        if schema.wrapper is not None:
            preview = ExtractionRequest(
                schema.wrapper,
                state["source_text"],
                choice.model,
                choice.mode,
                state["system_prompt"],
                choice.temperature,
                choice.max_tokens,
            )
            wrapper_panel(schema.wrapper, preview, "llama_cpp" if choice.embedded else "openai")
        blocked = schema.error or (None if state["source_text"].strip() else "Paste some text.")
        run_button, stop_button = st.columns(2)
        extract_pressed = run_button.button(
            "Extract", type="primary", disabled=bool(blocked), help=blocked, width="stretch"
        )
        stop_pressed = stop_button.button("Stop", key="stop", width="stretch")
        share_box(shared_state(schema, choice))
    note_interruption(stop_pressed)
    view = RunView(cards_column, raw_column)
    if extract_pressed and schema.wrapper is not None:
        extract(view, choice, schema)
    elif state.get("active_run") is not None:
        view.replay(state["active_run"])
    else:
        view.empty_state()


page()
