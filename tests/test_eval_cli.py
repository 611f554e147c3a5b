"""``iterplay eval``, specified from outside: the real command against the scripted server.

Replies are scripted per run, so every figure below is known exactly.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from iterplay.testing import Reply, ScriptedServer
from tests.test_cli import ITERPLAY, clean_env

USER_PY = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
CASES = [
    {
        "id": "two",
        "text": "Jason is 10 and John is 30.",
        "expected": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}],
    },
    {"id": "mary", "text": "Mary is 42.", "expected": [{"name": "Mary", "age": 42}]},
]


def tasks(*people: tuple[str, int]) -> Reply:
    body = json.dumps({"tasks": [{"name": name, "age": age} for name, age in people]})
    return Reply.from_text(body, channel="tool_call")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    schema = tmp_path / "user.py"
    schema.write_text(USER_PY)
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(case) + "\n" for case in CASES))
    return {"schema": schema, "cases": cases}


def iterplay_eval(server: ScriptedServer, model: str, files, *args: str):
    command = [
        *ITERPLAY, "eval", "--schema", str(files["schema"]), "--cases", str(files["cases"]),
        "--base-url", server.url, "--api-key", "sk-test-eval", "--model", model, *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=clean_env())


def test_json_report_has_exact_figures(scripted_server, files):
    scripted_server.script(
        "known", tasks(("Jason", 10), ("John", 30)), tasks(("Mary", 41), ("Zed", 5))
    )
    completed = iterplay_eval(scripted_server, "known", files, "--json")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(completed.stdout)
    assert report["runs"] == 1
    assert report["overall"] == {
        "precision": 0.5, "recall": 2 / 3, "f1": pytest.approx(4 / 7), "tp": 2, "fp": 2, "fn": 1,
    }  # fmt: skip
    assert report["fields"]["name"] == {
        "precision": 0.75,
        "recall": 1.0,
        "f1": pytest.approx(6 / 7),
    }
    assert report["fields"]["age"]["precision"] == 0.5
    assert [(case["id"], case["f1"]) for case in report["cases"]] == [("two", 1.0), ("mary", 0.0)]
    assert report["cases"][1]["runs"][0]["ending"] == "complete"


def test_table_shows_cases_fields_and_overall(scripted_server, files):
    scripted_server.script("table", tasks(("Jason", 10), ("John", 30)), tasks(("Mary", 42)))
    completed = iterplay_eval(scripted_server, "table", files)
    assert completed.returncode == 0
    lines = completed.stdout.splitlines()
    assert lines[0].split() == ["case", "P", "R", "F1", "tp", "fp", "fn"]
    assert lines[1].split() == ["two", "1.00", "1.00", "1.00", "2", "0", "0"]
    assert lines[3].split() == ["overall", "1.00", "1.00", "1.00", "3", "0", "0"]
    assert ["name", "1.00", "1.00", "1.00"] in [line.split() for line in lines]


@pytest.mark.parametrize(("minimum", "status"), [("0.5", 0), ("0.6", 1)])
def test_min_f1_sets_the_exit_status(scripted_server, files, minimum, status):
    scripted_server.script(
        "gate", tasks(("Jason", 10), ("John", 30)), tasks(("Mary", 41), ("Zed", 5))
    )
    completed = iterplay_eval(scripted_server, "gate", files, "--json", "--min-f1", minimum)
    assert completed.returncode == status


def test_repeat_counts_how_many_runs_found_each_expected_entity(scripted_server, files):
    scripted_server.script(
        "wobbly",
        tasks(("Jason", 10), ("John", 30)),
        tasks(("Jason", 10)),
        tasks(("Mary", 42)),
        tasks(("Mary", 42)),
    )
    report = json.loads(
        iterplay_eval(scripted_server, "wobbly", files, "--json", "--repeat", "2").stdout
    )
    assert report["runs"] == 2
    assert [case["found_by"] for case in report["cases"]] == [[2, 1], [2]]
    assert report["cases"][0]["stability"]["recall"] == {"min": 0.5, "mean": 0.75, "max": 1.0}
    assert report["overall"]["tp"] == 5 and report["overall"]["fn"] == 1


def test_an_expected_entity_that_does_not_validate_is_an_error(scripted_server, files):
    files["cases"].write_text(json.dumps({"id": "bad", "text": "x", "expected": [{"name": "A"}]}))
    completed = iterplay_eval(scripted_server, "any", files, "--json")
    assert completed.returncode == 2
    error = json.loads(completed.stdout)
    assert error["type"] == "error" and error["kind"] == "cases"
    assert "case bad: expected entity 1: age: Field required" in error["message"]


def test_an_unreachable_provider_is_one_error_line(files):
    command = [
        *ITERPLAY, "eval", "--schema", str(files["schema"]), "--cases", str(files["cases"]),
        "--base-url", "http://127.0.0.1:9/v1", "--api-key", "k", "--model", "m",
    ]  # fmt: skip
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=clean_env()
    )
    assert completed.returncode == 2
    (line,) = completed.stdout.splitlines()
    assert json.loads(line)["kind"] == "connection"
    assert "Traceback" not in completed.stderr
