"""Run history: real SQLite files, migrations, concurrent writers, foreign and corrupt files."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from pydantic import BaseModel

from iterplay.errors import FailureKind, HistoryError
from iterplay.events import Entity, Failed, Finished, Stats, Token
from iterplay.history import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    TEXT_START_CHARS,
    History,
    RunFilter,
    RunInputs,
    default_path,
    recorded,
)


class User(BaseModel):
    name: str
    age: int


KEY = "sk-history-canary-0123456789"


def inputs(**changes) -> RunInputs:
    values = dict(
        schema_text="class User(BaseModel): ...",
        schema_kind="pydantic",
        target=["User"],
        source_text="Jason is 10.",
        system_prompt=None,
        base_url=f"http://user:{KEY}@127.0.0.1:9/v1",
        model="m",
        mode="tools",
        parameters={"temperature": 0.0},
    )
    return RunInputs(**{**values, **changes})


def complete_run() -> list:
    jason = User(name="Jason", age=10)
    stats = Stats(entities=1, chunks=2)
    return [
        Token('{"tasks": [{"name": "Jason", ', 0.1),
        Token('"age": 10}]}', 0.2),
        Entity(0, jason, (11, 39), 0.2),
        Finished("stop", True, "complete", "the stream ended properly", stats),
    ]


def test_a_run_is_stored_with_its_inputs_chunks_events_and_outcome(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        recorder = history.start_run(inputs())
        list(recorded(complete_run(), recorder))
        (summary,) = history.list_runs()
        run = history.run(summary.id)
    assert (summary.outcome, summary.entities, summary.target) == ("complete", 1, ("User",))
    assert [chunk["text"] for chunk in run["chunks"]] == [
        '{"tasks": [{"name": "Jason", ',
        '"age": 10}]}',
    ]
    assert run["entities_found"][0]["data"] == {"name": "Jason", "age": 10}
    assert run["parameters"] == {"temperature": 0.0}


def test_the_key_is_never_stored(tmp_path):
    path = tmp_path / "h.sqlite3"
    with History(path) as history:
        list(recorded(complete_run(), history.start_run(inputs())))
        assert history.run(1)["base_url"] == "http://127.0.0.1:9/v1"
    assert KEY.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


def test_an_interrupted_run_is_kept_as_incomplete_with_what_arrived(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        events = recorded(iter(complete_run()[:3]), history.start_run(inputs()))
        for event in events:
            if isinstance(event, Entity):
                events.close()  # the reader stops here: Stop, a lost page, Ctrl+C
        run = history.run(1)
    assert (run["outcome"], run["entities"]) == ("incomplete", 1)
    assert len(run["chunks"]) == 2


def test_a_failed_run_says_why(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        failure = Failed(FailureKind.AUTH, "The provider refused the key.", Stats())
        list(recorded([failure], history.start_run(inputs())))
        run = history.run(1)
    assert (run["outcome"], run["message"]) == ("failed", "The provider refused the key.")


def test_delete_is_the_only_way_data_leaves(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        for _ in range(3):
            list(recorded(complete_run(), history.start_run(inputs())))
        history.delete(2)
        assert [run.id for run in history.list_runs()] == [3, 1]
        assert history.run(1)["chunks"]
        with pytest.raises(HistoryError, match="there is no run 2"):
            history.delete(2)


def test_a_file_written_by_the_previous_version_is_migrated_with_its_runs(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0])
    old.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    old.execute("PRAGMA user_version = 1")
    old.execute(
        "INSERT INTO runs (started_at, origin, schema_text, schema_kind, target, source_text, "
        "base_url, model, mode, parameters, outcome) VALUES ('2026-01-01', 'cli', 's', "
        "'pydantic', '[\"User\"]', 't', 'http://x/v1', 'old-model', 'json', '{}', 'complete')"
    )
    old.commit()
    old.close()
    with History(path) as history:
        (summary,) = history.list_runs()
        assert summary.model == "old-model"
        recorder = history.start_run(inputs(race_id="race-1", lane=1))
        assert history.run(recorder.run_id)["lane"] == 1
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3


def test_events_stored_before_spans_get_theirs_from_the_chunks_when_migrated(tmp_path):
    path = tmp_path / "v2.sqlite3"
    old = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        old.executescript(script)
    old.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    old.execute("PRAGMA user_version = 2")
    old.execute(
        "INSERT INTO runs (started_at, origin, schema_text, schema_kind, target, source_text, "
        "base_url, model, mode, parameters, outcome) VALUES ('2026-01-01', 'cli', 's', "
        "'pydantic', '[\"User\"]', 't', 'http://x/v1', 'old-model', 'json', '{}', 'complete')"
    )
    chunks = ['Sure: {"tasks": [{"name": "Ja', 'son", "age": 10}, {"name": "Bo', 'b"}]}']
    for seq, text in enumerate(chunks):
        old.execute("INSERT INTO chunks VALUES (1, ?, ?, ?)", (seq, 0.1 * (seq + 1), text))
    old_lines = [  # as iterplay extract printed them before spans
        {"type": "entity", "index": 0, "data": {"name": "Jason", "age": 10}, "t": 0.2},
        {"type": "invalid", "index": 1, "raw": '{"name": "Bob"}', "errors": [], "t": 0.3},
    ]
    for seq, line in enumerate(old_lines):
        old.execute("INSERT INTO events VALUES (1, ?, ?, ?)", (seq, line["type"], json.dumps(line)))
    old.commit()
    old.close()

    with History(path) as history:
        events = history.run(1)["events"]

    raw_text = "".join(chunks)
    assert [raw_text[slice(*event["span"])] for event in events] == [
        '{"name": "Jason", "age": 10}',
        '{"name": "Bob"}',
    ]


def test_a_run_reads_back_as_a_recording_of_the_same_chunks_and_events(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        list(recorded(complete_run(), history.start_run(inputs())))
        recording = history.recording(1)
    tokens, entity, finished = complete_run()[:2], complete_run()[2], complete_run()[3]
    assert [(chunk.text, chunk.t) for chunk in recording.chunks] == [
        (token.text, token.t) for token in tokens
    ]
    assert recording.events == (Entity(0, {"name": "Jason", "age": 10}, entity.span, entity.t),)
    assert recording.end == finished
    assert (recording.schema_kind, recording.target) == ("pydantic", ("User",))


def test_a_foreign_database_is_reported_and_left_as_it_is(tmp_path):
    path = tmp_path / "other.sqlite3"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE accounts (id INTEGER)")
    other.commit()
    other.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="is not an iterplay history; set ITERPLAY_DB"):
        History(path)
    assert path.read_bytes() == before


def test_a_corrupt_file_is_reported_and_left_as_it_is(tmp_path):
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"this is not a database at all, just text" * 100)
    before = path.read_bytes()
    with pytest.raises(HistoryError, match=r"(cannot be read as|is not) an iterplay history"):
        History(path)
    assert path.read_bytes() == before


def test_a_file_from_a_newer_iterplay_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    History(path).close()
    newer = sqlite3.connect(path)
    newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer.close()
    with pytest.raises(HistoryError, match="written by a newer iterplay"):
        History(path)


def test_iterplay_db_names_the_file(tmp_path):
    assert default_path({"ITERPLAY_DB": str(tmp_path / "x.db")}) == tmp_path / "x.db"
    assert default_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "iterplay/history.sqlite3"


def _write_runs(path: str, writer: int, runs: int) -> None:
    with History(Path(path)) as history:
        for number in range(runs):
            events = complete_run()
            list(recorded(events, history.start_run(inputs(model=f"w{writer}-{number}"))))


def test_concurrent_writers_lose_no_run(tmp_path):
    path = tmp_path / "shared.sqlite3"
    History(path).close()
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_runs, args=(str(path), w, 15)) for w in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
    assert [writer.exitcode for writer in writers] == [0, 0, 0, 0]
    with History(path) as history:
        runs = history.list_runs(limit=1000)
    assert sorted(run.model for run in runs) == sorted(
        f"w{w}-{n}" for w in range(4) for n in range(15)
    )
    assert {run.outcome for run in runs} == {"complete"}


def test_show_output_is_json_ready(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        list(recorded(complete_run(), history.start_run(inputs())))
        json.dumps(history.run(1))


def test_runs_are_listed_by_model_target_outcome_and_text(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        for model, target, text in [
            ("small", ["User"], "Jason is 10."),
            ("big", ["User", "Pet"], "Ünïcode JASON and Rex."),
            ("big", ["Pet"], "Rex the dog."),
        ]:
            inputs_ = inputs(model=model, target=target, source_text=text)
            list(recorded(complete_run(), history.start_run(inputs_)))
        history.start_run(inputs(model="small", source_text="stopped"))

        def ids(**where) -> list[int]:
            return [run.id for run in history.list_runs(where=RunFilter(**where))]

        assert ids() == [4, 3, 2, 1]
        assert ids(model="big") == [3, 2]
        assert ids(target="User") == [4, 2, 1]
        assert ids(outcome="incomplete") == [4]
        assert ids(text="jason") == [2, 1]
        assert ids(text="ÜNÏCODE") == [2]
        assert ids(model="big", target="Pet", text="dog") == [3]
        assert ids(text="%") == []
        choices = history.filter_choices()
    assert choices.models == ("big", "small")
    assert choices.targets == ("Pet", "User")
    assert choices.outcomes == ("complete", "incomplete")


def test_a_listed_run_shows_where_its_text_starts(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        history.start_run(inputs(source_text="x" * 500, race_id="r1", lane=2))
        (summary,) = history.list_runs()
    assert summary.text_start == "x" * TEXT_START_CHARS
    assert (summary.origin, summary.race_id, summary.lane) == ("cli", "r1", 2)


@pytest.mark.parametrize(
    ("table", "column", "value", "says"),
    [
        ("runs", "target", "not json", "its target"),
        ("runs", "target", "5", "its target"),
        ("runs", "target", "null", "its target"),
        ("runs", "stats", "[1, 2]", "its stats"),
        ("runs", "stats", '{"total_time": "abc"}', "its stats"),
        ("runs", "parameters", '"x"', "its parameters"),
        ("chunks", "t", "abc", "chunk 0"),
        ("chunks", "t", 1e300, "chunk 0"),
        ("chunks", "text", b"{", "chunk 0"),
    ],
)
def test_a_row_another_program_changed_is_one_sentence_and_the_rest_still_lists(
    tmp_path, table, column, value, says
):
    path = tmp_path / "h.sqlite3"
    with History(path) as history:
        for _ in range(2):
            list(recorded(complete_run(), history.start_run(inputs())))
    tampering = sqlite3.connect(path)
    key = "id" if table == "runs" else "run_id"
    tampering.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = 1", (value,))
    tampering.commit()
    tampering.close()
    with History(path) as history:
        assert [run.id for run in history.list_runs()] == [2, 1]
        assert history.run(2)["entities_found"]
        with pytest.raises(HistoryError) as refused:
            history.run(1)
        with pytest.raises(HistoryError):
            history.recording(1)
    assert str(refused.value) == (
        f"run 1 in {path} cannot be read ({says} is not what iterplay writes); the history may "
        "have been written by another program"
    )
