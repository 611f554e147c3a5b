"""The app's side of the run history: record each playground run, say when that fails, load a
recorded run's schema, and carry a run from the History page into the playground.

Opening a run does not touch the playground's widgets from another page: the History page puts
an ``OpenedRun`` under ``Kept.OPENED_RUN`` and switches page; the playground, on its next run,
restores the inputs as it restores a share link's and shows the run's log as its last run,
with its run file (rebuilt from the history) to download, replay and share.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass

import streamlit as st

from components.inert_text import inert
from components.playground_state import Kept
from iterplay.errors import HistoryError, SchemaError
from iterplay.history import History, RunSummary
from iterplay.history import RunInputs as HistoryInputs
from iterplay.history_writer import HistoryWriter
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run_file import RunFile
from iterplay.run_inputs import RunInputs
from iterplay.run_log import RunLog
from iterplay.share import SharedState
from iterplay.stored_run import StoredRun, wrapper_of
from iterplay.wording import counted
from iterplay.wrapper import Wrapper


@dataclass(frozen=True)
class OpenedRun:
    """A recorded run on its way to the playground: the inputs to restore, its output, and
    its run file (None when its schema no longer loads here)."""

    run_id: int
    inputs: SharedState
    log: RunLog
    run_file: RunFile | None = None


def open_history() -> History | None:
    """The run history, or None after saying in one sentence why it cannot be opened (a
    corrupt or foreign file, which is never overwritten)."""
    try:
        return History()
    except HistoryError as error:
        st.error(f"**The history cannot be opened** — {inert(error)}", icon="🚫")
        return None


def run_label(run: RunSummary) -> str:
    """How a run is named in pickers (plain text: option labels are not markdown)."""
    when = run.started_at[:19].replace("T", " ")
    lane = f" · race {run.race_id[:8]} lane {run.lane}" if run.race_id else ""
    return (
        f"#{run.id} · {when} · {run.model} · {run.mode} · {run.outcome} · "
        f"{counted(run.entities, 'entity', 'entities')}{lane}"
    )


def new_race_id() -> str:
    """The id the history gives the runs one Extract starts together (the lanes of a race)."""
    return uuid.uuid4().hex


def record_run(
    inputs: RunInputs,
    request: ExtractionRequest,
    provider: ProviderConfig,
    race_id: str | None = None,
    lane: int | None = None,
) -> HistoryWriter:
    """The writer that records one playground run (the same fields the CLI records); lane 0's
    is the session's ``Kept.RUN_HISTORY``, whose failure the page reports."""
    recorded = HistoryInputs.of_request(
        inputs.schema, inputs.schema_kind, request, provider, origin="app"
    )
    writer = HistoryWriter(dataclasses.replace(recorded, race_id=race_id, lane=lane))
    if not lane:
        st.session_state[Kept.RUN_HISTORY] = writer
    return writer


def history_problem_note() -> None:
    """One warning line when the last run could not be saved to the history."""
    writer: HistoryWriter | None = st.session_state.get(Kept.RUN_HISTORY)
    if writer is not None and writer.problem:
        st.warning(inert(writer.problem), icon="🗄️")


@st.cache_resource(max_entries=32, show_spinner=False)
def recorded_wrapper(schema_text: str, schema_kind: str, target: tuple[str, ...]) -> Wrapper | None:
    """The wrapper a recorded run used, or None when its schema no longer loads here."""
    try:
        return wrapper_of(schema_text, schema_kind, target)
    except SchemaError:
        return None


def opened_run(run: StoredRun) -> OpenedRun:
    """The run ready for the playground: entities validated again where the schema loads."""
    wrapper = recorded_wrapper(run.schema_text, run.schema_kind, run.target)
    run_file = run.run_file(wrapper) if wrapper is not None else None
    return OpenedRun(run.id, run.shared_state(), run.run_log(wrapper), run_file)
