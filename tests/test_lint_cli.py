"""``iterplay lint``, specified from outside: the real command on schema files.

Exit status 0 when clean, 1 with findings, 2 on an error (one ``error`` line, as ``extract``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from iterplay.testing import Reply
from tests.test_cli import ITERPLAY, clean_env, iterplay_extract

PEOPLE_PY = '''\
from pydantic import BaseModel, Field


class Person(BaseModel):
    """Someone the text names."""

    name: str
    age: int = Field(ge=0)
    email: str | None = None
'''

PLAIN_PY = "from pydantic import BaseModel\n\nclass Person(BaseModel):\n    name: str\n"
BROKEN_PY = "from pydantic import BaseModel\n\nclass Person(BaseModel)\n    name: str\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lint")
    contents = {"people": PEOPLE_PY, "plain": PLAIN_PY, "broken": BROKEN_PY}
    paths = {name: folder / f"{name}.py" for name in contents}
    for name, content in contents.items():
        paths[name].write_text(content)
    return paths


def iterplay_lint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ITERPLAY, "lint", *args], capture_output=True, text=True, timeout=120, env=clean_env()
    )


def test_findings_for_openai_strict_mode_exit_1_with_rule_path_and_fix(files):
    completed = iterplay_lint("--schema", str(files["people"]))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    out = completed.stdout
    assert "error   openai.optional-field  #/$defs/Person/properties/email" in out
    assert "`Person.email` is optional" in out
    assert "fix: List it in `required`" in out
    assert "for `IterablePerson` with OpenAI strict mode." in out.splitlines()[-1]


def test_json_lists_finding_objects(files):
    completed = iterplay_lint("--schema", str(files["people"]), "--json")
    assert completed.returncode == 1
    findings = json.loads(completed.stdout)
    assert {"rule", "severity", "path", "message", "fix"} == set(findings[0])
    assert {"rule": "openai.default", "path": "#/$defs/Person/properties/email"} in [
        {"rule": f["rule"], "path": f["path"]} for f in findings
    ]


def test_llama_cpp_findings_name_the_constraints_only_validation_checks(files):
    completed = iterplay_lint("--schema", str(files["people"]), "--provider", "llama_cpp", "--json")
    assert completed.returncode == 1
    assert [(f["rule"], f["path"]) for f in json.loads(completed.stdout)] == [
        ("llama_cpp.unenforced-keyword", "#/$defs/Person/properties/age/minimum")
    ]


def test_a_clean_schema_exits_0(files):
    completed = iterplay_lint("--schema", str(files["plain"]), "--provider", "llama_cpp")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (
        completed.stdout == "No findings: `IterablePerson` is ready for llama.cpp's grammar "
        "(the embedded model).\n"
    )


def test_a_mode_that_only_prompts_is_clean_and_says_why(files):
    completed = iterplay_lint("--schema", str(files["people"]), "--mode", "json", "--json")
    assert completed.returncode == 0
    assert json.loads(completed.stdout) == []
    assert "only as text in the prompt" in completed.stderr


def test_a_broken_schema_is_one_error_line_and_exit_2(files):
    completed = iterplay_lint("--schema", str(files["broken"]))
    assert completed.returncode == 2
    [record] = [json.loads(line) for line in completed.stdout.splitlines()]
    assert record["type"] == "error" and record["kind"] == "schema"
    assert "line 3" in record["message"]


def test_extract_strict_sends_the_fixed_schema_with_strict_true(files, scripted_server):
    reply = '{"tasks": [{"name": "Mary", "age": 42, "email": null}]}'
    scripted_server.script("strict", Reply.from_text(reply))
    run = iterplay_extract(
        "--schema", str(files["people"]), "--text", "-", "--mode", "json_schema", "--strict",
        "--base-url", scripted_server.url, "--api-key", "sk-lint-0123456789", "--model", "strict",
        stdin="Mary is 42.",
    )  # fmt: skip
    assert run.status == 0, run.stdout + run.stderr
    assert run.of_type("entity")[0]["data"] == {"name": "Mary", "age": 42, "email": None}
    [sent] = scripted_server.requests
    response_format = sent["response_format"]["json_schema"]
    assert response_format["strict"] is True
    person = response_format["schema"]["$defs"]["Person"]
    assert person["additionalProperties"] is False
    assert person["required"] == ["name", "age", "email"]
