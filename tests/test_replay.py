"""Run files and replay, specified from outside: the real ``iterplay extract --save`` against the
scripted server, then the real ``iterplay replay`` with no server at all.

Every scripted case (the provider faults of ``test_faults`` and the stream shapes below) is
recorded once; its replay must print exactly the lines the run printed, and every element's span
must cut the element out of the run's raw text.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from iterplay.errors import FailureKind
from iterplay.events import MAX_RECORDED_SECONDS, Entity, Finished, Invalid, Retrying, Stats, Token
from iterplay.replay import replay
from iterplay.run_file import RUN_FILE_VERSION, Chunk, Recording
from iterplay.schema import load_schema
from iterplay.testing import Reply, ScriptedServer
from iterplay.wrapper import build_wrapper
from tests.test_cli import ITERPLAY, JASON, JOHN, TASKS, USER_AND_PRODUCT_PY, USER_PY
from tests.test_cli import clean_env as cli_env
from tests.test_faults import FAULTS, RATE_LIMITED_ONCE

CANARY_KEY = "sk-replay-canary-0123456789"
CANARY_PASSWORD = "pw-replay-canary-9876543210"
BOB_TOO_OLD = '{"name": "Bob", "age": "old"}'
PASSTHROUGH = ("token", "partial", "retrying")

USER_AGE_AT_MOST_18_PY = """\
from pydantic import BaseModel, Field


class User(BaseModel):
    name: str
    age: int = Field(le=18)
"""

USER_AGE_ANY_PY = """\
from pydantic import BaseModel


class User(BaseModel):
    name: str
    age: int | str
"""

PERSON_PY = """\
from pydantic import BaseModel


class Person(BaseModel):
    name: str
    age: int
"""

ESCAPING_PY = """\
from pydantic import BaseModel


class User(BaseModel):
    name: str = __import__("pathlib").Path("{marker}").write_text("ran")
"""


@dataclass(frozen=True)
class Case:
    """One scripted run: the replies, and how ``extract`` is called."""

    name: str
    replies: tuple[Reply, ...]
    mode: str = "tools"
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    endpoint: str = "scripted"  # or "without /v1"
    schema: str = "user.py"


def _fault_cases() -> list[Case]:
    """Every fault of test_faults that the scripted server plays."""
    return [
        Case(
            f"fault: {fault.name}",
            fault.replies,
            fault.mode,
            env={"ITERPLAY_TIMEOUT": str(fault.timeout)},
            endpoint=fault.endpoint,
        )
        for fault in FAULTS
        if fault.endpoint in ("scripted", "without /v1")
    ]


def _tool_call(text: str, **options: Any) -> Reply:
    return Reply.from_text(text, channel="tool_call", **options)


def scripted(name: str, *replies: Reply, **options: Any) -> Case:
    return Case(name, replies, **options)


TRUNCATED = "Here:\n```json\n" + TASKS[: TASKS.index("Mary")]
TRICKY = '{"tasks": [{"name": "Zoë 🎉 } ] \\" \\u00e9", "age": 7}, ' + JOHN + "]}"
DROPPED = ['{"tasks": [' + JASON + ", ", JOHN[:9], JOHN[9:] + "]}"]
MALFORMED = '{"tasks": [' + JASON + ', {"name": "Al" "age": 3}, ' + JOHN + "]}"
UNION = '{"tasks": [' + JASON + ', {"title": "Lamp", "price": 9.5}]}'

THREE_ENTITIES = scripted("three entities in small chunks", _tool_call(TASKS, chunk_size=5))
AN_INVALID_ELEMENT = scripted(
    "an invalid element between two", _tool_call(f"[{JASON}, {BOB_TOO_OLD}, {JOHN}]")
)
CASES = [
    *_fault_cases(),
    THREE_ENTITIES,
    AN_INVALID_ELEMENT,
    scripted("a malformed element", _tool_call(MALFORMED)),
    scripted(
        "truncated by max tokens inside a fence",
        Reply.from_text(TRUNCATED, finish_reason="length"),
        mode="md_json",
        args=("--max-tokens", "40"),
    ),
    scripted(
        "connection dropped mid-element",
        Reply.from_pieces(DROPPED, drop_after=2, channel="tool_call"),
    ),
    scripted(
        "a bare array in json mode", Reply.from_text(f"[{JASON},{JOHN}]", chunk_size=3), mode="json"
    ),
    scripted(
        "prose and a fence in md_json",
        Reply.from_text(f"Found:\n```json\n{TASKS}\n```\nBye.", chunk_size=4),
        mode="md_json",
    ),
    scripted("unicode, escapes and brackets in strings", _tool_call(TRICKY, chunk_size=1)),
    scripted(
        "objects one after another, no array",
        Reply.from_text(JASON + "\n" + JOHN, chunk_size=6),
        mode="json",
    ),
    scripted(
        "more elements than the limit per run",
        _tool_call(TASKS, chunk_size=4),
        env={"ITERPLAY_MAX_ENTITIES": "2"},
    ),
    scripted("rate limited once, then the stream", *RATE_LIMITED_ONCE),
    scripted(
        "two targets",
        _tool_call(UNION),
        args=("--target", "User,Product"),
        schema="user_and_product.py",
    ),
]


@dataclass(frozen=True)
class CliRun:
    status: int
    stdout: str
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def iterplay(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> CliRun:
    completed = subprocess.run(
        [*ITERPLAY, *args], input=stdin, capture_output=True, text=True, timeout=120,
        env=env or cli_env(),
    )  # fmt: skip
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("replay")
    files = {
        "user.py": USER_PY,
        "user_and_product.py": USER_AND_PRODUCT_PY,
        "user_age_at_most_18.py": USER_AGE_AT_MOST_18_PY,
        "user_age_any.py": USER_AGE_ANY_PY,
        "person.py": PERSON_PY,
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def server():
    with ScriptedServer() as server:
        yield server


@dataclass(frozen=True)
class Recorded:
    """A case run once through ``extract --events --save``."""

    run: CliRun
    run_file: Path

    @property
    def saved(self) -> dict[str, Any]:
        return json.loads(self.run_file.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def record(server: ScriptedServer, folder: Path):
    """``record(case)``: the case's recorded run, made on first use and kept for the module."""

    recorded: dict[str, Recorded] = {}

    def record_case(case: Case) -> Recorded:
        if case.name not in recorded:
            recorded[case.name] = _record(case, server, folder)
        return recorded[case.name]

    return record_case


