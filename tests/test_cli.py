"""``iterplay extract``, specified from outside: the real command against the scripted server.

Each test runs the installed console script as a subprocess and reads what a script would read:
JSON Lines on stdout and the exit status (DESIGN "CLI contract").
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from iterplay.testing import Piece, Reply, ScriptedServer

API_KEY = "sk-cli-secret-0123456789"
JASON = '{"name": "Jason", "age": 10}'
JOHN = '{"name": "John", "age": 30}'
MARY = '{"name": "Mary", "age": 42}'
TASKS = '{"tasks": [' + JASON + ", " + JOHN + ", " + MARY + "]}"

USER_PY = '''\
from pydantic import BaseModel


class User(BaseModel):
    """A person the text mentions."""

    name: str
    age: int
'''

USER_JSON_SCHEMA = {
    "title": "User",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
}

USER_AND_PRODUCT_PY = """\
from pydantic import BaseModel


class User(BaseModel):
    name: str
    age: int


class Product(BaseModel):
    title: str
    price: float
"""

BROKEN_PY = """\
from pydantic import BaseModel


class User(BaseModel):
    name: str
    age: int = __import__("os").system("true")
"""


def _command() -> list[str]:
    """The installed console script when there is one, else the module."""
    script = Path(sys.executable).with_name("iterplay")
    return [str(script)] if script.exists() else [sys.executable, "-m", "iterplay.cli"]


ITERPLAY = _command()


@dataclass(frozen=True)
class CliRun:
    status: int
    records: list[dict[str, Any]]
    stdout: str
    stderr: str

    @property
    def last(self) -> dict[str, Any]:
        return self.records[-1]

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [record for record in self.records if record["type"] in types]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any provider settings of the machine running the tests."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENAI_")}
    env.pop("ITERPLAY_MODEL", None)
    return {**env, **extra}


def iterplay_extract(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    completed = subprocess.run(
        [*ITERPLAY, "extract", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env or clean_env(),
    )
    records = [json.loads(line) for line in completed.stdout.splitlines()]
    return CliRun(completed.returncode, records, completed.stdout, completed.stderr)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    contents = {
        "user.py": USER_PY,
        "user.json": json.dumps(USER_JSON_SCHEMA),
        "user_and_product.py": USER_AND_PRODUCT_PY,
        "broken.py": BROKEN_PY,
        "text.txt": "Jason is 10, John is 30 and Mary is 42.",
    }
    for name, content in contents.items():
        (folder / name).write_text(content, encoding="utf-8")
    return {name: folder / name for name in contents}


def extract_from(server: ScriptedServer, files: dict[str, Path], model: str, *args: str, **kw):
    """Run against ``server`` with the User schema and text file unless ``args`` say otherwise."""
    defaults = {"--schema": str(files["user.py"]), "--text": str(files["text.txt"])}
    for flag in list(defaults):
        if flag in args:
            del defaults[flag]
    flags = [item for pair in defaults.items() for item in pair]
    connection = ["--base-url", server.url, "--api-key", API_KEY, "--model", model]
    return iterplay_extract(*connection, *flags, *args, **kw)


# -- a complete stream --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def complete_run(server, files) -> CliRun:
    server.script("complete", Reply.from_text(TASKS, chunk_size=5, channel="tool_call"))
    return extract_from(server, files, "complete")


def test_one_entity_line_per_element_in_order(complete_run):
    entities = complete_run.of_type("entity")

    assert [{key: line[key] for key in ("type", "index", "data")} for line in entities] == [
        {"type": "entity", "index": 0, "data": {"name": "Jason", "age": 10}},
        {"type": "entity", "index": 1, "data": {"name": "John", "age": 30}},
        {"type": "entity", "index": 2, "data": {"name": "Mary", "age": 42}},
    ]
    assert 0 < entities[0]["t"] <= entities[1]["t"] <= entities[2]["t"]


def test_exactly_one_final_done_line_says_complete(complete_run):
    assert complete_run.of_type("done", "error") == [complete_run.last]
    assert complete_run.last["complete"] is True
    assert complete_run.last["finish_reason"] == "stop"
    assert complete_run.last["stats"]["entities"] == 3


def test_complete_stream_exits_0(complete_run):
    assert complete_run.status == 0


def test_no_token_or_partial_lines_without_events_flag(complete_run):
    assert [record["type"] for record in complete_run.records] == ["entity"] * 3 + ["done"]


def test_every_line_is_one_json_object_and_stderr_is_empty(complete_run):
    assert complete_run.stdout.count("\n") == len(complete_run.records)
    assert complete_run.stderr == ""


# -- the other endings --------------------------------------------------------------------------


def test_an_empty_list_is_complete_and_the_done_line_says_nothing_came_out(server, files):
    server.script("empty", Reply.from_text('{"tasks": []}', channel="tool_call"))

    run = extract_from(server, files, "empty")

    assert (run.status, run.last["type"], run.last["complete"]) == (0, "done", True)
    assert run.last["message"] == "The stream completed, but the model returned an empty list."


def test_events_flag_adds_token_and_partial_lines(server, files):
    server.script("events", Reply.from_text(TASKS, chunk_size=4))

    run = extract_from(server, files, "events", "--mode", "json", "--events")

    assert "".join(record["text"] for record in run.of_type("token")) == TASKS
    kinds = [(record["type"], record.get("index")) for record in run.of_type("partial", "entity")]
    assert kinds.index(("partial", 0)) < kinds.index(("entity", 0)) < kinds.index(("partial", 1))
    growing = [record["data"] for record in run.of_type("partial") if record["index"] == 0]
    assert growing[-1] == {"name": "Jason"}
    assert run.of_type("done") == [run.last]


def test_invalid_element_is_a_line_and_the_stream_goes_on(server, files):
    wrong = '{"name": "Bob", "age": "old"}'
    server.script("invalid", Reply.from_text(f"[{JASON}, {wrong}, {JOHN}]", channel="tool_call"))

    run = extract_from(server, files, "invalid")

    assert [(record["type"], record["index"]) for record in run.records[:-1]] == [
        ("entity", 0),
        ("invalid", 1),
        ("entity", 2),
    ]
    invalid = run.records[1]
    assert invalid["raw"] == wrong
    assert [(error["loc"], error["type"]) for error in invalid["errors"]] == [
        (["age"], "int_parsing")
    ]
    assert (run.last["complete"], run.status) == (True, 0)


def test_max_tokens_cut_exits_1_after_the_entities(server, files):
    cut = "Here you go:\n```json\n" + TASKS[: TASKS.index("Mary")]
    server.script("truncated", Reply.from_text(cut, finish_reason="length"))

    run = extract_from(server, files, "truncated", "--mode", "md_json", "--max-tokens", "40")

    assert [record["index"] for record in run.of_type("entity")] == [0, 1]
    assert (run.last["type"], run.last["complete"], run.last["ending"]) == (
        "done",
        False,
        "truncated",
    )
    assert run.status == 1
    assert server.requests[-1]["max_tokens"] == 40


def test_dropped_connection_exits_1_after_the_entities(server, files):
    pieces = ['{"tasks": [' + JASON + ", ", JOHN + ", ", MARY[:6], MARY[6:] + "]}"]
    server.script("dropped", Reply.from_pieces(pieces, drop_after=3, channel="tool_call"))

    run = extract_from(server, files, "dropped")

    assert [record["index"] for record in run.of_type("entity")] == [0, 1]
    assert (run.last["type"], run.last["complete"], run.last["ending"]) == (
        "done",
        False,
        "cut_off",
    )
    assert run.status == 1


def test_provider_error_is_one_error_line_and_exits_2(server, files):
    run = extract_from(server, files, "no-such-model")

    assert [record["type"] for record in run.records] == ["error"]
    assert run.last["kind"] == "not_found"
    assert "Model 'no-such-model' was not found" in run.last["message"]
    assert run.status == 2


def test_api_key_never_appears_in_the_output(server, files):
    echo = {"message": f"Incorrect API key provided: {API_KEY}."}
    server.script("echoes-key", Reply(status=401, error=echo))

    run = extract_from(server, files, "echoes-key")

    assert (run.last["kind"], run.status) == ("auth", 2)
    assert API_KEY not in run.stdout + run.stderr


# -- schemas, targets and input -----------------------------------------------------------------


def test_schema_from_a_json_schema_file(server, files):
    server.script("json-schema", Reply.from_text(TASKS, channel="tool_call"))

    run = extract_from(server, files, "json-schema", "--schema", str(files["user.json"]))

    assert [record["data"]["name"] for record in run.of_type("entity")] == ["Jason", "John", "Mary"]
    parameters = server.requests[-1]["tools"][0]["function"]["parameters"]
    assert parameters["$defs"]["User"]["properties"]["age"]["minimum"] == 0


def test_two_targets_give_a_union_of_both_models(server, files):
    mixed = '{"tasks": [' + JASON + ', {"title": "Lamp", "price": 9.5}]}'
    server.script("union", Reply.from_text(mixed, channel="tool_call"))
    schema = str(files["user_and_product.py"])

    run = extract_from(server, files, "union", "--schema", schema, "--target", "User,Product")

    assert [record["data"] for record in run.of_type("entity")] == [
        {"name": "Jason", "age": 10},
        {"title": "Lamp", "price": 9.5},
    ]
    assert server.requests[-1]["tools"][0]["function"]["name"] == "IterableUserOrProduct"


def test_several_roots_without_target_extract_all_of_them_as_the_playground_does(server, files):
    mixed = '{"tasks": [' + JASON + ', {"title": "Lamp", "price": 9.5}]}'
    server.script("all-roots", Reply.from_text(mixed, channel="tool_call"))
    schema = str(files["user_and_product.py"])

    run = extract_from(server, files, "all-roots", "--schema", schema)

    assert run.status == 0
    assert server.requests[-1]["tools"][0]["function"]["name"] == "IterableUserOrProduct"
    assert "note: several root models (User, Product): extracting all of them" in run.stderr


def test_broken_schema_is_an_error_line_with_the_line_number(server, files):
    requests_before = len(server.requests)

    run = extract_from(server, files, "complete", "--schema", str(files["broken.py"]))

    assert [record["type"] for record in run.records] == ["error"]
    assert run.last["kind"] == "schema"
    assert "broken.py: line 6" in run.last["message"]
    assert run.status == 2
    assert len(server.requests) == requests_before


def test_text_dash_reads_standard_input(server, files):
    server.script("stdin", Reply.from_text(TASKS, channel="tool_call"))

    run = extract_from(server, files, "stdin", "--text", "-", stdin="Zoë 🎉 is 7.\n")

    assert run.status == 0
    assert "Zoë 🎉 is 7." in server.requests[-1]["messages"][1]["content"]


def test_provider_comes_from_the_environment_without_flags(server, files):
    server.script("from-env", Reply.from_text(TASKS, channel="tool_call"))
    env = clean_env(OPENAI_BASE_URL=server.url, OPENAI_API_KEY=API_KEY, ITERPLAY_MODEL="from-env")

    run = iterplay_extract(
        "--schema", str(files["user.py"]), "--text", str(files["text.txt"]), env=env
    )

    assert (run.status, len(run.of_type("entity"))) == (0, 3)


def test_help_states_the_output_contract():
    completed = subprocess.run(
        [*ITERPLAY, "extract", "--help"], capture_output=True, text=True, timeout=60
    )

    assert completed.returncode == 0
    for promise in ("JSON Lines", '"type": "entity"', '"type": "done"', '"type": "error"'):
        assert promise in completed.stdout
    assert "exit status: 0 for a complete stream, 1 for a truncated or cut one, 2 for an error" in (
        completed.stdout
    )


# -- output is live -----------------------------------------------------------------------------


def test_each_line_is_printed_as_soon_as_its_entity_completes(files):
    """The server holds the last element back until the test has read the first entity line.

    The pause is far longer than the test: once the line is in, stopping the server cuts the
    stream, so nothing here depends on how fast the machine is.
    """
    held_back = Piece(", " + JOHN + "]}", pause=120.0)
    reply = Reply(pieces=(Piece('{"tasks": [' + JASON), held_back), channel="tool_call")
    with ScriptedServer() as server:
        server.script("held", reply)
        command = [*ITERPLAY, "extract", "--schema", str(files["user.py"])]
        command += ["--text", str(files["text.txt"]), "--base-url", server.url]
        command += ["--api-key", API_KEY, "--model", "held"]
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env()
        ) as process:
            try:
                first_line = json.loads(process.stdout.readline())
                pieces_sent = [index for _, index, _ in server.sent]
            finally:
                server.stop()
                rest = [json.loads(line) for line in process.stdout]
                process.wait(timeout=30)

    assert (first_line["type"], first_line["index"]) == ("entity", 0)
    assert pieces_sent == [0]
    assert [record["type"] for record in rest] == ["done"]
    assert (rest[0]["ending"], process.returncode) == ("cut_off", 1)


def test_a_reader_that_leaves_early_gets_no_traceback(server, files):
    server.script("leaves", Reply.from_text(TASKS, chunk_size=5, pause=0.02, channel="tool_call"))
    connection = ["--base-url", server.url, "--api-key", API_KEY, "--model", "leaves"]
    command = [*ITERPLAY, "extract", *connection, "--schema", str(files["user.py"])]
    command += ["--text", str(files["text.txt"])]
    reader = subprocess.run(
        f"{' '.join(command)} | head -n 1", shell=True, capture_output=True, text=True,
        timeout=60, env=clean_env(),
    )  # fmt: skip
    assert json.loads(reader.stdout)["type"] == "entity"
    assert "Traceback" not in reader.stderr


def test_entity_lines_use_the_json_keys_the_model_produced(server, files, tmp_path):
    schema = tmp_path / "ref.py"
    schema.write_text(
        "from pydantic import BaseModel, Field\n\n"
        "class Ref(BaseModel):\n    from_: str = Field(alias='from')\n"
    )
    server.script("keys", Reply.from_text('{"tasks": [{"from": "Ann"}]}', channel="tool_call"))
    run = extract_from(server, files, "keys", "--schema", str(schema))
    assert run.of_type("entity")[0]["data"] == {"from": "Ann"}


def test_a_round_trip_note_goes_to_stderr(server, files, tmp_path):
    schema = tmp_path / "frozen.py"
    schema.write_text(
        "from pydantic import BaseModel, ConfigDict\n\n"
        "class User(BaseModel):\n    model_config = ConfigDict(frozen=True)\n    name: str\n"
    )
    server.script("frozen", Reply.from_text('{"tasks": [{"name": "Ann"}]}', channel="tool_call"))
    run = extract_from(server, files, "frozen", "--schema", str(schema))
    assert run.of_type("entity")[0]["data"] == {"name": "Ann"}
    assert "note: User: model_config frozen cannot be carried by JSON Schema" in run.stderr


@pytest.mark.parametrize(
    ("redirect", "says"),
    [("> /dev/full", "No space left on device"), (">&-", "standard output is closed")],
)
def test_output_that_cannot_be_written_is_one_line_on_stderr(tmp_path, redirect, says):
    schema = tmp_path / "user.py"
    schema.write_text(USER_PY)
    command = " ".join([*map(shlex.quote, ITERPLAY), "lint", "--schema", str(schema)])
    done = subprocess.run(
        f"{command} {redirect}", shell=True, capture_output=True, text=True, env=clean_env()
    )
    assert done.returncode == 2
    assert done.stderr == f"iterplay: the output cannot be written ({says})\n"
