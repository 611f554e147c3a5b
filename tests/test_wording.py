"""The English the UI and the CLI share."""

from __future__ import annotations

import pytest

from iterplay.wording import counted, sentence


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0 entities"), (1, "1 entity"), (2, "2 entities")]
)
def test_a_count_agrees_with_its_noun(count, shown):
    assert counted(count, "entity", "entities") == shown
    assert counted(count, "finding") == shown.replace("entity", "finding").replace(
        "entities", "findings"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "the run was stopped (Stop, or another run started)",
            "the run was stopped (Stop, or another run started).",
        ),
        ("You pressed Stop.", "You pressed Stop."),
        ("Really?  ", "Really?"),
        ("", ""),
    ],
)
def test_a_reason_ends_as_a_sentence_once(text, shown):
    assert sentence(text) == shown
