"""Lanes core: a lane's request, and the diff of what the lanes found."""

from __future__ import annotations

from pydantic import BaseModel

from iterplay.lanes import LaneSettings, lane_diff, lane_request
from iterplay.request import ExtractionRequest
from iterplay.wrapper import build_wrapper


class User(BaseModel):
    name: str
    age: int


USERS = build_wrapper([User])


def users(*pairs):
    return [User(name=name, age=age) for name, age in pairs]


def test_a_lane_changes_only_what_it_sets():
    base = ExtractionRequest(USERS, "t", "a", "tools", "prompt", 0.0, 100)
    lane = lane_request(base, LaneSettings(mode="json", temperature=0.5), "b")
    assert (lane.model, lane.mode, lane.system_prompt, lane.temperature, lane.max_tokens) == (
        "b", "json", "prompt", 0.5, 100,
    )  # fmt: skip


def test_entities_found_by_all_some_and_one_lane():
    diff = lane_diff(
        USERS,
        [
            users(("Ann", 1), ("Bob", 2), ("Cy", 3)),
            users(("Ann", 1), ("Bob", 2)),
            users(("ann ", 1), ("Dee", 4)),
        ],
    )
    assert [e.data["name"] for e in diff.by_all] == ["Ann"]
    assert [e.data["name"] for e in diff.by_some] == ["Bob"]
    assert [e.data["name"] for e in diff.by_one] == ["Cy", "Dee"]


def test_a_pair_with_a_differing_field_names_it_per_lane():
    diff = lane_diff(USERS, [users(("Ann", 1)), users(("Ann", 2))])
    (ann,) = diff.entities
    assert ann.exact == (0,) and ann.differing == {1: ("age",)}
