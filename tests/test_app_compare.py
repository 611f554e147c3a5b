"""The Compare page: two recorded runs, their entities paired, figures and inputs side by side."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.apptest_page import html_texts, markdown_texts
from tests.recorded_runs import USER, record

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def compare_page(a: int, b: int) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.switch_page("pages/compare.py").run()
    app.selectbox(key="compare_a").set_value(a).run()
    return app.selectbox(key="compare_b").set_value(b).run()


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def table(app: AppTest) -> str:
    return next(text for text in html_texts(app) if "cmp-table" in text)


def test_entities_are_counted_and_highlighted_as_added_missing_and_changed(history_file):
    b = record(
        history_file,
        [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}, {"name": "Bob", "age": 7}],
    )
    a = record(
        history_file,
        [{"name": "John", "age": 31}, {"name": "Jason", "age": 10}, {"name": "Ann", "age": 5}],
    )
    app = compare_page(a, b)
    assert not app.exception
    assert metrics(app) == {
        "Same": "1",
        "Changed": "1",
        "Added (only in A)": "1",
        "Missing (only in B)": "1",
    }
    html = table(app)
    rows = re.findall(r'<tr class="cmp-row cmp-(\w+)">(.*?)</tr>', html)
    assert [change for change, _ in rows] == ["changed", "same", "added", "missing"]
    changed_cells = re.findall(r'<td class="cmp-field-changed" data-field="(\w+)">(.*?)</td>', html)
    assert changed_cells == [
        ("age", '<span class="cmp-a">31</span><span class="cmp-b">30</span>'),
    ]
    assert "<td>Ann</td>" in rows[2][1] and "<td>Bob</td>" in rows[3][1]


def test_figures_and_inputs_are_side_by_side(history_file):
    b = record(history_file, [{"name": "Jason", "age": 10}], model="small")
    a = record(history_file, [], model="big", mode="tools", complete=False)
    app = compare_page(a, b)
    figures = app.dataframe[0].value.set_index("")
    assert list(figures.columns) == [f"A (#{a})", f"B (#{b})"]
    assert list(figures.loc["model"]) == ["big", "small"]
    assert list(figures.loc["outcome"]) == ["incomplete", "complete"]
    assert list(figures.loc["entities"]) == ["0", "1"]
    assert list(figures.loc["time to first token (s)"]) == ["0.20", "0.20"]
    assert list(figures.loc["total time (s)"]) == ["0.20", "1.00"]


def test_schema_and_system_prompt_differences_are_shown_as_a_diff(history_file):
    b = record(history_file, [], system_prompt="Extract users.")
    a = record(
        history_file,
        [],
        schema_text=USER.replace("age: int", "age: float"),
        system_prompt="Extract people.",
    )
    app = compare_page(a, b)
    schema_diff, prompt_diff = (code.value for code in app.code)
    assert "-    age: int\n+    age: float" in schema_diff
    assert "-Extract users.\n+Extract people." in prompt_diff
    assert "Neither run has entities." in [caption.value for caption in app.caption]


def test_the_lanes_of_one_race_can_be_picked_alone(history_file):
    lane_0 = record(history_file, [], race_id="race-1", lane=0)
    other = record(history_file, [])
    lane_1 = record(history_file, [], race_id="race-1", lane=1)
    app = compare_page(lane_1, lane_0)
    offered = app.selectbox(key="compare_b").options
    assert [option.split(" ")[0] for option in offered] == [f"#{other}", f"#{lane_0}"]
    app.checkbox(key="compare_same_race").check().run()
    (only,) = app.selectbox(key="compare_b").options
    assert only.startswith(f"#{lane_0} ") and "lane 0" in only
    # Run A changed to a run of no race: the box is cleared, and every other run is offered.
    app.selectbox(key="compare_a").set_value(other).run()
    assert not app.checkbox(key="compare_same_race").value
    offered = app.selectbox(key="compare_b").options
    assert [option.split(" ")[0] for option in offered] == [f"#{lane_1}", f"#{lane_0}"]


def test_run_values_are_shown_as_text(history_file):
    hostile = "![x](https://attacker.example/p.png) <img src=x onerror=alert(1)> **b**"
    b = record(history_file, [{"name": "Jason", "age": 10}], system_prompt=hostile)
    a = record(history_file, [{"name": hostile, "age": 10}], model=hostile)
    app = compare_page(a, b)
    assert not app.exception
    assert "<img" not in table(app) and "&lt;img src=x" in table(app)
    assert not [text for text in markdown_texts(app) if "attacker" in text]


def test_one_run_is_not_enough_to_compare(history_file):
    record(history_file, [])
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.switch_page("pages/compare.py").run()
    assert "Compare needs two recorded runs" in app.info[0].value
