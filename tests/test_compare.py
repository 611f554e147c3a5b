"""Comparing two recorded runs: pairs by the scoring matcher, changed fields, figures, diffs."""

from __future__ import annotations

from pathlib import Path

from iterplay.compare import Change, compare_runs, unified_diff
from iterplay.history import History
from iterplay.request import DEFAULT_SYSTEM_PROMPT
from iterplay.stored_run import StoredRun
from tests.recorded_runs import USER, WRAPPER, record


def stored(path: Path, entities: list[dict], **changes) -> StoredRun:
    """A run with these entities, recorded in the history at ``path`` and read back."""
    run_id = record(path, entities, **changes)
    with History(path) as history:
        return StoredRun.from_history(history.run(run_id))


def changes(comparison) -> list[tuple[Change, tuple[str, ...]]]:
    return [(pair.change, pair.changed_fields) for pair in comparison.pairs]


JASON = {"name": "Jason", "age": 10}
JOHN = {"name": "John", "age": 30}


def test_the_same_entities_in_another_order_are_all_the_same(tmp_path):
    a = stored(tmp_path / "h.db", [JOHN, JASON])
    b = stored(tmp_path / "h.db", [JASON, JOHN])
    comparison = compare_runs(a, b, WRAPPER)
    assert changes(comparison) == [(Change.SAME, ()), (Change.SAME, ())]
    assert [(pair.a_index, pair.b_index) for pair in comparison.pairs] == [(0, 1), (1, 0)]


def test_an_entity_with_a_differing_field_is_changed_and_names_the_field(tmp_path):
    a = stored(tmp_path / "h.db", [JASON, {"name": "John", "age": 31}])
    b = stored(tmp_path / "h.db", [JASON, JOHN])
    comparison = compare_runs(a, b, WRAPPER)
    assert changes(comparison) == [(Change.SAME, ()), (Change.CHANGED, ("age",))]
    changed = comparison.pairs[1]
    assert (changed.a, changed.b) == ({"name": "John", "age": 31}, JOHN)


def test_an_entity_only_a_found_is_added_and_one_only_b_found_is_missing(tmp_path):
    ann, bob = {"name": "Ann", "age": 5}, {"name": "Bob", "age": 7}
    comparison = compare_runs(
        stored(tmp_path / "h.db", [JASON, ann]), stored(tmp_path / "h.db", [JASON, bob]), WRAPPER
    )
    assert [pair.change for pair in comparison.pairs] == [Change.SAME, Change.ADDED, Change.MISSING]
    assert (comparison.pairs[1].a, comparison.pairs[2].b) == (ann, bob)
    counts = {change: comparison.count(change) for change in Change}
    assert counts == {Change.SAME: 1, Change.CHANGED: 0, Change.ADDED: 1, Change.MISSING: 1}


def test_fields_compare_as_the_scoring_compares_them(tmp_path):
    """Strings are normalized (case, spaces, edge punctuation), as eval and live scoring do."""
    a = stored(tmp_path / "h.db", [{"name": " jason.", "age": 10}])
    b = stored(tmp_path / "h.db", [JASON])
    assert changes(compare_runs(a, b, WRAPPER)) == [(Change.SAME, ())]


def test_a_field_only_one_schema_has_counts_as_changed_where_values_differ(tmp_path):
    with_email = USER + "    email: str | None = None\n"
    a = stored(
        tmp_path / "h.db",
        [{**JASON, "email": "j@x.org"}, {**JOHN, "email": None}],
        schema_text=with_email,
    )
    b = stored(tmp_path / "h.db", [JASON, JOHN])
    comparison = compare_runs(a, b, WRAPPER)
    assert changes(comparison) == [(Change.CHANGED, ("email",)), (Change.SAME, ())]
    assert comparison.field_names == ("name", "age", "email")


def test_without_a_schema_entities_compare_by_their_json(tmp_path):
    a = stored(tmp_path / "h.db", [JASON, {"name": "John", "age": 31}])
    b = stored(tmp_path / "h.db", [JOHN, JASON])
    comparison = compare_runs(a, b, wrapper=None)
    assert changes(comparison) == [(Change.SAME, ()), (Change.CHANGED, ("age",))]


def test_schema_and_prompt_differences_are_a_unified_diff_from_b_to_a(tmp_path):
    a = stored(
        tmp_path / "h.db",
        [JASON],
        schema_text=USER.replace("age: int", "age: float"),
        system_prompt="Extract people.",
    )
    b = stored(tmp_path / "h.db", [JASON], system_prompt="Extract users.")
    comparison = compare_runs(a, b, WRAPPER)
    schema_lines = comparison.schema_diff.splitlines()
    assert schema_lines[:2] == [f"--- run {b.id}", f"+++ run {a.id}"]
    assert "-    age: int" in schema_lines and "+    age: float" in schema_lines
    assert "-Extract users." in comparison.prompt_diff.splitlines()
    assert "+Extract people." in comparison.prompt_diff.splitlines()


def test_no_prompt_given_is_the_default_prompt_the_run_sent(tmp_path):
    # The CLI records no prompt when none was given; the app records the default it shows.
    cli = stored(tmp_path / "h.db", [JASON], system_prompt=None, origin="cli")
    app = stored(tmp_path / "h.db", [JASON], system_prompt=DEFAULT_SYSTEM_PROMPT)
    assert compare_runs(cli, app, WRAPPER).prompt_diff == ""
    assert compare_runs(app, cli, WRAPPER).prompt_diff == ""


def test_runs_with_the_same_inputs_have_no_diff(tmp_path):
    comparison = compare_runs(stored(tmp_path / "h.db", [JASON]), stored(tmp_path / "h.db", []))
    assert (comparison.schema_diff, comparison.prompt_diff) == ("", "")
    assert unified_diff("x\n", "x\n", "a", "b") == ""


def test_figures_of_a_run_that_never_ended_come_from_what_arrived(tmp_path):
    stopped = stored(tmp_path / "h.db", [JASON, JOHN], complete=False)
    finished = stored(tmp_path / "h.db", [JASON])
    a, b = compare_runs(stopped, finished, WRAPPER).figures()
    assert (a.time_to_first_token, a.total_time, a.entities, a.invalid) == (0.2, 0.4, 2, 0)
    assert (b.time_to_first_token, b.total_time, b.entities) == (0.2, 1.0, 1)
    assert stopped.outcome == "incomplete"
