"""Cases, matching and precision/recall/F1, UI-free: used by ``iterplay eval`` and the playground.

- ``fields``: when two field values are the same (per type, per-field rules);
- ``scorer``: one-to-one pairing of extracted and expected entities, and the figures;
- ``cases``: the JSON Lines cases format, and checking expected entities against a target.
"""

from iterplay.scoring.cases import (
    Case,
    CaseSet,
    CheckedCase,
    check_case,
    comparer_for,
    entry_of,
    read_cases,
    write_cases,
)
from iterplay.scoring.fields import Compare, FieldRule, normalize_text
from iterplay.scoring.live import LiveScore
from iterplay.scoring.scorer import (
    MARK_SYMBOLS,
    Counts,
    EntityComparer,
    Entry,
    ExpectedIndex,
    Mark,
    Scorer,
    Scoring,
    Verdict,
)

__all__ = [
    "MARK_SYMBOLS",
    "Case",
    "CaseSet",
    "CheckedCase",
    "Compare",
    "Counts",
    "EntityComparer",
    "Entry",
    "ExpectedIndex",
    "FieldRule",
    "LiveScore",
    "Mark",
    "Scorer",
    "Scoring",
    "Verdict",
    "check_case",
    "comparer_for",
    "entry_of",
    "normalize_text",
    "read_cases",
    "write_cases",
]