def _record(case: Case, server: ScriptedServer, folder: Path) -> Recorded:
    model = case.name
    if case.replies:
        server.script(model, *case.replies)
    base_url = server.url.removesuffix("/v1") if case.endpoint == "without /v1" else server.url
    run_file = folder / f"{re.sub(r'[^a-z0-9]+', '-', model)}.json"
    run = iterplay(
        "extract", "--schema", str(folder / case.schema), "--text", "-", "--events",
        "--base-url", base_url, "--api-key", CANARY_KEY, "--model", model,
        "--mode", case.mode, "--save", str(run_file), *case.args,
        env=cli_env(**case.env), stdin="Jason is 10, John is 30 and Mary is 42.",
    )  # fmt: skip
    assert run.stderr == "" and run.records, run.stderr
    return Recorded(run, run_file)


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


# -- replay prints what the run printed ----------------------------------------------------------


def test_replay_prints_exactly_the_lines_the_run_printed(case, record):
    recorded = record(case)

    replayed = iterplay(
        "replay", str(recorded.run_file), "--events", "--speed", "0", env=cli_env(**case.env)
    )

    assert replayed.stdout == recorded.run.stdout
    assert (replayed.status, replayed.stderr) == (recorded.run.status, "")


def test_every_span_cuts_its_element_out_of_the_raw_text(case, record, folder):
    records = record(case).run.records
    raw_text = "".join(line["text"] for line in records if line["type"] == "token")
    models = load_schema((folder / case.schema).read_text()).models.values()

    for line in records:
        if line["type"] == "entity":
            element = raw_text[slice(*line["span"])]
            assert line["data"] in [_validated(model, element) for model in models], line
        elif line["type"] == "invalid":
            assert raw_text[slice(*line["span"])] == line["raw"]


def _validated(model: type[BaseModel], element: str) -> dict[str, Any] | None:
    """The element's data as ``model`` validates it, or None (one target of several)."""
    try:
        return model.model_validate_json(element).model_dump(mode="json", by_alias=True)
    except ValueError:
        return None


