"""History: every recorded run (the playground's and ``iterplay extract``'s), newest first.

Filter by model, target, outcome and text; open a run in the playground (its inputs restored,
its cards and raw stream shown as they were), or delete it after a confirmation. Everything a
run holds came from a user, a schema or a model: it is shown as table values, never markdown.
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd
import streamlit as st

from components.inert_text import inert
from components.navigation import through_app_navigation
from components.playground_state import Kept
from components.run_history import open_history, opened_run, run_label
from iterplay.errors import HistoryError
from iterplay.history import History, RunFilter, RunSummary
from iterplay.stored_run import StoredRun

LIST_LIMIT = 500
ANY = "(any)"
state = st.session_state


class HistoryKey(StrEnum):
    """Widget and state keys of this page (tests address the widgets by them)."""

    MODEL = "history_model"
    TARGET = "history_target"
    OUTCOME = "history_outcome"
    TEXT = "history_text"
    TABLE = "history_table"
    RUN = "history_run"
    OPEN = "open_run"
    DELETE = "delete_run"
    CONFIRM_DELETE = "confirm_delete"
    CANCEL_DELETE = "cancel_delete"
    DELETE_PENDING = "history_delete_pending"  # the run whose deletion awaits confirmation
    DELETED = "history_deleted"  # the run just deleted, said once


def run_table(runs: list[RunSummary]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run": run.id,
                "time (UTC)": run.started_at[:19].replace("T", " "),
                "from": run.origin,
                "model": run.model,
                "mode": run.mode,
                "target": ", ".join(run.target),
                "entities": run.entities,
                "invalid": run.invalid,
                "outcome": run.outcome,
                "text": " ".join(run.text_start.split()),
            }
            for run in runs
        ]
    )


def run_filter(history: History) -> RunFilter:
    choices = history.filter_choices()
    model, target, outcome, text = st.columns([3, 2, 2, 3])
    picked_model = model.selectbox("Model", [ANY, *choices.models], key=HistoryKey.MODEL)
    picked_target = target.selectbox("Target", [ANY, *choices.targets], key=HistoryKey.TARGET)
    picked_outcome = outcome.selectbox("Outcome", [ANY, *choices.outcomes], key=HistoryKey.OUTCOME)
    contains = text.text_input("Text contains", key=HistoryKey.TEXT, max_chars=200)
    return RunFilter(
        model=None if picked_model == ANY else picked_model,
        target=None if picked_target == ANY else picked_target,
        outcome=None if picked_outcome == ANY else picked_outcome,
        text=contains.strip() or None,
    )


def run_actions(history: History, runs: list[RunSummary]) -> None:
    """Pick a run; open it in the playground, or delete it once confirmed."""
    labels = {run.id: run_label(run) for run in runs}
    chosen = st.selectbox("Run", list(labels), format_func=labels.get, key=HistoryKey.RUN)
    if chosen is None:
        return
    try:
        run = StoredRun.from_history(history.run(chosen))
    except HistoryError as error:  # deleted meanwhile (another session, the CLI)
        st.warning(inert(error))
        return
    if run.message:
        st.caption(f"{run.outcome}: {inert(run.message)}")
    open_column, delete_column = st.columns(2)
    if open_column.button("Open in playground", key=HistoryKey.OPEN, type="primary"):
        try:
            state[Kept.OPENED_RUN] = opened_run(run)
        except HistoryError as error:  # a row another program wrote
            st.warning(inert(error))
        else:
            st.switch_page("pages/playground.py")
    if delete_column.button("Delete…", key=HistoryKey.DELETE):
        state[HistoryKey.DELETE_PENDING] = run.id
    if state.get(HistoryKey.DELETE_PENDING) == run.id:
        confirm_delete(history, run.id)


def confirm_delete(history: History, run_id: int) -> None:
    st.warning(f"Delete run #{run_id} for good? Its inputs, chunks and entities go with it.")
    yes, no = st.columns(2)
    if yes.button("Delete for good", key=HistoryKey.CONFIRM_DELETE, type="primary"):
        try:
            history.delete(run_id)
        except HistoryError as error:
            st.warning(inert(error))
        state.pop(HistoryKey.DELETE_PENDING, None)
        state[HistoryKey.DELETED] = run_id
        st.rerun()
    if no.button("Cancel", key=HistoryKey.CANCEL_DELETE):
        state.pop(HistoryKey.DELETE_PENDING, None)
        st.rerun()


def page() -> None:
    st.title("🗂️ History")
    st.caption(
        "Every run of the playground and of `iterplay extract`, newest first, kept in "
        "`ITERPLAY_DB` on the server until deleted. Open one to see it again in the "
        "playground, or compare two on the **Compare** page."
    )
    history = open_history()
    if history is None:
        return
    with history:
        if (deleted := state.pop(HistoryKey.DELETED, None)) is not None:
            st.success(f"Run #{deleted} deleted.", icon="🗑️")
        where = run_filter(history)
        runs = history.list_runs(LIST_LIMIT, where)
        if not runs:
            st.info("No recorded run matches." if where != RunFilter() else "No runs yet.")
            return
        st.dataframe(run_table(runs), hide_index=True, key=HistoryKey.TABLE)
        run_actions(history, runs)


through_app_navigation()
page()
