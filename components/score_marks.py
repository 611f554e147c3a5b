"""Live scoring on the cards: a mark per card, ghost cards for missed entities, the score line.

Marks: ✓ correct, ≈ paired with an expected entity but some fields differ (each named, with the
expected value), ✗ not expected (invented) or invalid. Every value is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

import streamlit as st

from components.entity_cards import value_html
from iterplay.scoring import MARK_SYMBOLS, Mark, Scoring, Verdict

MARK_STYLE = """
<style>
.iterplay-mark { font-size: 0.85rem; margin: 0.1rem 0 0.3rem; }
.iterplay-mark.correct { color: #1b7f3b; }
.iterplay-mark.partial { color: #9a6700; }
.iterplay-mark.invented, .iterplay-mark.invalid { color: #b42318; }
.iterplay-ghost { border-style: dotted; opacity: 0.75; }
</style>
"""

_WORDS = {
    Mark.CORRECT: "matches expected",
    Mark.PARTIAL: "paired with expected",
    Mark.INVENTED: "not expected",
    Mark.INVALID: "invalid: counts as a wrong extraction",
}


def mark_html(verdict: Verdict, expected: tuple[dict[str, Any], ...]) -> str:
    """The mark a card carries, with the differing fields' expected values."""
    text = f"{MARK_SYMBOLS[verdict.mark]} {_WORDS[verdict.mark]}"
    if verdict.expected_index is not None:
        text += f" #{verdict.expected_index}"
    details = ""
    if verdict.differing and verdict.expected_index is not None:
        wanted = expected[verdict.expected_index]
        details = "; differs in " + ", ".join(
            f"<b>{escape(name)}</b> (expected {value_html(wanted.get(name))})"
            for name in verdict.differing
        )
    return (
        f'<div class="iterplay-mark {verdict.mark.value}" data-mark="{verdict.mark.value}">'
        f"{escape(text)}{details}</div>"
    )


def ghost_card_html(index: int, data: dict[str, Any], prefix: str = "") -> str:
    """An expected entity no extracted element was paired with."""
    return (
        f'<div class="iterplay-card iterplay-ghost st-key-{prefix}missed-card-{index}">'
        f'<div class="head">👻 missed · expected #{index}</div>{value_html(data)}</div>'
    )


def score_summary(scoring: Scoring) -> str:
    """One line of plain text: what was right, and precision, recall and F1."""
    marks = [verdict.mark for verdict in scoring.verdicts]
    counts = scoring.counts
    return (
        f"✓ {marks.count(Mark.CORRECT)} · ≈ {marks.count(Mark.PARTIAL)} · "
        f"✗ {marks.count(Mark.INVENTED) + marks.count(Mark.INVALID)} · "
        f"missed {len(scoring.missed)} — precision {counts.precision:.2f} · "
        f"recall {counts.recall:.2f} · F1 {counts.f1:.2f}"
    )


def score_line(scoring: Scoring, field_names: tuple[str, ...]) -> None:
    """The score line and per-field figures, drawn as text (field names come from schemas).

    Drawn again at each redraw of a live run, into one placeholder: no widget keys here."""
    st.text(score_summary(scoring))
    if field_names:
        rows = []
        for name in field_names:
            figures = scoring.counts.field_figures(name)
            rows.append({"field": name, **{k: round(v, 2) for k, v in figures.items()}})
        st.dataframe(rows, hide_index=True, width="stretch")
