"""The playground: schema and text on the left, entity cards and the raw stream on the right.

State lives in ``st.session_state`` under the keys of ``components.playground_state``: the inputs
(kept apart from their widgets, so no page change loses them), the RunLog of the current or last
run, and the link token already loaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitInvalidLayoutContextError

from components.cases_panel import cases_panel, current_cases, expected_picker, replace_cases
from components.code_export_panel import code_export_panel
from components.downloads_panel import downloads_panel
from components.inert_text import inert
from components.lanes_panel import current_lanes, lanes_panel, replace_lanes
from components.live_cards import live_out
from components.navigation import through_app_navigation
from components.playground_state import (
    Input,
    Kept,
    default_input,
    keep,
    note_inputs_sent,
    note_page_widgets,
    page_widgets_unchanged,
    restore_inputs,
    set_input,
)
from components.provider_settings import (
    EMBEDDED,
    REMOTE,
    ProviderChoice,
    provider_settings,
    server_settings,
)
from components.race import (
    LaneRun,
    follow_race,
    lane_diff_panel,
    lane_views,
    race_over,
    replay_race,
    start_race,
)
from components.replay_panel import (
    replay_buttons,
    replay_notice,
    replay_requested,
    replay_shared_run,
    run_file_source,
    run_files_panel,
    shareable_run_file,
    start_replay,
    take_opened_run_file,
)
from components.run_history import OpenedRun, history_problem_note, new_race_id, record_run
from components.run_toolbar import EXTRACT_TRIGGERS, run_toolbar, toolbar_container
from components.run_view import RunView
from components.schema_editor import SchemaState, replace_schema_text, schema_editor
from components.share_box import share_box, share_run_box
from components.system_prompt_box import system_prompt_box
from components.wrapper_panel import wrapper_panel
from iterplay.background_run import extraction
from iterplay.errors import ConfigError, InputError, LocalModelError, ShareLinkError
from iterplay.events import Entity
from iterplay.examples import SAMPLE_TEXT
from iterplay.lanes import LaneSettings
from iterplay.limits import limits
from iterplay.local_model import (
    EMBEDDED_LINE,
    LocalModelServer,
    embedded_provider,
    ensure_server,
    server_running,
)
from iterplay.provider import ProviderConfig, configured_endpoint, safe_url
from iterplay.records import entity_data
from iterplay.replay_run import ReplayOf
from iterplay.request import DEFAULT_SYSTEM_PROMPT, MODES, ExtractionRequest
from iterplay.run_file import RunHeader, SchemaText
from iterplay.run_inputs import RunInputs, changed_inputs
from iterplay.run_log import RunLog
from iterplay.scoring import LiveScore
from iterplay.session_run import SessionRun
from iterplay.share import SharedState, decode_state
from iterplay.wrapper import Wrapper

state = st.session_state
OUTPUT_FRAGMENT = "run-output"
MODEL_STARTING = "Starting the embedded model: 3 to 5 s the first time…"


@st.cache_resource(
    show_spinner=False,
    validate=lambda server: server.alive(),
)
def local_server() -> LocalModelServer:
    """One embedded llama.cpp server for the whole process, shared by every session."""
    return ensure_server()


def apply_share_link() -> None:
    """Pre-fill the inputs from ``?s=`` when the session starts; a damaged link leaves defaults.

    Only then: afterwards the address bar holds the token of the session's own inputs, and a
    rerun can still carry an older one the browser had not replaced yet (see ``share_box``).
    """
    token = st.query_params.get("s")
    if not token or Kept.SHARE_APPLIED in state:
        return
    state[Kept.SHARE_APPLIED] = token
    try:
        shared = decode_state(token)
    except ShareLinkError as error:
        state[Kept.SHARE_ERROR] = str(error)
        return
    apply_shared_inputs(shared)
    if shared.run is not None:
        replay_shared_run(shared.run)


def apply_opened_run() -> None:
    """A run opened on the History page: its inputs restored, its output shown as it was."""
    opened: OpenedRun | None = state.pop(Kept.OPENED_RUN, None)
    if opened is not None:
        stop_runs("A recorded run was opened.")
        state.pop(Kept.RACE, None)
        apply_shared_inputs(opened.inputs)
        state[Kept.ACTIVE_RUN] = opened.log
        state[Kept.SHOWN_HISTORY_RUN] = opened
        state.pop(Kept.SESSION_RUN, None)
        state.pop(Kept.RUN_HISTORY, None)  # its warning was about the run this one replaces


def apply_opened_run_file() -> ReplayOf | None:
    """A run file opened (here, from another page or in a link) or the run on screen replayed:
    the inputs it brings restored, its replay to start."""
    opened = take_opened_run_file()
    if opened is None:
        return None
    stop_runs("A replay started.")
    state.pop(Kept.RACE, None)
    if opened.inputs is not None:
        apply_shared_inputs(opened.inputs)
    return opened.replay


def apply_shared_inputs(shared: SharedState) -> None:
    """Put a link's (or a recorded run's) inputs in the playground."""
    set_input(Input.SCHEMA_KIND, shared.schema_kind)
    replace_schema_text(shared.schema_kind, shared.schema)
    state.pop(Kept.SCHEMA_CONVERSION, None)
    set_input(Input.SOURCE_TEXT, shared.text)
    set_input(Input.SYSTEM_PROMPT, shared.system_prompt or DEFAULT_SYSTEM_PROMPT)
    state[Kept.TARGETS] = shared.target
    if shared.model:
        set_input(Input.MODEL_NAME, shared.model)
    use_link_provider(shared.model)
    if shared.mode in MODES:
        set_input(Input.MODE_EMBEDDED, shared.mode)
        set_input(Input.MODE_REMOTE, shared.mode)
    if shared.temperature is not None:
        set_input(Input.TEMPERATURE, float(shared.temperature))
    if shared.cases is not None:
        replace_cases(shared.cases)
    replace_lanes([LaneSettings(**lane) for lane in shared.lanes or ()])


def use_link_provider(model: str | None) -> None:
    """Choose the provider kind the link's author used, where this server has it.

    A link names a model only when its author used an OpenAI-compatible provider. On a server
    without one, the embedded model stays chosen and ``link_provider_note`` says so.
    """
    state.pop(Kept.LINK_MODEL, None)
    if model is None:
        set_input(Input.PROVIDER_KIND, EMBEDDED)
    elif _server_has_endpoint():
        set_input(Input.PROVIDER_KIND, REMOTE)
    else:
        state[Kept.LINK_MODEL] = model


def _server_has_endpoint() -> bool:
    """Whether this server's settings name an OpenAI-compatible provider (a malformed one
    counts as none: the sidebar says what is wrong with it)."""
    try:
        return configured_endpoint(environ=server_settings()) is not None
    except (InputError, ConfigError):
        return False


def link_provider_note(choice: ProviderChoice) -> None:
    """While the embedded model stands in for the link author's model, say so."""
    model = state.get(Kept.LINK_MODEL)
    if model is not None and choice.embedded:
        # The name comes from a link: as inline code it is shown as text, never as markdown.
        shown = " ".join(model.replace("`", "'").split())
        st.warning(
            f"This link was made with the model `{shown}` on an **OpenAI-compatible** "
            "provider. This server has none configured, so Extract runs the tiny embedded model "
            "instead. To run the author's model, choose OpenAI-compatible in the sidebar and "
            "enter its base URL and key.",
            icon="🔀",
        )


