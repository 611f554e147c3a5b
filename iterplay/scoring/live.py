"""One run scored against the current case while it streams: what the playground draws from.

A thin layer over ``Scorer``: it turns each validated element into the entry the scorer compares
(its JSON by alias, its model), and keeps the expected entities' JSON for ghost cards and for
showing the expected value beside a differing field.
"""

from __future__ import annotations

from typing import Any

from iterplay.events import Entity, Invalid
from iterplay.scoring.cases import CheckedCase, comparer_for, entry_of
from iterplay.scoring.fields import FieldRule
from iterplay.scoring.scorer import ExpectedIndex, Scorer, Scoring, Verdict
from iterplay.wrapper import Wrapper


class LiveScore:
    """Feed it a run's elements in order; ask for figures and marks at any moment."""

    def __init__(
        self, wrapper: Wrapper, case: CheckedCase, rules: dict[str, FieldRule] | None = None
    ) -> None:
        self._wrapper = wrapper
        comparer = comparer_for(wrapper, rules)
        self.field_names = comparer.field_names
        self.expected: tuple[dict[str, Any], ...] = tuple(entry.data for entry in case.entries)
        self._scorer = Scorer(ExpectedIndex(comparer, case.entries))

    def take(self, element: Entity | Invalid) -> Verdict:
        """The element's mark as far as known now (final marks come from ``scoring``)."""
        if isinstance(element, Invalid):
            return self._scorer.add(None)
        return self._scorer.add(entry_of(element.value, self._wrapper))

    def scoring(self) -> Scoring:
        return self._scorer.scoring()
