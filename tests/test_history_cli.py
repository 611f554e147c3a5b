"""``iterplay history`` and ``extract``'s recording, from outside: the real commands."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time

import pytest

from iterplay.cli import EXIT_INTERRUPTED
from iterplay.testing import Reply
from tests.test_cli import ITERPLAY, clean_env

USER_PY = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
KEY = "sk-history-cli-canary-123456"


@pytest.fixture
def env(tmp_path):
    return clean_env(ITERPLAY_DB=str(tmp_path / "runs.sqlite3"))


@pytest.fixture
def schema(tmp_path):
    path = tmp_path / "user.py"
    path.write_text(USER_PY)
    return path


def iterplay(env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ITERPLAY, *args], input=stdin, capture_output=True, text=True, timeout=120, env=env
    )


def extract(scripted_server, env, schema, model: str, *args: str):
    scripted_server.script(
        model, Reply.from_text('{"tasks": [{"name": "Jason", "age": 10}]}', channel="tool_call")
    )
    return iterplay(
        env, "extract", "--schema", str(schema), "--text", "-", "--base-url",
        scripted_server.url, "--api-key", KEY, "--model", model, *args,
        stdin="Jason is 10.",
    )  # fmt: skip


def test_every_extract_is_listed_newest_first(scripted_server, env, schema):
    extract(scripted_server, env, schema, "first")
    extract(scripted_server, env, schema, "second")
    listed = json.loads(iterplay(env, "history", "--json").stdout)
    assert [(run["id"], run["model"], run["outcome"]) for run in listed] == [
        (2, "second", "complete"),
        (1, "first", "complete"),
    ]
    assert listed[0]["entities"] == 1 and listed[0]["target"] == ["User"]


def test_show_prints_a_run_with_its_entities_and_never_the_key(scripted_server, env, schema):
    extract(scripted_server, env, schema, "shown")
    run = json.loads(iterplay(env, "history", "show", "1", "--json").stdout)
    assert run["entities_found"][0]["data"] == {"name": "Jason", "age": 10}
    assert run["source_text"] == "Jason is 10."
    assert "".join(chunk["text"] for chunk in run["chunks"]).startswith('{"tasks"')
    text = iterplay(env, "history", "show", "1").stdout
    assert '{"name": "Jason", "age": 10}' in text
    assert KEY not in json.dumps(run) and KEY not in text


def test_no_history_skips_recording(scripted_server, env, schema):
    extract(scripted_server, env, schema, "unrecorded", "--no-history")
    assert json.loads(iterplay(env, "history", "--json").stdout) == []


def test_delete_removes_one_run(scripted_server, env, schema):
    extract(scripted_server, env, schema, "a")
    extract(scripted_server, env, schema, "b")
    assert iterplay(env, "history", "delete", "1").returncode == 0
    assert [run["id"] for run in json.loads(iterplay(env, "history", "--json").stdout)] == [2]
    missing = iterplay(env, "history", "delete", "1")
    assert missing.returncode == 2
    assert json.loads(missing.stdout)["kind"] == "history"


def test_a_foreign_history_file_is_one_sentence_and_the_run_still_works(
    scripted_server, env, schema, tmp_path
):
    foreign = tmp_path / "foreign.sqlite3"
    foreign.write_bytes(b"not a database " * 100)
    env = {**env, "ITERPLAY_DB": str(foreign)}
    run = extract(scripted_server, env, schema, "still-runs")
    assert run.returncode == 0
    assert "history:" in run.stderr and "not saved" in run.stderr
    listed = iterplay(env, "history")
    assert listed.returncode == 2
    assert "Traceback" not in listed.stderr
    assert foreign.read_bytes() == b"not a database " * 100


def test_the_table_has_one_line_per_run(scripted_server, env, schema):
    extract(scripted_server, env, schema, "table-model")
    lines = iterplay(env, "history").stdout.splitlines()
    assert lines[0].split()[:2] == ["id", "time"]
    assert "table-model" in lines[1] and lines[1].rstrip().endswith("complete")


TWO_PEOPLE = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'


def extract_paused_after_jason(scripted_server, env, schema, model: str, gate: str):
    """``iterplay extract`` running, its model paused after the first element until ``gate``
    opens; returned once that element (Jason) is printed."""
    reply = Reply.held_after_first_element(TWO_PEOPLE, gate, channel="tool_call")
    scripted_server.script(model, reply)
    process = subprocess.Popen(
        [*ITERPLAY, "extract", "--schema", str(schema), "--text", "-", "--base-url",
         scripted_server.url, "--api-key", KEY, "--model", model],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        process.stdin.write("Jason is 10 and John is 30.")
        process.stdin.close()
        assert json.loads(process.stdout.readline())["data"] == {"name": "Jason", "age": 10}
    except BaseException:
        process.kill()
        process.wait(timeout=30)
        raise
    return process


def test_an_extract_waiting_on_its_model_keeps_no_other_writer_out(scripted_server, env, schema):
    """SQLite lets one writer in at a time: a run whose model pauses mid-stream must not hold
    the history's write lock meanwhile, or the app's sessions would lose their runs."""
    process = extract_paused_after_jason(scripted_server, env, schema, "pausing", "pausing-gate")
    try:
        # The model is now paused after its first element; another writer gets in at once.
        other = sqlite3.connect(env["ITERPLAY_DB"], timeout=2.0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
        finally:
            other.close()
    finally:
        scripted_server.open_gate("pausing-gate")
        process.wait(timeout=60)
    assert process.returncode == 0, process.stderr.read()
    shown = json.loads(iterplay(env, "history", "show", "1", "--json").stdout)
    assert [e["data"]["name"] for e in shown["entities_found"]] == ["Jason", "John"]
    assert shown["outcome"] == "complete"


def test_an_extract_killed_mid_stream_is_kept_as_incomplete_with_what_arrived(
    scripted_server, env, schema
):
    """Issue 10: a run whose process is killed (no handler runs, nothing is flushed at exit)
    stays in the history as incomplete, with the entities that had arrived."""
    process = extract_paused_after_jason(scripted_server, env, schema, "killed", "never-opened")
    try:
        deadline = time.monotonic() + 30
        while not stored_entities(env) and time.monotonic() < deadline:
            time.sleep(0.05)  # the entity is written while the stream goes on
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    shown = json.loads(iterplay(env, "history", "show", "1", "--json").stdout)
    assert shown["outcome"] == "incomplete"
    assert [e["data"]["name"] for e in shown["entities_found"]] == ["Jason"]
    assert KEY not in json.dumps(shown)


def test_ctrl_c_ends_an_extract_with_one_error_line_and_no_traceback(scripted_server, env, schema):
    process = extract_paused_after_jason(scripted_server, env, schema, "stopped", "never-opens")
    try:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        rest, errors = process.stdout.read(), process.stderr.read()
    finally:
        process.kill()
    assert process.returncode == EXIT_INTERRUPTED
    assert "Traceback" not in errors
    (last,) = [json.loads(line) for line in rest.splitlines()]
    assert (last["type"], last["kind"]) == ("error", "interrupted")
    assert "Ctrl+C" in last["message"] and "history keeps the run as incomplete" in last["message"]
    shown = json.loads(iterplay(env, "history", "show", "1", "--json").stdout)
    assert shown["outcome"] == "incomplete"
    assert [e["data"]["name"] for e in shown["entities_found"]] == ["Jason"]


def stored_entities(env) -> list[str]:
    shown = iterplay(env, "history", "show", "1", "--json")
    if shown.returncode != 0:
        return []
    return [e["data"]["name"] for e in json.loads(shown.stdout)["entities_found"]]


def test_a_base_url_with_credentials_is_recorded_without_them(scripted_server, env, schema):
    """A password shaped like a key once made the masked URL unparseable (a traceback)."""
    scripted_server.script(
        "creds", Reply.from_text('{"tasks": [{"name": "Jason", "age": 10}]}', channel="tool_call")
    )
    with_credentials = scripted_server.url.replace("://", "://someone:sk-url-password-77@", 1)
    done = iterplay(
        env, "extract", "--schema", str(schema), "--text", "-", "--base-url", with_credentials,
        "--api-key", KEY, "--model", "creds", stdin="Jason is 10.",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["type"] == "done"
    run = json.loads(iterplay(env, "history", "show", "1", "--json").stdout)
    assert run["base_url"] == scripted_server.url
    assert run["entities_found"][0]["data"] == {"name": "Jason", "age": 10}


@pytest.mark.parametrize("command", [["history"], ["history", "show", "1"], ["replay", "1"]])
def test_a_history_path_that_is_a_folder_is_one_error_line(tmp_path, command):
    done = iterplay(clean_env(ITERPLAY_DB=str(tmp_path)), *command)
    assert (done.returncode, done.stderr) == (2, "")
    (line,) = [json.loads(text) for text in done.stdout.splitlines()]
    assert (line["type"], line["kind"]) == ("error", "history")
    assert line["message"] == f"cannot open the history at {tmp_path}: unable to open database file"