def on_embedded(choice: ProviderChoice) -> bool:
    """Whether lane 0 runs on the embedded model (chosen, or no endpoint configured)."""
    return choice.embedded or choice.endpoint is None


def provider_config(choice: ProviderChoice) -> ProviderConfig:
    if on_embedded(choice):
        return embedded_provider(local_server())
    return choice.endpoint


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
        cases=current_cases(),
        lanes=[
            {
                "model": lane.model,
                "mode": lane.mode,
                "system_prompt": lane.system_prompt,
                "temperature": lane.temperature,
            }
            for lane in current_lanes()
        ]
        or None,
    )


def note_interruption(stop_pressed: bool) -> None:
    """Stop ends the session's runs, keeping everything they produced. Nothing else does: an
    edit while they stream draws the page again and they go on."""
    if stop_pressed:
        stop_runs("You pressed Stop.")


def stop_runs(reason: str) -> None:
    """End lane 0's run and the race's other lanes, if still going."""
    live: SessionRun | None = state.pop(Kept.LIVE_RUN, None)
    if live is not None:
        live.stop(reason)
    for lane in state.get(Kept.RACE, {}).values():
        if lane.run is not None and not lane.run.log.finished:
            lane.run.stop(reason)


def provider_shown(choice: ProviderChoice) -> str:
    """The provider a run used: "embedded", or the endpoint's URL without credentials."""
    if choice.embedded:
        return "embedded"
    return safe_url(choice.endpoint.base_url) if choice.endpoint else ""


