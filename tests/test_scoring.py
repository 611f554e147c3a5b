"""Matching and scoring, specified by small cases: what counts as right, and the figures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from iterplay.errors import CasesError
from iterplay.scoring import (
    Case,
    CaseSet,
    Compare,
    Counts,
    ExpectedIndex,
    FieldRule,
    Mark,
    Scorer,
    check_case,
    comparer_for,
    entry_of,
    normalize_text,
    read_cases,
    write_cases,
)
from iterplay.wrapper import build_wrapper


class User(BaseModel):
    name: str
    age: int


class Price(BaseModel):
    item: str
    amount: float


USERS = build_wrapper([User])


def score(extracted, expected, wrapper=USERS, rules=None, invalid: int = 0):
    """Feed ``extracted`` dicts (and ``invalid`` failed elements) to a scorer; its scoring."""
    checked = check_case(Case("text", tuple(expected)), wrapper)
    assert checked.errors == ()
    scorer = Scorer(ExpectedIndex(comparer_for(wrapper, rules), checked.entries))
    for data in extracted:
        scorer.add(entry_of(wrapper.element_adapter.validate_python(data), wrapper))
    for _ in range(invalid):
        scorer.add(None)
    return scorer.scoring()


JASON, JOHN, MARY = (
    {"name": "Jason", "age": 10},
    {"name": "John", "age": 30},
    {"name": "Mary", "age": 42},
)


# -- field comparison ---------------------------------------------------------------------------


def test_strings_compare_after_case_unicode_space_and_edge_punctuation_are_normalized():
    assert normalize_text("  Ｍary   ANN. ") == normalize_text('"mary ann"') == "mary ann"


def test_numbers_compare_within_a_relative_tolerance():
    prices = build_wrapper([Price])
    assert (
        score(
            [{"item": "tea", "amount": 1.0000001}], [{"item": "tea", "amount": 1.0}], prices
        ).counts.correct
        == 1
    )
    assert (
        score(
            [{"item": "tea", "amount": 1.01}], [{"item": "tea", "amount": 1.0}], prices
        ).counts.correct
        == 0
    )


def test_a_tolerance_rule_widens_one_field():
    prices = build_wrapper([Price])
    rules = {"amount": FieldRule(Compare.TOLERANCE, 0.05)}
    assert (
        score(
            [{"item": "tea", "amount": 1.04}], [{"item": "tea", "amount": 1.0}], prices, rules
        ).counts.correct
        == 1
    )


def test_an_exact_rule_keeps_case():
    rules = {"name": FieldRule(Compare.EXACT)}
    assert score([{"name": "jason", "age": 10}], [JASON], rules=rules).counts.correct == 0


def test_an_ignored_field_neither_counts_nor_appears_in_field_figures():
    rules = {"age": FieldRule(Compare.IGNORE)}
    scoring = score([{"name": "Jason", "age": 99}], [JASON], rules=rules)
    assert scoring.counts.correct == 1
    assert set(scoring.counts.fields) == {"name"}


# -- pairing and figures ------------------------------------------------------------------------


def test_all_found_in_order_scores_one():
    counts = score([JASON, JOHN], [JASON, JOHN]).counts
    assert (counts.precision, counts.recall, counts.f1) == (1.0, 1.0, 1.0)


def test_reordering_never_changes_a_score():
    assert (
        score([MARY, JASON, JOHN], [JASON, JOHN, MARY]).counts
        == score([JASON, JOHN, MARY], [JASON, JOHN, MARY]).counts
    )


def test_one_wrong_field_is_one_field_error_and_no_correct_entity():
    scoring = score([{"name": "Mary", "age": 41}], [MARY])
    assert scoring.counts.correct == 0
    assert scoring.counts.fields == {"name": 1, "age": 0}
    assert scoring.verdicts[0].mark is Mark.PARTIAL and scoring.verdicts[0].differing == ("age",)
    assert scoring.counts.field_figures("name") == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_an_invented_entity_costs_precision_not_recall():
    scoring = score([JASON, {"name": "Zed", "age": 1}], [JASON])
    assert (scoring.counts.precision, scoring.counts.recall) == (0.5, 1.0)
    assert [v.mark for v in scoring.verdicts] == [Mark.CORRECT, Mark.INVENTED]


def test_a_duplicate_is_paired_once():
    scoring = score([JASON, JASON], [JASON])
    assert (scoring.counts.correct, scoring.counts.extracted) == (1, 2)
    assert sorted(v.mark for v in scoring.verdicts) == sorted([Mark.CORRECT, Mark.INVENTED])


def test_a_missed_entity_is_listed_and_costs_recall():
    scoring = score([JASON], [JASON, JOHN])
    assert scoring.missed == (1,)
    assert scoring.counts.recall == 0.5


def test_an_invalid_element_is_extracted_and_wrong():
    scoring = score([JASON], [JASON], invalid=1)
    assert (scoring.counts.extracted, scoring.counts.correct, scoring.counts.precision) == (
        2,
        1,
        0.5,
    )
    assert scoring.verdicts[1].mark is Mark.INVALID


def test_empty_expected_and_nothing_extracted_is_perfect():
    counts = score([], []).counts
    assert (counts.precision, counts.recall, counts.f1) == (1.0, 1.0, 1.0)


def test_empty_expected_with_extractions_scores_zero_precision():
    counts = score([JASON], []).counts
    assert (counts.precision, counts.recall, counts.f1) == (0.0, 1.0, 0.0)


def test_a_correct_entity_is_never_traded_for_more_partly_right_pairs():
    # Jason/10 + Zed/10 against Jason/10 + Jason/30: both pairings share 2 fields in total,
    # but only one of them has a correct entity, and that is the one chosen.
    jason_30 = {"name": "Jason", "age": 30}
    scoring = score([JASON, {"name": "Zed", "age": 10}], [JASON, jason_30])
    assert scoring.counts.correct == 1
    assert scoring.verdicts[0].mark is Mark.CORRECT


def test_counts_add_up_micro_averaged():
    first = Counts(extracted=2, expected=2, correct=2, fields={"name": 2})
    second = Counts(extracted=2, expected=4, correct=0, fields={"name": 1})
    total = first + second
    assert (total.precision, total.recall) == (0.5, 2 / 6)
    assert total.fields == {"name": 3}


def test_entities_of_different_models_never_pair():
    class Product(BaseModel):
        name: str
        age: int

    both = build_wrapper([User, Product])
    scoring = score([{"name": "Jason", "age": 10}], [], both)
    assert scoring.counts.correct == 0


# -- incremental equals all at once ---------------------------------------------------------------

names = st.sampled_from(["Jason", "jason ", "John", "Mary", "Zed"])
people = st.builds(lambda n, a: {"name": n, "age": a}, names, st.integers(0, 3))


@settings(max_examples=150, deadline=None)
@given(st.lists(people, max_size=8), st.lists(people, max_size=8), st.randoms())
def test_scores_from_incremental_updates_equal_scores_computed_at_the_end(
    extracted, expected, random
):
    checked = check_case(Case("t", tuple(expected)), USERS)
    live = Scorer(ExpectedIndex(comparer_for(USERS), checked.entries))
    for data in extracted:
        live.add(entry_of(USERS.element_adapter.validate_python(data), USERS))
        live.scoring()  # asked for figures while streaming
    shuffled = list(extracted)
    random.shuffle(shuffled)
    at_end = Scorer(ExpectedIndex(comparer_for(USERS), checked.entries))
    for data in shuffled:
        at_end.add(entry_of(USERS.element_adapter.validate_python(data), USERS))
    assert live.scoring().counts == at_end.scoring().counts


# -- the cases file -----------------------------------------------------------------------------


def test_cases_file_round_trips_with_its_settings():
    text = (
        '{"settings": {"fields": {"age": {"compare": "tolerance", "tolerance": 0.5}, '
        '"note": "ignore"}}}\n'
        '{"id": "a", "text": "Jason is 10", "expected": [{"name": "Jason", "age": 10}]}\n'
        '{"text": "nobody"}\n'
    )
    cases = read_cases(text.splitlines())
    assert [case.id for case in cases.cases] == ["a", None]
    assert cases.rules["note"].compare is Compare.IGNORE
    assert read_cases(write_cases(cases).splitlines()) == cases


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1: not JSON"),
        ('{"expected": []}', "line 1: 'text' must be a string"),
        ('{"text": "x", "expected": {"name": 1}}', "'expected' must be a list"),
        ('{"settings": {"fields": {"age": "roughly"}}}', "the rule for 'age' must be one of"),
    ],
)
def test_a_malformed_cases_line_names_the_line(line, message):
    with pytest.raises(CasesError, match=message):
        read_cases([line])


def test_an_expected_entity_that_does_not_validate_is_an_error_on_its_case():
    checked = check_case(Case("t", ({"name": "Jason", "age": "ten"}, JOHN)), USERS)
    assert len(checked.entries) == 1
    assert checked.errors == (
        "expected entity 1: age: Input should be a valid integer, "
        "unable to parse string as an integer",
    )


def test_case_set_keeps_cases_in_order():
    case_set = CaseSet((Case("a"), Case("b")))
    assert [case.text for case in case_set.cases] == ["a", "b"]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_the_ascii_fast_path_normalizes_as_unicode_does(text):
    from iterplay.scoring.fields import _normalize_unicode

    assert normalize_text(text) == _normalize_unicode(text)


class SolverOnly(Scorer):
    """The scorer without its shortcut: every assignment solved by linear_sum_assignment."""

    def _clear_best_pairs(self, rows):
        return None


@settings(max_examples=150, deadline=None)
@given(st.lists(people, max_size=8), st.lists(people, max_size=8))
def test_the_shortcut_for_clear_pairs_gives_the_solvers_figures_and_marks(extracted, expected):
    checked = check_case(Case("t", tuple(expected)), USERS)
    scorers = [
        kind(ExpectedIndex(comparer_for(USERS), checked.entries)) for kind in (Scorer, SolverOnly)
    ]
    for data in extracted:
        for scorer in scorers:
            scorer.add(entry_of(USERS.element_adapter.validate_python(data), USERS))
        fast, solved = (scorer.scoring() for scorer in scorers)
        assert (fast.counts, fast.verdicts, fast.missed) == (
            solved.counts,
            solved.verdicts,
            solved.missed,
        )