def test_the_run_file_holds_the_whole_run(server, record, folder):
    case = AN_INVALID_ELEMENT
    recorded = record(case)

    saved = recorded.saved

    lines = recorded.run.records
    assert (saved["format"], saved["version"]) == ("iterplay-run", RUN_FILE_VERSION)
    assert saved["schema"] == {"source": USER_PY, "kind": "pydantic"}
    assert (saved["target"], saved["model"], saved["mode"]) == (["User"], case.name, "tools")
    assert saved["request"] == next(r for r in server.requests if r["model"] == case.name)
    assert saved["wrapper_schema"] == saved["request"]["tools"][0]["function"]["parameters"]
    assert saved["base_url"] == server.url
    tokens = [line for line in lines if line["type"] == "token"]
    assert [chunk["text"] for chunk in saved["chunks"]] == [token["text"] for token in tokens]
    assert [round(chunk["t"], 4) for chunk in saved["chunks"]] == [token["t"] for token in tokens]
    assert saved["events"] == [line for line in lines if line["type"] in ("entity", "invalid")]
    assert saved["end"] == lines[-1]
    assert (saved["end"]["stats"]["entities"], saved["end"]["stats"]["invalid_entities"]) == (2, 1)


def test_without_events_replay_prints_only_the_results_as_extract_does(record):
    recorded = record(AN_INVALID_ELEMENT)

    replayed = iterplay("replay", str(recorded.run_file), "--speed", "0")

    results = [line for line in recorded.run.records if line["type"] not in PASSTHROUGH]
    assert replayed.records == results
    assert [line["type"] for line in results] == ["entity", "invalid", "entity", "done"]


def test_a_run_of_the_history_replays_by_its_id(server, folder, tmp_path):
    env = cli_env(ITERPLAY_DB=str(tmp_path / "history.sqlite3"))
    server.script("history-run", _tool_call(f"[{JASON}, {BOB_TOO_OLD}]", chunk_size=4))
    run = iterplay(
        "extract", "--schema", str(folder / "user.py"), "--text", "-", "--events",
        "--base-url", server.url, "--api-key", CANARY_KEY, "--model", "history-run",
        env=env, stdin="Jason is 10.",
    )  # fmt: skip

    replayed = iterplay("replay", "1", "--events", "--speed", "0", env=env)

    assert replayed.stdout == run.stdout
    assert replayed.status == run.status == 0


def test_an_unknown_history_id_is_one_error_line(tmp_path):
    replayed = iterplay("replay", "42", env=cli_env(ITERPLAY_DB=str(tmp_path / "h.sqlite3")))

    assert [line["type"] for line in replayed.records] == ["error"]
    assert replayed.records[0]["kind"] == FailureKind.HISTORY
    assert "there is no run 42" in replayed.records[0]["message"]
    assert replayed.status == 2


# -- an edited schema ----------------------------------------------------------------------------


def test_an_edited_schema_turns_valid_elements_invalid(record, folder):
    recorded = record(THREE_ENTITIES)  # Jason 10, John 30, Mary 42: all valid

    replayed = iterplay(
        "replay",
        str(recorded.run_file),
        "--speed",
        "0",
        "--schema",
        str(folder / "user_age_at_most_18.py"),
    )

    assert [(line["type"], line["index"]) for line in replayed.records[:-1]] == [
        ("entity", 0),
        ("invalid", 1),
        ("invalid", 2),
    ]
    john = replayed.records[1]
    assert (john["raw"], [error["type"] for error in john["errors"]]) == (JOHN, ["less_than_equal"])
    original = [line for line in recorded.run.records if line["type"] == "entity"]
    assert [line["span"] for line in replayed.records[:-1]] == [line["span"] for line in original]
    done = replayed.records[-1]
    assert (done["complete"], done["stats"]["entities"], done["stats"]["invalid_entities"]) == (
        True,
        1,
        2,
    )
    assert replayed.status == 0


def test_an_edited_schema_turns_an_invalid_element_valid(record, folder):
    recorded = record(AN_INVALID_ELEMENT)  # Bob's age is "old"

    replayed = iterplay(
        "replay",
        str(recorded.run_file),
        "--speed",
        "0",
        "--schema",
        str(folder / "user_age_any.py"),
    )

    assert [line["data"] for line in replayed.records[:-1]] == [
        {"name": "Jason", "age": 10},
        {"name": "Bob", "age": "old"},
        {"name": "John", "age": 30},
    ]
    assert replayed.records[-1]["stats"]["invalid_entities"] == 0