def run_inputs(schema: SchemaState, choice: ProviderChoice) -> RunInputs:
    """The inputs on screen, as a run's results depend on them."""
    return RunInputs(
        schema=schema.text,
        schema_kind=schema.kind,
        targets=schema.targets,
        text=state[Input.SOURCE_TEXT],
        system_prompt=state[Input.SYSTEM_PROMPT],
        provider=provider_shown(choice),
        model=choice.model,
        mode=choice.mode,
        temperature=choice.temperature,
        max_tokens=choice.max_tokens,
        strict=choice.strict,
    )


def request_from_inputs(wrapper: Wrapper, choice: ProviderChoice) -> ExtractionRequest:
    """The request the inputs describe; an InputError says in one sentence what stops it."""
    if choice.problem:
        raise InputError(choice.problem)
    return ExtractionRequest(
        wrapper=wrapper,
        text=state[Input.SOURCE_TEXT],
        model=choice.model,
        mode=choice.mode,
        system_prompt=state[Input.SYSTEM_PROMPT],
        temperature=choice.temperature,
        max_tokens=choice.max_tokens,
        strict=choice.strict,
    )


def start_run(
    view: RunView,
    choice: ProviderChoice,
    request: ExtractionRequest,
    inputs: RunInputs,
    progress,
    race_id: str | None,
) -> None:
    """Start a run the session owns (see ``session_run``); a run still going is stopped.
    ``race_id``: set when other lanes start with it (this run is then lane 0 of the race)."""
    pressed = time.monotonic()  # the run's clock includes starting the embedded model
    starting = on_embedded(choice) and not server_running()
    if starting:  # said at once: st.spinner waits half a second, about what a warm start takes
        progress.caption(f"⏳ {MODEL_STARTING}")
    try:
        provider = provider_config(choice)
    except LocalModelError as error:
        view.status_slot.error(
            f"**The embedded model could not start** — {inert(error)}", icon="🚫"
        )
        return
    finally:
        if starting:
            progress.empty()
    stop_runs("A new run started.")
    log = RunLog(started=pressed, inputs=inputs)
    state[Kept.ACTIVE_RUN] = log
    line = EMBEDDED_LINE if choice.embedded else None
    recording = record_run(inputs, request, provider, race_id, lane=0 if race_id else None)
    header = RunHeader.of_request(SchemaText(inputs.schema, inputs.schema_kind), request, provider)
    run = SessionRun.start(extraction(provider, request), log, header, line=line, sinks=[recording])
    state[Kept.LIVE_RUN] = state[Kept.SESSION_RUN] = run


def follow(view: RunView, run: SessionRun) -> None:
    """Draw what the run produces until it ends. A rerun (an edit, a click) ends this loop, not
    the run: the next script run draws what arrived meanwhile and follows on."""
    for batch in run.follow(poll_seconds=0.02):
        if batch is None:
            view.tick(run.log)
            continue
        view.take_all(batch)
        view.draw(run.log)
    view.draw(run.log, force=True)
    if state.get(Kept.LIVE_RUN) is run:
        del state[Kept.LIVE_RUN]


def extract_pressed() -> None:
    """Extract's ``on_click`` (and the shortcut's): start the run in a rerun of the output alone
    when the page on screen is the one its last full run drew, so the browser redraws the output
    and not the whole page (see docs/decisions.md); otherwise the page reruns and starts it."""
    if page_widgets_unchanged(ignored=EXTRACT_TRIGGERS):
        state[Kept.EXTRACT_ASKED] = True
        st.rerun(OUTPUT_FRAGMENT)


def output_start(output: Output) -> Start | ReplayOf | None:
    """What this run of the output starts, if anything; each is started once.

    Set by the page for this run (Extract in a full run, a run file to replay), or asked for by
    ``extract_pressed``: then what Extract starts with the inputs the page last drew."""
    start = state.pop(Kept.START, None)
    if state.pop(Kept.EXTRACT_ASKED, False) and start is None:
        start = output.extract
    return start


