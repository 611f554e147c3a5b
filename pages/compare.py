"""Compare two recorded runs (or two lanes of one race): entities, figures, inputs.

Run B is the reference: entities are paired with the scoring's matcher, B's as the expected
side (see ``iterplay.compare``). Everything a run holds is shown as escaped HTML, table values
or code, never markdown.
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd
import streamlit as st

from components.comparison_table import comparison_html
from components.inert_text import inert
from components.navigation import through_app_navigation
from components.run_history import open_history, recorded_wrapper, run_label
from iterplay.compare import Change, RunComparison, compare_runs
from iterplay.errors import HistoryError
from iterplay.history import RunSummary
from iterplay.stored_run import RunFigures, StoredRun

LIST_LIMIT = 500
state = st.session_state


class CompareKey(StrEnum):
    """Widget keys of this page (tests address the widgets by them)."""

    RUN_A = "compare_a"
    RUN_B = "compare_b"
    SAME_RACE = "compare_same_race"
    ENTITIES = "compare-entities"
    FIGURES = "compare-figures"


FIGURE_ROWS = (
    ("time to first token (s)", "time_to_first_token"),
    ("total time (s)", "total_time"),
    ("entities", "entities"),
    ("invalid", "invalid"),
    ("completion tokens", "completion_tokens"),
    ("prompt tokens", "prompt_tokens"),
    ("tokens per second", "tokens_per_second"),
)


def pick_runs(runs: list[RunSummary]) -> tuple[int, int] | None:
    """Run A, then run B among the others (or among A's race's lanes)."""
    by_id = {run.id: run for run in runs}
    labels = {run.id: run_label(run) for run in runs}
    first, second = st.columns(2)
    a_id = first.selectbox("Run A", list(by_id), format_func=labels.get, key=CompareKey.RUN_A)
    if a_id is None:
        return None
    race = by_id[a_id].race_id
    if race is None:  # else a box ticked for a lane stays ticked, disabled, hiding every lane
        state[CompareKey.SAME_RACE] = False
    same_race = second.checkbox(
        "Only lanes of run A's race",
        key=CompareKey.SAME_RACE,
        disabled=race is None,
        help="Runs started together by one Extract, one per lane.",
    )
    others = [run.id for run in runs if run.id != a_id and (not same_race or run.race_id == race)]
    b_id = second.selectbox(
        "Run B (the reference)", others, format_func=labels.get, key=CompareKey.RUN_B
    )
    return None if b_id is None else (a_id, b_id)


def entity_counts(comparison: RunComparison) -> None:
    for column, change in zip(st.columns(len(Change)), Change, strict=True):
        column.metric(change.label, comparison.count(change))


def figures_table(comparison: RunComparison) -> pd.DataFrame:
    a, b = comparison.figures()
    rows = [
        ("outcome", comparison.a.outcome, comparison.b.outcome),
        ("model", comparison.a.model, comparison.b.model),
        ("mode", comparison.a.mode, comparison.b.mode),
        (
            "temperature",
            _shown(comparison.a.parameters.get("temperature")),
            _shown(comparison.b.parameters.get("temperature")),
        ),
        *((label, _figure(a, name), _figure(b, name)) for label, name in FIGURE_ROWS),
    ]
    return pd.DataFrame(rows, columns=["", f"A (#{comparison.a.id})", f"B (#{comparison.b.id})"])


def _figure(figures: RunFigures, name: str) -> str:
    return _shown(getattr(figures, name))


def _shown(value: object) -> str:
    """Every cell as text, so a column never mixes types."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def differences(comparison: RunComparison) -> None:
    schema, prompt = st.columns(2)
    with schema:
        st.subheader("Schema")
        if comparison.schema_diff:
            st.code(comparison.schema_diff, language="diff", wrap_lines=True)
        else:
            st.caption("The same schema and target.")
    with prompt:
        st.subheader("System prompt")
        if comparison.prompt_diff:
            st.code(comparison.prompt_diff, language="diff", wrap_lines=True)
        else:
            st.caption("The same system prompt.")


def show(comparison: RunComparison) -> None:
    st.subheader("Entities")
    st.caption(
        "Paired as evaluation pairs them, B's entities as the expected ones: changed fields "
        "show A's value over B's (struck through)."
    )
    entity_counts(comparison)
    with st.container(key=CompareKey.ENTITIES):
        if comparison.pairs:
            st.html(comparison_html(comparison))
        else:
            st.caption("Neither run has entities.")
    st.subheader("Figures")
    # Eleven rows: "auto" shows ten and hides the last behind a scroll bar.
    st.dataframe(
        figures_table(comparison), hide_index=True, height="content", key=CompareKey.FIGURES
    )
    differences(comparison)


def page() -> None:
    st.title("⚖️ Compare runs")
    st.caption(
        "Pick two runs of the **History** (or two lanes of one race): which entities each "
        "found, the fields that differ, their figures side by side, and how their schemas and "
        "system prompts differ."
    )
    history = open_history()
    if history is None:
        return
    with history:
        runs = history.list_runs(LIST_LIMIT)
        if len(runs) < 2:
            st.info("Compare needs two recorded runs: press **Extract** in the playground twice.")
            return
        picked = pick_runs(runs)
        if picked is None:
            return
        try:
            a, b = (StoredRun.from_history(history.run(run_id)) for run_id in picked)
        except HistoryError as error:  # deleted meanwhile (another session, the CLI)
            st.warning(inert(error))
            return
    wrapper = recorded_wrapper(b.schema_text, b.schema_kind, b.target) or recorded_wrapper(
        a.schema_text, a.schema_kind, a.target
    )
    show(compare_runs(a, b, wrapper))


through_app_navigation()
page()