def test_an_edited_schema_without_the_recorded_target_uses_its_own_root(record, folder):
    recorded = record(THREE_ENTITIES)

    replayed = iterplay(
        "replay", str(recorded.run_file), "--speed", "0", "--schema", str(folder / "person.py")
    )

    assert [line["data"]["name"] for line in replayed.records[:-1]] == ["Jason", "John", "Mary"]
    assert "does not define User, the recorded target; validating against Person" in (
        replayed.stderr
    )


# -- what a run file may not hold, and what is refused --------------------------------------------


def test_the_key_is_sent_but_never_written_to_the_run_file(server, folder, tmp_path):
    server.script("canary", _tool_call(TASKS))
    run_file = tmp_path / "canary.json"

    run = iterplay(
        "extract", "--schema", str(folder / "user.py"), "--text", "-", "--save", str(run_file),
        "--base-url", server.url, "--model", "canary",
        env=cli_env(OPENAI_BASE_URL=server.url, OPENAI_API_KEY=CANARY_KEY), stdin="Jason is 10.",
    )  # fmt: skip

    assert run.status == 0
    assert server.authorizations[-1] == f"Bearer {CANARY_KEY}"
    assert CANARY_KEY not in run_file.read_text(encoding="utf-8")


def test_a_password_in_the_base_url_is_not_written_to_the_run_file(server, folder, tmp_path):
    server.script("canary", _tool_call(TASKS))
    url_with_password = server.url.replace("http://", f"http://user:{CANARY_PASSWORD}@")
    run_file = tmp_path / "password.json"

    run = iterplay(
        "extract", "--schema", str(folder / "user.py"), "--text", "-", "--save", str(run_file),
        "--base-url", url_with_password, "--model", "canary", stdin="Jason is 10.",
    )  # fmt: skip

    assert run.status == 0
    text = run_file.read_text(encoding="utf-8")
    assert CANARY_PASSWORD not in text
    assert json.loads(text)["base_url"] == server.url


def test_a_key_the_provider_echoes_is_hidden_in_the_run_file(server, folder, tmp_path):
    server.script("echo", Reply(status=401, error={"message": f"Bad key {CANARY_KEY}."}))
    run_file = tmp_path / "echo.json"

    iterplay(
        "extract", "--schema", str(folder / "user.py"), "--text", "-", "--save", str(run_file),
        "--base-url", server.url, "--api-key", CANARY_KEY, "--model", "echo", stdin="Jason.",
    )  # fmt: skip

    saved = json.loads(run_file.read_text(encoding="utf-8"))
    assert (saved["end"]["kind"], saved["chunks"]) == ("auth", [])
    assert CANARY_KEY not in run_file.read_text(encoding="utf-8")