@st.fragment(key=OUTPUT_FRAGMENT)
def run_output(output: Output) -> None:
    """The output: the runs the session owns, live, or the last ones, as they ended.

    A fragment, so the widgets it draws (the cards/table toggle, the expected-entity picker)
    rerun only the output, and the runs go on through them; and so Extract can start a run in
    a rerun of the output alone (``extract_pressed``).
    """
    if replay_requested():  # a Replay button, in this fragment: the page starts it
        st.rerun(scope="app")
    # Streamlit starts a newer run of the page at once (runner.fastReruns), and an older run
    # learns that it is stopped only at its next message; a page run also drops the output's
    # places in the page's columns (below), so a write there is refused first. One message in
    # the fragment's own area: a stopped run ends here, as Streamlit ends it (StopException).
    own_slot = st.empty()
    try:
        places = reserve_places(output)
    except StreamlitInvalidLayoutContextError:
        own_slot.empty()
        # Not stopped: a run of the page began and was cut short before it drew the page
        # again. The page is drawn first, and starts the run Extract asked for, if it did.
        if state.pop(Kept.EXTRACT_ASKED, False):
            state[Kept.EXTRACT_AFTER_REDRAW] = True
        st.rerun(scope="app")
    try:
        draw_output(output, places)
    except StreamlitInvalidLayoutContextError:
        own_slot.empty()
        raise


@dataclass(frozen=True)
class OutputPlaces:
    """Where the output draws in the page's columns; see ``reserve_places``."""

    progress: Any  # at the toolbar's end: the embedded model starting
    cards: Any
    raw: Any
    lanes: Any


def reserve_places(output: Output) -> OutputPlaces:
    """Write into each page column the output uses, on every run: Streamlit lets a rerun of the
    output alone write only where the output wrote in the page's last full run."""
    return OutputPlaces(
        progress=output.toolbar.empty(),
        cards=output.cards_column.container(),
        raw=output.raw_column.container(),
        lanes=output.lanes_area.container(),
    )


def draw_output(output: Output, places: OutputPlaces) -> None:
    """What ``run_output`` draws. What it starts (``output_start``): lane 0 in the cards and raw
    columns, the other lanes under them; or a replay of a run file, in the cards and raw
    columns."""
    start = output_start(output)
    new_run = start is not None
    card_channel = live_out(new_run)
    view = RunView(places.cards, places.raw, output.score(), new_run=new_run, live=card_channel)
    downloads_slot = places.cards.empty()
    if isinstance(start, ReplayOf):
        start_replay(view, start, output.inputs_now, output.wrapper)
        start = None
    # Held now, so the previous run's picker leaves the page as soon as a new run starts.
    picker_slot = places.cards.empty()
    history_slot = places.cards.empty()
    share_slot = places.cards.empty()
    if isinstance(start, Start):
        race_id = new_race_id() if start.lanes else None
        start_run(view, start.choice, start.request, output.inputs_now, places.progress, race_id)
        state[Kept.RACE] = start_race(
            start.lanes,
            start.request,
            output.inputs_now,
            start.choice.endpoint,
            lambda: embedded_provider(local_server()),
            start.choice.embedded,
            race_id,
        )
    race: dict[int, LaneRun] = state.get(Kept.RACE, {})
    views, lane_cards = lane_views(places.lanes, race, output.score, new_run, card_channel)
    log: RunLog | None = state.get(Kept.ACTIVE_RUN)
    if log is None:
        view.empty_state()
        return
    replay_notice(view.notice_slot)
    with downloads_slot.container():
        downloads_panel(log, run_file_source())
    changed = changed_inputs(log.inputs, output.inputs_now) if log.inputs else ()
    live: SessionRun | None = state.get(Kept.LIVE_RUN)
    live = live if live is not None and live.log is log else None
    if start is None:
        view.replay(log, changed)  # what arrived while the page was drawn again
        if lane_cards is not None:
            replay_race(views, race, lane_cards)
    if race:
        follow_race(view, live, views, race, lane_cards)
        if state.get(Kept.LIVE_RUN) is live:
            state.pop(Kept.LIVE_RUN, None)
        if race_over(log, race) and output.wrapper is not None:
            lane_diff_panel(places.lanes, output.wrapper, log, race)
    elif live is not None:
        follow(view, live)
    with history_slot.container():
        history_problem_note()
    offer_cards_as_expected(picker_slot)
    if (run_file := shareable_run_file()) is not None:
        with share_slot.container():
            replay_buttons()
            share_run_box(output.shared, run_file)


@dataclass(frozen=True)
class Output:
    """Where and against what the output is drawn, as the page's last full run drew them."""

    toolbar: Any
    cards_column: Any
    raw_column: Any
    lanes_area: Any
    score: Callable[[], LiveScore | None]  # a fresh live score per lane, or None
    inputs_now: RunInputs
    wrapper: Wrapper | None
    shared: SharedState  # the inputs as a share link carries them
    extract: Start | None  # what Extract starts with these inputs; None when it cannot


