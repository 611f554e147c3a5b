"""Run files in the playground: the current run as a run file, and a run file replayed.

Other pages use two functions and nothing else here:

- ``current_run_file()``: the run the playground shows (live, ended or stopped; a replay too;
  one opened from the History page, its run file rebuilt from the history), as a run file, or
  None when it shows none;
- ``open_run_file(run_file, speed)``: put a run file's inputs in the playground and replay it
  there; the caller then switches to the playground (``st.switch_page``), which restores the
  inputs and starts the replay on its next run, as it does for a run opened from the History.

The playground draws ``run_files_panel`` (open a run file: the inputs it holds come back and it
replays) and, under a run that is over, ``replay_buttons`` (replay it again at 1×, 4× or at
once, against the schema on screen). Both go through ``Kept.OPENED_RUN_FILE``, taken at the top
of the next script run.

A replay is a ``SessionRun`` like an Extract's: its cards appear at the recorded pace through
the same ``RunView``, Stop ends it, and no provider is called (``iterplay.replay_run``). It is
validated against the schema on screen: the recorded one, or the user's edit of it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import BinaryIO

import streamlit as st

from components.inert_text import inert
from components.playground_state import Kept
from components.run_history import OpenedRun
from components.run_view import RunView
from iterplay.errors import RunFileError
from iterplay.limits import Limits, limits
from iterplay.replay import check_speed
from iterplay.replay_run import ReplayOf, recorded_on_embedded, replay_source, shared_state_of
from iterplay.run_file import RunFile, RunHeader, SchemaText, parse_run_file
from iterplay.run_inputs import RunInputs
from iterplay.run_log import RunLog
from iterplay.session_run import SessionRun
from iterplay.share import SharedState
from iterplay.wrapper import Wrapper

state = st.session_state


SPEEDS = {"1×": 1.0, "4×": 4.0, "Instant": 0.0}
SPEED_KEYS = {"1×": "1x", "4×": "4x", "Instant": "instant"}  # replay_1x, replay_4x, ...


class RunFileKey(StrEnum):
    """Widget keys of the run files panel (tests address the widgets by them)."""

    UPLOAD = "run_file_upload"
    SPEED = "replay_speed"
    REPLAY = "replay"  # + _1x, _4x, _instant: the Replay buttons under a run


@dataclass(frozen=True)
class OpenedRunFile:
    """A run file on its way to the playground: the inputs to restore (None to keep those on
    screen, as Replay does) and the replay."""

    inputs: SharedState | None
    replay: ReplayOf


def current_session_run() -> SessionRun | None:
    """The session run whose output the playground shows, if it shows one."""
    run: SessionRun | None = state.get(Kept.SESSION_RUN)
    return run if run is not None and run.log is state.get(Kept.ACTIVE_RUN) else None


def shown_history_run() -> OpenedRun | None:
    """The run opened from the History page, while the playground shows it."""
    opened: OpenedRun | None = state.get(Kept.SHOWN_HISTORY_RUN)
    return opened if opened is not None and opened.log is state.get(Kept.ACTIVE_RUN) else None


def run_file_source() -> Callable[[], RunFile] | None:
    """How to make the run file of the run on screen when asked (a download makes it when
    pressed, so a live run gives all that arrived by then), or None when it has none."""
    run = current_session_run()
    if run is not None:
        return run.run_file
    opened = shown_history_run()
    if opened is not None and (run_file := opened.run_file) is not None:
        return lambda: run_file
    return None


def current_run_file() -> RunFile | None:
    """The run the playground shows, as a run file (everything that arrived so far), or None."""
    source = run_file_source()
    return source() if source is not None else None


def run_on_screen_is_over() -> bool:
    """Whether the run on screen has a run file and will not grow: ended, stopped, or opened
    from the History."""
    run = current_session_run()
    if run is not None:
        return run.log.finished
    opened = shown_history_run()
    return opened is not None and opened.run_file is not None


def shareable_run_file() -> RunFile | None:
    """The run on screen as a run file, once it is over (a share link may carry it)."""
    return current_run_file() if run_on_screen_is_over() else None


def open_run_file(run_file: RunFile, speed: float = 1.0) -> None:
    """Have the playground restore ``run_file``'s inputs and replay it at ``speed`` (1: as
    recorded, 0: at once) on its next run. A RunFileError says in one sentence why a file's
    inputs cannot be opened (they pass the checks a share link's do)."""
    opened = OpenedRunFile(shared_state_of(run_file), ReplayOf(run_file, check_speed(speed)))
    state[Kept.OPENED_RUN_FILE] = opened


def replay_shared_run(run_file: RunFile) -> None:
    """A share link's recorded run: replayed on the inputs the link restores."""
    state[Kept.OPENED_RUN_FILE] = OpenedRunFile(None, ReplayOf(run_file, 1.0))


def take_opened_run_file() -> OpenedRunFile | None:
    """The run file ``open_run_file`` left for the playground, once."""
    return state.pop(Kept.OPENED_RUN_FILE, None)


def start_replay(
    view: RunView, replay: ReplayOf, inputs: RunInputs, wrapper: Wrapper | None
) -> None:
    """Start replaying ``replay`` as the session's run, against the schema on screen
    (``inputs``, ``wrapper``: None when that schema has an error, which stops the replay)."""
    if wrapper is None:
        state.pop(Kept.ACTIVE_RUN, None)  # the output would draw the last run's ending here
        view.status_slot.error(
            "**The run cannot be replayed** — the schema on screen has an error: fix it to "
            "replay the recorded stream against it.",
            icon="🚫",
        )
        return
    run_file = replay.run_file
    schema = SchemaText(inputs.schema, inputs.schema_kind)  # type: ignore[arg-type]
    edited = (schema, inputs.targets) != (run_file.schema, run_file.target)
    log = RunLog(inputs=inputs, replay_speed=replay.speed)
    run = SessionRun.start(
        replay_source(run_file, wrapper, replay.speed),
        log,
        RunHeader.of_replay(run_file, schema, wrapper),
        replay_of=dataclasses.replace(replay, edited_schema=edited),
    )
    state[Kept.ACTIVE_RUN] = log
    state[Kept.LIVE_RUN] = state[Kept.SESSION_RUN] = run
    state.pop(Kept.RUN_HISTORY, None)  # a replay is not recorded: its warning does not apply


def replay_notice(slot) -> None:
    """While the playground shows a replay: that it is one, of whose run, and which schema."""
    run = current_session_run()
    if run is None or run.replay_of is None:
        return
    replay = run.replay_of
    run_file = replay.run_file
    model = "the embedded model" if recorded_on_embedded(run_file) else f"`{_code(run_file.model)}`"
    schema = (
        "the schema on screen (edited since the recording)"
        if replay.edited_schema
        else "the recorded schema"
    )
    with slot.container(key="replay-notice"):
        st.info(
            f"**Replay** of a run recorded {_recorded_when(run_file.recorded_at)} with "
            f"{model} in `{_code(run_file.mode)}` mode, {_speed_words(replay.speed)}; no "
            f"provider is called. Validated against {schema}.",
            icon="⏯️",
        )


def _code(text: str) -> str:
    """Untrusted text inside inline code: shown as text, never as markdown."""
    return " ".join(text.replace("`", "'").split())


def _recorded_when(recorded_at: str) -> str:
    """When the run was recorded, as markdown: in UTC, or the file's own words made inert."""
    try:
        moment = datetime.fromisoformat(recorded_at)
    except ValueError:
        return f"at {inert(recorded_at)}"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"on {moment:%Y-%m-%d} at {moment:%H:%M:%S}" + (" UTC" if moment.tzinfo else "")


def _speed_words(speed: float) -> str:
    if speed == 0:
        return "replayed at once"
    if speed == 1:
        return "at the recorded pace"
    return f"at {speed:g}× the recorded pace"


def run_files_panel() -> None:
    """Open a run file: its inputs come back and it replays, at the speed chosen."""
    with st.expander("⏯️ Open a run file"):
        st.radio(
            "Replay speed",
            list(SPEEDS),
            key=RunFileKey.SPEED,
            horizontal=True,
            help="1×: at the recorded pace; 4×: four times as fast; Instant: all at once.",
        )
        st.file_uploader(
            "Run file",
            type=["json"],
            key=RunFileKey.UPLOAD,
            max_upload_size=max(1, math.ceil(limits().run_file_bytes / 2**20)),
            on_change=_open_uploaded,
            help="A file from the Run file download or `iterplay extract --save`: its inputs "
            "come back and its run replays, with no provider.",
        )
        if problem := state.pop(Kept.RUN_FILE_PROBLEM, None):
            st.error(inert(problem), icon="🚫")


def replay_buttons() -> None:
    """Under a run that is over: replay it at 1×, 4× or at once, against the schema on screen.

    Drawn in the output's fragment, whose rerun a click starts: ``replay_requested`` then has
    the whole page run again, which starts the replay as it starts an opened file's.
    """
    if not run_on_screen_is_over():
        return
    with st.container(key="replay-buttons", horizontal=True, vertical_alignment="center"):
        st.caption("Replay, with no provider, against the schema on screen:")
        for label, speed in SPEEDS.items():
            st.button(
                label,
                key=f"{RunFileKey.REPLAY}_{SPEED_KEYS[label]}",
                on_click=_replay_current,
                args=(speed,),
                icon=":material/replay:",
            )


def replay_requested() -> bool:
    """Whether a replay waits for the page to run again (see ``replay_buttons``)."""
    return Kept.OPENED_RUN_FILE in state


def _replay_current(speed: float) -> None:
    run_file = current_run_file()
    if run_file is not None:
        state[Kept.OPENED_RUN_FILE] = OpenedRunFile(None, ReplayOf(run_file, speed))


def _open_uploaded() -> None:
    """The uploader's ``on_change``: open the file chosen, or say in one sentence why not."""
    uploaded = state.get(RunFileKey.UPLOAD)
    if uploaded is None:
        return
    try:
        speed = SPEEDS.get(state.get(RunFileKey.SPEED), 1.0)
        open_run_file(read_uploaded_run_file(uploaded.name, uploaded), speed)
    except RunFileError as error:
        state[Kept.RUN_FILE_PROBLEM] = str(error)


def read_uploaded_run_file(name: str, file: BinaryIO) -> RunFile:
    """The run file an upload holds, read within the size bound; a RunFileError otherwise."""
    bound = limits().run_file_bytes
    data = file.read(bound + 1)
    if len(data) > bound:
        raise RunFileError(
            f"{name} is larger than the limit of {bound:,} bytes for a run file "
            f"({Limits.variable('run_file_bytes')}), so it was not opened."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RunFileError(f"{name} is not UTF-8 text, so it is not a run file.") from None
    return parse_run_file(text, name)
