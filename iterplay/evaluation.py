"""Run every case of a cases file (N times each) and score the runs: ``iterplay eval``'s core.

Figures over cases and repeated runs are micro-averaged: counts are summed first, then turned
into precision, recall and F1 (see ``iterplay.scoring``). With several runs per case, each
expected entity says how many runs found it, and precision and recall show their spread.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, assert_never

from iterplay.errors import ProviderError
from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Retrying, Token
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.scoring import (
    CaseSet,
    CheckedCase,
    Counts,
    ExpectedIndex,
    Mark,
    Scorer,
    check_case,
    comparer_for,
)
from iterplay.scoring.cases import entry_of
from iterplay.wrapper import Wrapper


@dataclass(frozen=True)
class EvalSettings:
    """Everything about a run that is the same for every case."""

    mode: str
    temperature: float | None = None
    max_tokens: int | None = None
    system_prompt: str | None = None
    repeat: int = 1


@dataclass(frozen=True)
class CaseRun:
    """One run of one case: its counts, which expected entities it found, and how it ended."""

    counts: Counts
    found: tuple[bool, ...]
    ending: str

    def to_json(self) -> dict[str, Any]:
        return {**_figures(self.counts), "ending": self.ending}


@dataclass(frozen=True)
class CaseReport:
    """Every run of one case."""

    checked: CheckedCase
    runs: tuple[CaseRun, ...]

    @property
    def counts(self) -> Counts:
        return sum((run.counts for run in self.runs), Counts())

    @property
    def label(self) -> str:
        return self.checked.case.id or self.checked.case.text[:40]

    def found_by(self) -> list[int]:
        """For each expected entity, how many runs found it exactly."""
        return [sum(run.found[j] for run in self.runs) for j in range(len(self.checked.entries))]

    def to_json(self) -> dict[str, Any]:
        report = {
            "id": self.checked.case.id,
            "runs": [run.to_json() for run in self.runs],
            **_figures(self.counts),
        }
        if len(self.runs) > 1:
            report["found_by"] = self.found_by()
            report["stability"] = _spread(run.counts for run in self.runs)
        return report


@dataclass(frozen=True)
class EvalReport:
    """The whole evaluation: per case, per field, overall."""

    cases: tuple[CaseReport, ...]
    repeat: int
    field_names: tuple[str, ...]

    @property
    def overall(self) -> Counts:
        return sum((case.counts for case in self.cases), Counts())

    def to_json(self) -> dict[str, Any]:
        overall = self.overall
        report: dict[str, Any] = {
            "overall": overall.figures(),
            "fields": {name: overall.field_figures(name) for name in self.field_names},
            "cases": [case.to_json() for case in self.cases],
            "runs": self.repeat,
        }
        if self.repeat > 1:
            per_repetition = [
                sum((case.runs[r].counts for case in self.cases), Counts())
                for r in range(self.repeat)
            ]
            report["stability"] = _spread(per_repetition)
        return report


RunEvents = Callable[[ProviderConfig, ExtractionRequest], Any]


def evaluate(
    provider: ProviderConfig,
    wrapper: Wrapper,
    case_set: CaseSet,
    settings: EvalSettings,
    run_events: RunEvents,
    on_run: Callable[[int, int], None] = lambda done, total: None,
) -> EvalReport:
    """Run each case ``settings.repeat`` times; a provider failure raises ProviderError."""
    comparer = comparer_for(wrapper, case_set.rules)
    checked = [check_case(case, wrapper) for case in case_set.cases]
    total, done = len(checked) * settings.repeat, 0
    reports = []
    for item in checked:
        index = ExpectedIndex(comparer, item.entries)
        runs = []
        for _ in range(settings.repeat):
            request = ExtractionRequest(
                wrapper=wrapper,
                text=item.case.text,
                model=provider.model,
                mode=settings.mode,
                system_prompt=settings.system_prompt,
                temperature=settings.temperature,
                max_tokens=settings.max_tokens,
            )
            scorer = Scorer(index)
            runs.append(_scored_run(run_events(provider, request), scorer, wrapper, item))
            done += 1
            on_run(done, total)
        reports.append(CaseReport(item, tuple(runs)))
    return EvalReport(tuple(reports), settings.repeat, comparer.field_names)


def _scored_run(
    events: Iterable[Event], scorer: Scorer, wrapper: Wrapper, item: CheckedCase
) -> CaseRun:
    ending = "unknown"
    for event in events:
        match event:
            case Entity():
                scorer.add(entry_of(event.value, wrapper))
            case Invalid():
                scorer.add(None)
            case Finished():
                ending = str(event.ending)
            case Failed():
                raise ProviderError(event.kind, event.message)
            case Token() | Partial() | Retrying():
                pass
            case _:
                assert_never(event)
    scoring = scorer.scoring()
    found = [False] * len(item.entries)
    for verdict in scoring.verdicts:
        if verdict.mark is Mark.CORRECT and verdict.expected_index is not None:
            found[verdict.expected_index] = True
    return CaseRun(scoring.counts, tuple(found), ending)


def _figures(counts: Counts) -> dict[str, Any]:
    figures = counts.figures()
    return {key: figures[key] for key in ("precision", "recall", "f1", "tp", "fp", "fn")}


def _spread(counts: Any) -> dict[str, dict[str, float]]:
    items = list(counts)
    spread = {}
    for figure in ("precision", "recall", "f1"):
        values = [getattr(item, figure) for item in items]
        spread[figure] = {
            "min": min(values),
            "mean": statistics.fmean(values),
            "max": max(values),
        }
    return spread
