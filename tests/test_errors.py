"""The closed set of failure kinds: what scripts branch on and what the page shows beside them."""

from __future__ import annotations

import pytest

from iterplay.errors import FailureKind
from iterplay.records import error_record


@pytest.mark.parametrize("kind", list(FailureKind))
def test_every_kind_has_a_label_for_the_page(kind):
    assert kind.label and kind.label[0].isupper()


def test_an_error_line_carries_the_kinds_plain_value():
    assert error_record(FailureKind.CASES, "cases.jsonl: line 3 is not JSON.") == {
        "type": "error",
        "kind": "cases",
        "message": "cases.jsonl: line 3 is not JSON.",
    }
