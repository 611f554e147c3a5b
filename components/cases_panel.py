"""Cases in the playground: the current text's expected entities, several texts per schema.

A case is the source text plus the entities a run on it should find. The case whose text is the
text on screen is the current one: its expected entities score every run live. Cards become
expected entities in one click, the expected list is edited as JSON, and cases go in and out as
JSON Lines (the format ``iterplay eval`` reads). An expected entity that does not validate
against the target is shown as an error on the case, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import streamlit as st

from components.inert_text import inert
from components.playground_state import Input, Kept, set_input
from iterplay.errors import CasesError
from iterplay.scoring import Case, CaseSet, CheckedCase, check_case, read_cases, write_cases
from iterplay.wrapper import Wrapper


def current_cases() -> CaseSet:
    return st.session_state.get(Kept.CASES, CaseSet(()))


def current_case_index(source_text: str) -> int | None:
    for index, case in enumerate(current_cases().cases):
        if case.text == source_text:
            return index
    return None


def add_expected(data: Any, source_text: str) -> None:
    """Append ``data`` to the current text's case, starting the case if there is none."""
    cases = current_cases()
    index = current_case_index(source_text)
    if index is None:
        _save(replace(cases, cases=(*cases.cases, Case(source_text, (data,)))))
        return
    case = cases.cases[index]
    _replace_case(index, replace(case, expected=(*case.expected, data)))


def cases_panel(wrapper: Wrapper | None, source_text: str) -> CheckedCase | None:
    """Draw the cases expander; the current case checked against the target, if any."""
    cases = current_cases()
    index = current_case_index(source_text)
    case = cases.cases[index] if index is not None else None
    checked = check_case(case, wrapper) if case is not None and wrapper is not None else None
    # A stable label: the browser keeps the expander open across the reruns its buttons cause.
    with st.expander("Expected entities (cases)", expanded=False):
        st.caption(
            f"{len(case.expected)} expected for this text · {len(cases.cases)} case(s)"
            if case
            else f"No case for this text · {len(cases.cases)} case(s)"
        )
        if case is None:
            st.caption(
                "Mark the right answers once: runs on this text are then scored live "
                "(✓ correct, ≈ a field differs, ✗ not expected, missed ones as ghost cards)."
            )
            if st.button("Start a case for this text", key="case-start"):
                _save(replace(cases, cases=(*cases.cases, Case(source_text))))
                st.rerun()
        else:
            _expected_editor(index, case)
            if checked is not None:
                for error in checked.errors:
                    st.warning(inert(error), icon="⚠️")
            if st.button("Remove this case", key="case-remove"):
                _save(replace(cases, cases=cases.cases[:index] + cases.cases[index + 1 :]))
                st.rerun()
        _case_picker(cases.cases, index)
        _import_export(cases)
    return checked


def expected_picker(entities: Sequence[tuple[int, Any]], source_text: str, run_key: str) -> None:
    """One click turns a card into an expected entity of the current text's case."""
    if not entities:
        return
    data_by_index = dict(entities)
    key = f"add-expected-{run_key}"

    def added() -> None:
        chosen = st.session_state.get(key)
        if chosen is not None:
            add_expected(data_by_index[chosen], source_text)
            st.session_state[key] = None

    st.pills(
        "Add a card to the expected entities",
        list(data_by_index),
        format_func=lambda i: f"＋ #{i}",
        selection_mode="single",
        key=key,
        on_change=added,
    )


def _expected_editor(index: int, case: Case) -> None:
    version = st.session_state.get(Kept.CASES_VERSION, 0)
    key = f"case-expected-{index}-{version}"
    st.text_area(
        "Expected entities (a JSON list of objects)",
        value=json.dumps(list(case.expected), indent=1, ensure_ascii=False),
        key=key,
        height=160,
        on_change=_expected_edited,
        args=(index, key),
    )
    problem = st.session_state.get(Kept.CASES_PROBLEM)
    if problem:
        st.error(inert(problem), icon="🚫")


def _expected_edited(index: int, key: str) -> None:
    """Runs before the page is drawn, so everything on it already uses the edited list."""
    st.session_state[Kept.CASES_PROBLEM] = None
    try:
        expected = json.loads(st.session_state[key])
    except (json.JSONDecodeError, RecursionError, ValueError) as error:
        st.session_state[Kept.CASES_PROBLEM] = f"Not JSON: {error}"
        return
    if not isinstance(expected, list) or not all(isinstance(e, dict) for e in expected):
        st.session_state[Kept.CASES_PROBLEM] = "Expected entities must be a JSON list of objects."
        return
    case = current_cases().cases[index]
    _replace_case(index, replace(case, expected=tuple(expected)), reseed=False)


def _case_picker(cases: Sequence[Case], current: int | None) -> None:
    if len(cases) < 1 or (len(cases) == 1 and current == 0):
        return
    labels = {i: f"{case.id or i + 1}: {case.text[:50]}" for i, case in enumerate(cases)}
    chosen = st.selectbox(
        "Cases", list(labels), format_func=labels.get, index=current or 0, key="case-picker"
    )
    if chosen != current and st.button("Use this case's text", key="case-use"):
        set_input(Input.SOURCE_TEXT, cases[chosen].text)
        st.rerun()


def _import_export(cases: CaseSet) -> None:
    left, right = st.columns(2)
    upload = left.file_uploader("Import cases (JSONL)", type=["jsonl", "json"], key="case-import")
    if upload is not None and st.session_state.get("case-imported") != upload.file_id:
        st.session_state["case-imported"] = upload.file_id
        try:
            imported = read_cases(upload.getvalue().decode("utf-8").splitlines())
        except (CasesError, UnicodeDecodeError) as error:
            st.error(f"Cannot import: {inert(error)}", icon="🚫")
        else:
            known = {case.text for case in cases.cases}
            added = tuple(case for case in imported.cases if case.text not in known)
            _save(CaseSet((*cases.cases, *added), {**cases.rules, **imported.rules}))
            st.rerun()
    if cases.cases:
        right.download_button(
            "Export cases (JSONL)",
            write_cases(cases),
            file_name="cases.jsonl",
            mime="application/jsonl",
            key="case-export",
        )


def _replace_case(index: int, case: Case, reseed: bool = True) -> None:
    cases = current_cases()
    _save(replace(cases, cases=(*cases.cases[:index], case, *cases.cases[index + 1 :])), reseed)


def replace_cases(cases: CaseSet) -> None:
    """Make ``cases`` the playground's cases (from a link): every editor shows them."""
    _save(cases)


def _save(cases: CaseSet, reseed: bool = True) -> None:
    st.session_state[Kept.CASES] = cases
    if reseed:
        st.session_state[Kept.CASES_VERSION] = st.session_state.get(Kept.CASES_VERSION, 0) + 1