@dataclass(frozen=True)
class Start:
    """What a press of Extract starts."""

    choice: ProviderChoice
    request: ExtractionRequest
    lanes: list[LaneSettings]


def page() -> None:
    try:
        bounds = limits()
    except ConfigError as error:
        st.error(f"**This server is misconfigured** — {inert(error)}", icon="🚫")
        st.stop()
    # Left by a script run cut short before the output took them: a run the user did not see
    # start is not started later, and Extract reruns the page until this run has drawn it.
    for leftover in (Kept.START, Kept.EXTRACT_ASKED, Kept.PAGE_WIDGETS):
        state.pop(leftover, None)
    extract_after_redraw = state.pop(Kept.EXTRACT_AFTER_REDRAW, False)  # see run_output
    restore_inputs()
    default_input(Input.SOURCE_TEXT, SAMPLE_TEXT)
    default_input(Input.SYSTEM_PROMPT, DEFAULT_SYSTEM_PROMPT)
    apply_share_link()
    apply_opened_run()
    opened_replay = apply_opened_run_file()
    st.title("🧩 iterplay")
    st.caption(
        "Write a pydantic class or a JSON Schema, paste text, press **Extract**: every entity "
        "of `Iterable[T]` appears as a card the moment its closing brace arrives."
    )
    if share_error := state.pop(Kept.SHARE_ERROR, None):
        st.warning(f"{inert(share_error)} The default playground is shown instead.")
    choice = provider_settings()
    link_provider_note(choice)
    toolbar_slot = toolbar_container()
    inputs, cards_column, raw_column = st.columns([5, 4, 3], gap="medium")
    with inputs:
        st.subheader("Schema")
        schema = schema_editor()
        st.text_area(
            "Source text",
            key=Input.SOURCE_TEXT,
            height=140,
            max_chars=bounds.text_bytes,
            on_change=keep,
            args=(Input.SOURCE_TEXT,),
        )
        system_prompt_box(bounds.text_bytes)
        request, blocked = None, schema.error
        if schema.wrapper is not None:
            try:
                request = request_from_inputs(schema.wrapper, choice)
            except InputError as error:
                blocked = str(error)
                st.error(inert(blocked), icon="🚫")
            else:
                wrapper_panel(schema.wrapper, request, choice.quirks)
                code_export_panel(schema.schema, request, choice)
        if not blocked and not state[Input.SOURCE_TEXT].strip():
            blocked = "Paste some text."
        share_slot = st.container()  # filled last: the link carries the cases and lanes
        run_files_panel()  # as this run leaves them, not as the last one did
        case = cases_panel(schema.wrapper, state[Input.SOURCE_TEXT])
        lanes = lanes_panel(choice.embedded)
        shared = shared_state(schema, choice)
        with share_slot:
            share_box(shared)
    toolbar = run_toolbar(toolbar_slot, blocked, schema.error_line, on_extract=extract_pressed)
    note_inputs_sent()
    note_interruption(toolbar.stop)
    lanes_area = st.container()

    def score() -> LiveScore | None:
        if case is None or schema.wrapper is None:
            return None
        return LiveScore(schema.wrapper, case, current_cases().rules)

    extract = Start(choice, request, lanes) if request is not None and not blocked else None
    inputs_now = run_inputs(schema, choice)
    output = Output(
        toolbar_slot,
        cards_column,
        raw_column,
        lanes_area,
        score,
        inputs_now,
        schema.wrapper,
        shared,
        extract,
    )
    start = extract if (toolbar.extract or extract_after_redraw) and extract else opened_replay
    if start is not None:
        state[Kept.START] = start
    note_page_widgets()
    run_output(output)


def offer_cards_as_expected(picker_slot) -> None:
    """After a run, any card becomes an expected entity of this text in one click."""
    log: RunLog | None = state.get(Kept.ACTIVE_RUN)
    if log is None or not log.finished:
        return
    entities = [(e.index, entity_data(e.value)) for e in log.elements if isinstance(e, Entity)]
    # Inside a container: a keyed widget put straight into a slot would stay on screen, faded,
    # until the end of the next run (the frontend keeps it to preserve its state).
    with picker_slot.container():
        expected_picker(entities, state[Input.SOURCE_TEXT], run_key=str(id(log)))


through_app_navigation()
page()