def refused(run_file: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The one error line ``replay`` printed for ``run_file``, after checking it was one."""
    replayed = iterplay("replay", str(run_file), "--speed", "0", *args, env=env)
    assert replayed.status == 2
    assert len(replayed.records) == 1 and replayed.records[0]["type"] == "error"
    assert "Traceback" not in replayed.stderr
    return replayed.records[0]


def _edited(recorded: Recorded, tmp_path: Path, **changes: Any) -> Path:
    saved = {**recorded.saved, **changes}
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    return path


def test_a_run_file_from_a_later_version_is_refused(record, tmp_path):
    later = _edited(record(THREE_ENTITIES), tmp_path, version=RUN_FILE_VERSION + 1)

    error = refused(later)

    assert error["kind"] == "run_file"
    assert error["message"] == (
        f"{later} was written by a newer iterplay (run file version {RUN_FILE_VERSION + 1}; "
        f"this one reads version {RUN_FILE_VERSION}); upgrade iterplay to replay it."
    )


def _finished(total_time: float) -> dict:
    stats = {"time_to_first_token": 0.1, "total_time": total_time}
    return {
        "type": "done",
        "finish_reason": "stop",
        "complete": True,
        "ending": "complete",
        "message": "",
        "stats": stats,
    }


def _entity(t: float) -> dict:
    return {"type": "entity", "index": 0, "data": {"name": "Jason"}, "span": [0, 2], "t": t}


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ({"chunks": [{"text": 12, "t": 0.1}]}, "is damaged (chunks.0.text: Input should be"),
        ({"chunks": [{"text": "{", "t": -1}]}, "is damaged (chunks.0.t: Input should be greater"),
        ({"events": [{"type": "teleport"}]}, "is damaged (events.0: Input tag 'teleport'"),
        ({"end": {"type": "done"}}, "is damaged (end.done.finish_reason: Field required)"),
        (
            {"end": _finished(total_time=-2.5)},
            "is damaged (end.done.stats.total_time: Input should be greater than or equal to 0)",
        ),
        (
            {"events": [_entity(t=float("nan"))]},
            "is damaged (events.0.entity.t: Input should be a finite number)",
        ),
        (
            {"chunks": [{"text": "{", "t": 1e10}]},
            "is damaged (chunks.0.t: Input should be less than or equal to 604800",
        ),
        (
            {"end": _finished(total_time=1e10)},
            "is damaged (end.done.stats.total_time: Input should be less than or equal to",
        ),
        ({"version": "one"}, "is damaged: its version is not a whole number from 1 up."),
        ({"format": "something-else"}, 'is not an iterplay run file (it has no "format"'),
    ],
    ids=[
        "chunk text",
        "negative time",
        "unknown event",
        "end",
        "negative total",
        "time not a number",
        "time past a week",
        "total past a week",
        "version",
        "format",
    ],
)
def test_a_damaged_run_file_is_refused_in_one_sentence(record, tmp_path, damage, says):
    damaged = _edited(record(THREE_ENTITIES), tmp_path, **damage)

    error = refused(damaged)

    assert (error["kind"], error["message"].split(str(damaged))[0]) == ("run_file", "")
    assert says in error["message"]


@pytest.mark.parametrize(
    "text", ["[" * 100_000, '{"format": "iterplay-run", "version": 1' + "0" * 5000 + "}"]
)
def test_json_python_cannot_read_is_refused_in_one_sentence(tmp_path, text):
    unreadable = tmp_path / "unreadable.json"
    unreadable.write_text(text, encoding="utf-8")

    error = refused(unreadable)

    assert error["kind"] == "run_file"
    assert error["message"] == (
        f"{unreadable} is JSON that Python cannot read (nested too deep or a number too long), "
        "so it is not a run file."
    )


def test_a_file_that_is_not_json_is_refused(tmp_path):
    cut = tmp_path / "cut.json"
    cut.write_text('{"format": "iterplay-run", "version": 1, "chunks": [', encoding="utf-8")

    error = refused(cut)

    assert error["kind"] == "run_file" and "is not JSON (line 1" in error["message"]


def test_a_run_file_over_the_size_limit_is_refused_before_it_is_read(record):
    run_file = record(THREE_ENTITIES).run_file

    error = refused(run_file, env=cli_env(ITERPLAY_MAX_RUN_FILE_BYTES="100"))

    assert error["kind"] == "input"
    assert (
        "larger than the run file limit of 100 bytes (set by ITERPLAY_MAX_RUN_FILE_BYTES)"
        in (error["message"])
    )


def test_the_schema_in_a_run_file_is_untrusted_code_and_never_runs(record, tmp_path):
    marker = tmp_path / "ran.txt"
    schema = {"source": ESCAPING_PY.format(marker=marker), "kind": "pydantic"}
    hostile = _edited(record(THREE_ENTITIES), tmp_path, schema=schema)

    error = refused(hostile, env=cli_env(ITERPLAY_TRUSTED_CODE=""))

    assert error["kind"] == "schema" and "(its recorded schema): line 5" in error["message"]
    assert not marker.exists()


def test_a_negative_speed_is_an_input_error(record):
    error = refused(record(THREE_ENTITIES).run_file, "--speed", "-1")

    assert (error["kind"], error["message"]) == (
        "input",
        "The replay speed must be a number from 0 up (0 replays at once).",
    )


def test_save_into_a_missing_folder_is_refused_before_anything_is_sent(server, folder, tmp_path):
    requests_before = len(server.requests)

    run = iterplay(
        "extract", "--schema", str(folder / "user.py"), "--text", "-",
        "--save", str(tmp_path / "no-such-folder" / "run.json"),
        "--base-url", server.url, "--api-key", CANARY_KEY, "--model", "canary", stdin="Jason.",
    )  # fmt: skip

    assert [(line["type"], line["kind"]) for line in run.records] == [("error", "input")]
    assert (
        "the folder" in run.records[0]["message"] and "does not exist" in run.records[0]["message"]
    )
    assert run.status == 2 and len(server.requests) == requests_before


def test_save_onto_the_runs_own_schema_is_refused_and_the_schema_kept(server, folder):
    schema = folder / "user.py"
    before = schema.read_text()

    run = iterplay(
        "extract", "--schema", str(schema), "--text", "-", "--save", str(schema),
        "--base-url", server.url, "--api-key", CANARY_KEY, "--model", "canary", stdin="Jason.",
    )  # fmt: skip

    assert [(line["type"], line["kind"]) for line in run.records] == [("error", "input")]
    assert "that is the run's own input" in run.records[0]["message"]
    assert run.status == 2 and schema.read_text() == before


def test_replay_loads_neither_the_openai_sdk_nor_the_embedded_model(record):
    run_file = record(THREE_ENTITIES).run_file
    probe = (
        "import sys, iterplay.cli\n"
        f"status = iterplay.cli.main(['replay', {str(run_file)!r}, '--speed', '0'])\n"
        "print(status, 'openai' in sys.modules, 'iterplay.local_model' in sys.modules)"
    )

    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
        env=cli_env(),
    )  # fmt: skip

    assert completed.stdout.splitlines()[-1] == "0 False False"


# -- replay's pace, in the core -----------------------------------------------------------------


class User(BaseModel):
    name: str
    age: int


def recording_of(*chunks: tuple[str, float], end: Finished | None = None) -> Recording:
    return Recording(
        schema_text=USER_PY,
        schema_kind="pydantic",
        target=("User",),
        chunks=tuple(Chunk(text, t) for text, t in chunks),
        events=(Retrying(1, 0.5, "The provider is rate limiting requests (429).", 0.2),),
        end=end,
    )


FINISHED = Finished("stop", True, "complete", "The stream completed.", Stats(total_time=3.0))


class FakeClock:
    """A clock that only moves when the replay waits, so waits are exactly what was asked."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def wait(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))
        self.now += seconds


def test_replay_waits_until_each_recorded_time_divided_by_the_speed():
    clock = FakeClock()
    recording = recording_of(("[" + JASON, 1.0), ("]", 2.0), end=FINISHED)

    events = list(
        replay(recording, build_wrapper([User]), speed=2, wait=clock.wait, clock=lambda: clock.now)
    )

    assert clock.waits == [0.1, 0.4, 0.5, 0.5]  # the retry, each chunk, the end
    assert [type(event) for event in events] == [Retrying, Token, Entity, Token, Finished]


def test_speed_zero_never_waits():
    clock = FakeClock()
    recording = recording_of(("[" + JASON, 1.0), ("]", 2.0), end=FINISHED)

    list(
        replay(recording, build_wrapper([User]), speed=0, wait=clock.wait, clock=lambda: clock.now)
    )

    assert clock.waits == []


def test_a_recording_that_stops_before_its_end_replays_as_cut_off_where_it_stopped():
    recording = recording_of(("[" + JASON + ", " + BOB_TOO_OLD, 1.0), ('{"na', 1.5))

    *_, end = replay(recording, build_wrapper([User]), speed=0)

    assert isinstance(end, Finished) and (end.complete, end.ending) == (False, "cut_off")
    assert end.message == (
        "The recorded run was stopped inside element 2 (the recording stops before the run's "
        "end); everything shown arrived before that."
    )
    assert (end.stats.entities, end.stats.invalid_entities, end.stats.total_time) == (1, 1, 1.5)


def test_replayed_entities_carry_the_time_of_the_chunk_that_completed_them():
    recording = recording_of(("[" + JASON[:5], 0.25), (JASON[5:] + ", " + BOB_TOO_OLD, 0.75))

    elements = [
        e
        for e in replay(recording, build_wrapper([User]), speed=0)
        if isinstance(e, Entity | Invalid)
    ]

    assert [(type(e), e.t, e.span) for e in elements] == [
        (Entity, 0.75, (1, 1 + len(JASON))),
        (Invalid, 0.75, (3 + len(JASON), 3 + len(JASON) + len(BOB_TOO_OLD))),
    ]


def test_a_wait_is_never_longer_than_any_recording_may_be():
    # A history row's times are not validated as a file's are: 1e10 s overflowed the wait.
    clock = FakeClock()
    recording = recording_of(("[" + JASON, 1e12))

    list(replay(recording, build_wrapper([User]), wait=clock.wait, clock=lambda: clock.now))

    assert max(clock.waits) == MAX_RECORDED_SECONDS
