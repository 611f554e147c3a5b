"""Lanes: variants of one run (model, mode, system prompt, temperature) raced side by side.

Lane 0 is the run the playground's settings describe; lanes 1 and up each change some of its
settings and keep the rest (schema, text, max tokens, provider). All lanes start together on
the same schema and text. At the end, ``lane_diff`` says which entities every lane found,
which only some found, and where lanes that found the same entity differ on fields, pairing
entities with the matcher the scoring uses (``iterplay.scoring``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from iterplay.request import ExtractionRequest
from iterplay.scoring import Case, ExpectedIndex, Mark, Scorer, check_case, comparer_for, entry_of
from iterplay.wrapper import Wrapper

MAX_LANES = 4  # lane 0 and three variants


@dataclass(frozen=True)
class LaneSettings:
    """What a lane changes; None keeps lane 0's value."""

    model: str | None = None
    mode: str | None = None
    system_prompt: str | None = None
    temperature: float | None = None
    embedded: bool | None = None  # None: lane 0's provider; True/False: embedded or remote


def lane_request(base: ExtractionRequest, lane: LaneSettings, model: str) -> ExtractionRequest:
    """Lane 0's request with the lane's changes; ``model`` is the name its provider answers to."""
    return replace(
        base,
        model=model,
        mode=lane.mode or base.mode,
        system_prompt=base.system_prompt if lane.system_prompt is None else lane.system_prompt,
        temperature=base.temperature if lane.temperature is None else lane.temperature,
    )


@dataclass(frozen=True)
class FoundEntity:
    """One entity as the lanes found it: which lanes have it exactly, which with other values."""

    data: dict[str, Any]  # as the first lane that found it has it
    exact: tuple[int, ...]  # lanes with an equal entity
    differing: dict[int, tuple[str, ...]]  # lane -> the fields in which its entity differs


@dataclass(frozen=True)
class LaneDiff:
    lanes: int
    entities: tuple[FoundEntity, ...]

    @property
    def by_all(self) -> tuple[FoundEntity, ...]:
        return tuple(e for e in self.entities if len(e.exact) == self.lanes)

    @property
    def by_some(self) -> tuple[FoundEntity, ...]:
        return tuple(e for e in self.entities if 1 < len(e.exact) < self.lanes)

    @property
    def by_one(self) -> tuple[FoundEntity, ...]:
        return tuple(e for e in self.entities if len(e.exact) == 1 and self.lanes > 1)


def lane_diff(wrapper: Wrapper, found: Sequence[Sequence[Any]]) -> LaneDiff:
    """Compare the lanes' valid entities (``found[j]``: lane j's validated values, in order).

    Each lane's entities are paired with the entities collected so far (lane 0's, then those
    later lanes added) one to one, as scoring pairs extracted with expected entities: an equal
    pair counts the lane as finding it exactly; a partial pair names the differing fields; an
    unpaired entity is new, found by that lane alone so far.
    """
    rows: list[dict[str, Any]] = []  # per distinct entity: data, exact lanes, differing
    comparer = comparer_for(wrapper)
    for lane, values in enumerate(found):
        case = Case("", tuple(row["data"] for row in rows))
        checked = check_case(case, wrapper)
        scorer = Scorer(ExpectedIndex(comparer, checked.entries))
        entries = [entry_of(value, wrapper) for value in values]
        for entry in entries:
            scorer.add(entry)
        scoring = scorer.scoring()
        for entry, verdict in zip(entries, scoring.verdicts, strict=True):
            if verdict.mark is Mark.CORRECT and verdict.expected_index is not None:
                rows[verdict.expected_index]["exact"].append(lane)
            elif verdict.mark is Mark.PARTIAL and verdict.expected_index is not None:
                rows[verdict.expected_index]["differing"][lane] = verdict.differing
            else:
                rows.append({"data": entry.data, "exact": [lane], "differing": {}})
    entities = tuple(
        FoundEntity(row["data"], tuple(row["exact"]), dict(row["differing"])) for row in rows
    )
    return LaneDiff(len(found), entities)
