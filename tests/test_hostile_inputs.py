"""A corpus of hostile inputs: share tokens, CLI files and flags, and model output.

Each case asserts what a visitor or a script must get: one plain sentence (a ShareLinkError, a
warning on a page that still works, an ``error`` line with exit status 2, a card), never a
traceback, within a bound; and where something could fire, that it did not: no request reached
the provider for an input that was refused, no markdown image or HTML tag reached the page.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from iterplay.errors import ShareLinkError
from iterplay.inputs import unicode_problem
from iterplay.limits import limits
from iterplay.provider import provider_settings_hidden
from iterplay.share import SharedState, decode_state, encode_state
from iterplay.testing import Reply, ScriptedServer
from tests.apptest_page import extract_button, html_texts, markdown_texts, open_page
from tests.test_cli import ITERPLAY, clean_env

SECONDS = 10.0  # no case may take longer: a hang or a runaway read fails here, not in CI's timeout
ONE_SENTENCE = re.compile(r"[^\s][^\n]{10,600}")  # one line, bounded: no dump, no stack
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")
CANARY_HOST = "http://127.0.0.1:9/canary"
USER_PY = (
    "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
)


@pytest.fixture(autouse=True)
def fresh_settings():
    """Limits and the hide switch are read once per process; each test reads its own."""
    limits.cache_clear()
    provider_settings_hidden.cache_clear()
    yield
    limits.cache_clear()
    provider_settings_hidden.cache_clear()


def assert_one_sentence(message: str) -> None:
    assert ONE_SENTENCE.fullmatch(message), message
    assert not TRACEBACK.search(message), message


# -- share tokens ------------------------------------------------------------------------------


def token_of_bytes(payload: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(payload)).decode().rstrip("=")


def token_of(data: Any) -> str:
    """``data`` as JSON (ASCII-escaped, so lone surrogates travel as ``\\ud800``)."""
    return token_of_bytes(json.dumps(data).encode())


def state(**fields: Any) -> dict[str, Any]:
    return {"v": 1, "schema": USER_PY, **fields}


def _deep(opening: bytes, closing: bytes, depth: int, inner: bytes = b"0") -> bytes:
    return opening * depth + inner + closing * depth


BIG = "9" * 5000
STRING_FIELDS = ("schema", "schema_kind", "text", "system_prompt", "model", "mode")

HOSTILE_TOKENS = {
    "list nested 100,000 deep": token_of_bytes(
        b'{"v": 1, "schema": "x", "target": ' + _deep(b"[", b"]", 100_000) + b"}"
    ),
    "object nested 100,000 deep": token_of_bytes(
        b'{"v": 1, "schema": "x", "extra": ' + _deep(b'{"a":', b"}", 100_000) + b"}"
    ),
    "list nested 40 deep": token_of_bytes(
        b'{"v": 1, "schema": "x", "target": ' + _deep(b"[", b"]", 40) + b"}"
    ),
    "5,000-digit temperature": token_of_bytes(
        b'{"v": 1, "schema": "x", "temperature": ' + BIG.encode() + b"}"
    ),
    "5,000-digit negative number": token_of_bytes(
        b'{"v": 1, "schema": "x", "temperature": -' + BIG.encode() + b"}"
    ),
    "5,000-digit version": token_of_bytes(b'{"v": ' + BIG.encode() + b', "schema": "x"}'),
    "5,000-digit number in an unknown key": token_of_bytes(
        b'{"v": 1, "schema": "x", "extra": [' + BIG.encode() + b"]}"
    ),
    "5,000-digit fraction": token_of_bytes(
        b'{"v": 1, "schema": "x", "temperature": 0.' + BIG.encode() + b"}"
    ),
    "NaN temperature": token_of_bytes(b'{"v": 1, "schema": "x", "temperature": NaN}'),
    "Infinity temperature": token_of_bytes(b'{"v": 1, "schema": "x", "temperature": Infinity}'),
    "-Infinity temperature": token_of_bytes(b'{"v": 1, "schema": "x", "temperature": -Infinity}'),
    "1e999 temperature": token_of_bytes(b'{"v": 1, "schema": "x", "temperature": 1e999}'),
    "negative temperature": token_of(state(temperature=-0.5)),
    "temperature above the slider": token_of(state(temperature=2.01)),
    "temperature 1e300": token_of(state(temperature=1e300)),
    "temperature as text": token_of(state(temperature="0.5")),
    "temperature as a boolean": token_of(state(temperature=True)),
    "temperature as a list": token_of(state(temperature=[0.5])),
    **{
        f"lone surrogate in {name}": token_of(state(**{name: "a\ud800b"})) for name in STRING_FIELDS
    },
    "lone low surrogate in text": token_of(state(text="\udfff")),
    "lone surrogate in a target name": token_of(state(target=["User", "\ud800"])),
    "schema as a number": token_of(state(schema=3)),
    "schema as null": token_of(state(schema=None)),
    "no schema at all": token_of({"v": 1, "text": "x"}),
    "text as a list": token_of(state(text=["a"])),
    "model as an object": token_of(state(model={"name": "m"})),
    "target as a string": token_of(state(target="User")),
    "a thousand targets": token_of(state(target=["User"] * 1000)),
    "target of empty names": token_of(state(target=[""])),
    "unknown mode": token_of(state(mode="<img src=x>")),
    "unknown schema kind": token_of(state(schema_kind="yaml")),
    "model name of 10,000 characters": token_of(state(model="m" * 10_000)),
    "version true": token_of({**state(), "v": True}),
    "version as text": token_of({**state(), "v": "1"}),
    "version 1.0": token_of({**state(), "v": 1.0}),
    "an array instead of an object": token_of([state()]),
    "a string instead of an object": token_of("hello"),
    "text over the size limit": token_of(state(text="a" * 200_001)),
    "schema over the size limit": token_of(state(schema="#" * 100_001)),
    "token over the length limit": "A" * 64_001,
    "zip bomb": token_of_bytes(b'{"v": 1, "schema": "' + b"a" * 5_000_000 + b'"}'),
    "zip bomb of brackets": token_of_bytes(b"[" * 5_000_000),
    "payload not UTF-8": token_of_bytes(b'{"v": 1, "schema": "\xff\xfe"}'),
    "payload not JSON": token_of_bytes(b"<script>alert(1)</script>"),
    "not base64": "!!!not*base64!!!",
    "not ASCII": "é" * 10,
    "a lone surrogate as the token": "\ud800",
    "cut short": token_of(state(text="x" * 5000))[:-40],
    "empty compressed stream": base64.urlsafe_b64encode(b"").decode() + "AA",
}


@pytest.mark.parametrize("token", HOSTILE_TOKENS.values(), ids=HOSTILE_TOKENS.keys())
def test_hostile_share_token_is_one_sentence(token):
    started = time.monotonic()
    with pytest.raises(ShareLinkError) as refused:
        decode_state(token)
    assert time.monotonic() - started < SECONDS
    assert_one_sentence(str(refused.value))


@pytest.fixture
def no_provider_env(monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL"):
        monkeypatch.delenv(name, raising=False)


# A URL cannot carry a lone surrogate, so that one token never reaches a page.
URL_TOKENS = {name: token for name, token in HOSTILE_TOKENS.items() if not unicode_problem(token)}


@pytest.mark.parametrize("token", URL_TOKENS.values(), ids=URL_TOKENS.keys())
def test_hostile_share_token_leaves_a_working_page(no_provider_env, token):
    app = open_page(token, timeout=SECONDS)
    assert not app.exception
    assert any("share link" in warning.value for warning in app.warning)
    assert not extract_button(app).disabled


# -- CLI files and flags -----------------------------------------------------------------------


@dataclass(frozen=True)
class CliOutcome:
    status: int
    stdout: str
    stderr: str

    @property
    def last(self) -> dict[str, Any]:
        return json.loads(self.stdout.splitlines()[-1])


def run_cli(*args: str | bytes, stdin: Any = None, env: dict[str, str] | None = None):
    completed = subprocess.run(
        [*ITERPLAY, "extract", *args],
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=SECONDS * 3,  # Python and pydantic start-up included
        env=env or clean_env(),
    )
    return CliOutcome(
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8", "replace"),
    )


@pytest.fixture(scope="module")
def provider() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("hostile")
    contents: dict[str, bytes] = {
        "user.py": USER_PY.encode(),
        "text.txt": b"Jason is 10.",
        "latin1.py": USER_PY.encode() + b"# caf\xe9\n",
        "latin1.json": b'{"title": "Caf\xe9", "type": "object"}',
        "latin1.txt": b"Jos\xe9 is 10.",
        "surrogate.txt": b"a \xed\xa0\x80 b",
        "overlong.txt": b"a \xc0\xaf b",
    }
    paths = {}
    for name, content in contents.items():
        (folder / name).write_bytes(content)
        paths[name] = str(folder / name)
    for name in ("fifo", "schema-fifo.py"):
        os.mkfifo(folder / name)
        paths[name] = str(folder / name)
    for name in ("sparse.txt", "sparse.py"):
        with open(folder / name, "wb") as sparse:
            sparse.truncate(700 * 1024 * 1024)
        paths[name] = str(folder / name)
    paths["directory"] = str(folder)
    paths["missing"] = str(folder / "missing.txt")
    return paths


def file_case(schema: str, text: str, *flags: str | bytes, stdin: str | None = None, **env: str):
    return (schema, text, flags, stdin, env)


CLI_CASES = {
    "pydantic schema not UTF-8": file_case("latin1.py", "text.txt"),
    "JSON Schema not UTF-8": file_case("latin1.json", "text.txt"),
    "text not UTF-8": file_case("user.py", "latin1.txt"),
    "stdin not UTF-8": file_case("user.py", "-", stdin="latin1.txt"),
    "text with an encoded surrogate": file_case("user.py", "surrogate.txt"),
    "text with an overlong encoding": file_case("user.py", "overlong.txt"),
    "text is a FIFO": file_case("user.py", "fifo"),
    "schema is a FIFO": file_case("schema-fifo.py", "text.txt"),
    "text is /dev/zero": file_case("user.py", "/dev/zero"),
    "schema is /dev/zero": file_case("/dev/zero", "text.txt"),
    "stdin is /dev/zero": file_case("user.py", "-", stdin="/dev/zero"),
    "text is /dev/urandom": file_case("user.py", "/dev/urandom"),
    "text is a sparse 700 MB file": file_case("user.py", "sparse.txt"),
    "schema is a sparse 700 MB file": file_case("sparse.py", "text.txt"),
    "text is a directory": file_case("user.py", "directory"),
    "schema is a directory": file_case("directory", "text.txt"),
    "text file missing": file_case("user.py", "missing"),
    "schema file missing": file_case("missing", "text.txt"),
    "text over a configured limit": file_case("user.py", "text.txt", ITERPLAY_MAX_TEXT_BYTES="5"),
    "schema over a configured limit": file_case(
        "user.py", "text.txt", ITERPLAY_MAX_SCHEMA_BYTES="10"
    ),
    "a limit that is not a number": file_case("user.py", "text.txt", ITERPLAY_MAX_TOKENS="lots"),
    "NaN temperature": file_case("user.py", "text.txt", "--temperature", "nan"),
    "infinite temperature": file_case("user.py", "text.txt", "--temperature", "inf"),
    "negative temperature": file_case("user.py", "text.txt", "--temperature", "-1"),
    "temperature above 2": file_case("user.py", "text.txt", "--temperature", "2.5"),
    "zero max tokens": file_case("user.py", "text.txt", "--max-tokens", "0"),
    "negative max tokens": file_case("user.py", "text.txt", "--max-tokens", "-5"),
    "max tokens of 31 digits": file_case("user.py", "text.txt", "--max-tokens", "9" * 31),
    "model name not UTF-8": file_case("user.py", "text.txt", "--model", b"gpt\xff"),
    "target name not UTF-8": file_case("user.py", "text.txt", "--target", b"\xffUser"),
    "model name of 300 characters": file_case("user.py", "text.txt", "--model", "m" * 300),
}
BASE_URL_CASES = {
    "base URL with another scheme": "ftp://127.0.0.1/v1",
    "base URL without a host": "http://",
    "base URL with a bad port": "http://127.0.0.1:port/v1",
    "base URL with a space": "http://127.0.0.1 /v1",
    "base URL not UTF-8": b"http://\xff.example/v1",
}


def _argument(value: str | bytes, files: dict[str, str]) -> str | bytes:
    return files.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("schema", "text", "flags", "stdin", "env"), CLI_CASES.values(), ids=CLI_CASES.keys()
)
def test_hostile_cli_input_is_one_error_line(provider, files, schema, text, flags, stdin, env):
    requests_before = len(provider.requests)
    stdin_file = open(files.get(stdin, stdin), "rb") if stdin else None  # noqa: SIM115
    try:
        outcome = run_cli(
            "--base-url", provider.url, "--api-key", "sk-unused-0000000",
            "--schema", _argument(schema, files), "--text", _argument(text, files),
            *flags, stdin=stdin_file, env=clean_env(**env),
        )  # fmt: skip
    finally:
        if stdin_file is not None:
            stdin_file.close()
    assert_clean_refusal(outcome)
    assert len(provider.requests) == requests_before  # nothing was sent


@pytest.mark.parametrize("base_url", BASE_URL_CASES.values(), ids=BASE_URL_CASES.keys())
def test_hostile_base_url_is_one_error_line(files, base_url):
    outcome = run_cli(
        "--base-url", base_url, "--schema", files["user.py"], "--text", files["text.txt"]
    )
    assert_clean_refusal(outcome)


EVAL_CASES = {
    "cases file is a FIFO": ("fifo",),
    "cases file is /dev/zero": ("/dev/zero",),
    "cases file is a sparse 700 MB file": ("sparse.txt",),
    "cases file not UTF-8": ("latin1.txt",),
    "cases with a lone surrogate in a text": ("surrogate-case.jsonl",),
    "NaN temperature for eval": ("case.jsonl", "--temperature", "nan"),
}


@pytest.mark.parametrize("args", EVAL_CASES.values(), ids=EVAL_CASES.keys())
def test_hostile_eval_input_is_one_error_line(provider, files, tmp_path, args):
    (tmp_path / "case.jsonl").write_text(
        json.dumps({"id": "a", "text": "Jason is 10.", "expected": []}) + "\n"
    )
    (tmp_path / "surrogate-case.jsonl").write_text(
        json.dumps({"id": "a", "text": "Jason \ud800 is 10.", "expected": []}) + "\n"
    )
    written = {name: str(tmp_path / name) for name in ("case.jsonl", "surrogate-case.jsonl")}
    paths = {**files, **written}
    cases, *flags = args
    completed = subprocess.run(
        [*ITERPLAY, "eval", "--schema", files["user.py"], "--cases", paths.get(cases, cases),
         "--base-url", provider.url, "--api-key", "sk-unused-0000000", "--model", "none", *flags],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=SECONDS * 3, env=clean_env(),
    )  # fmt: skip
    outcome = CliOutcome(completed.returncode, completed.stdout.decode(), completed.stderr.decode())
    assert_clean_refusal(outcome)


def assert_clean_refusal(outcome: CliOutcome) -> None:
    assert outcome.status == 2, outcome.stderr
    assert outcome.stderr == ""
    assert len(outcome.stdout.splitlines()) == 1
    assert outcome.last["type"] == "error"
    assert_one_sentence(outcome.last["message"])


# -- hostile model output ----------------------------------------------------------------------

BYTES_PY = (
    "from pydantic import BaseModel, ConfigDict\n\n\nclass Blob(BaseModel):\n"
    '    model_config = ConfigDict(val_json_bytes="base64")\n\n    name: str\n    data: bytes\n'
)
ANY_PY = (
    "from typing import Any\n\nfrom pydantic import BaseModel\n\n\nclass Thing(BaseModel):\n"
    "    name: str\n    value: Any = None\n"
)
MARKDOWN_IMAGE = f"![x]({CANARY_HOST}/markdown.png)"
HTML_IMAGE = f"<img src={CANARY_HOST}/html.png onerror=alert(1)>"
SCRIPT = "<script>window.pwned = 1</script>"


def tasks(*elements: str) -> str:
    return '{"tasks": [' + ", ".join(elements) + "]}"


@dataclass(frozen=True)
class OutputCase:
    """A scripted reply and what the run must make of it."""

    reply: Reply
    schema: str = USER_PY
    entities: int = 0
    invalid: int = 0
    ends_with: str = "done"


def said(text: str) -> str:
    return json.dumps(text)


OUTPUT_CASES = {
    "bytes that are not UTF-8": OutputCase(
        Reply.from_text(tasks('{"name": "blob", "data": "/w=="}')), BYTES_PY, entities=1
    ),
    "markdown image in a value": OutputCase(
        Reply.from_text(tasks(f'{{"name": {said(MARKDOWN_IMAGE)}, "age": 1}}')), entities=1
    ),
    "HTML image in a value": OutputCase(
        Reply.from_text(tasks(f'{{"name": {said(HTML_IMAGE)}, "age": 1}}')), entities=1
    ),
    "script tag in a value": OutputCase(
        Reply.from_text(tasks(f'{{"name": {said(SCRIPT)}, "age": 1}}')), entities=1
    ),
    "markup in keys of a free-form value": OutputCase(
        Reply.from_text(
            tasks(f'{{"name": "k", "value": {{{said(HTML_IMAGE)}: {said(MARKDOWN_IMAGE)}}}}}')
        ),
        ANY_PY,
        entities=1,
    ),
    "markup in an invalid element": OutputCase(
        Reply.from_text(tasks(f'{{"name": {said(SCRIPT)}, "age": {said(MARKDOWN_IMAGE)}}}')),
        invalid=1,
    ),
    "lone surrogate escape in the stream": OutputCase(
        Reply.from_pieces(['{"tasks": [{"name": "a', "\ud800", '", "age": 1}]}']), entities=1
    ),
    "5,000-digit integer": OutputCase(
        Reply.from_text(tasks(f'{{"name": "n", "age": {BIG}}}'), chunk_size=500), invalid=1
    ),
    "element nested 5,000 deep": OutputCase(
        Reply.from_text(
            tasks('{"name": "d", "value": ' + "[" * 5000 + "]" * 5000 + "}"), chunk_size=1000
        ),
        ANY_PY,
        invalid=1,
    ),
    "NUL characters in a value": OutputCase(
        Reply.from_text(tasks('{"name": "a\\u0000b", "age": 1}')), entities=1
    ),
    "markup as the finish reason": OutputCase(
        Reply.from_text('{"tasks": [{"name": "a", "age": 1}', finish_reason=MARKDOWN_IMAGE),
        entities=1,
    ),
    "markup as token counts": OutputCase(
        Reply.from_text(
            tasks('{"name": "a", "age": 1}'),
            usage={
                "prompt_tokens": "many",
                "completion_tokens": MARKDOWN_IMAGE,
                "total_tokens": -1,
            },
        ),
        entities=1,
    ),
    "an object as the finish reason": OutputCase(
        Reply.from_text(tasks('{"name": "a", "age": 1}'), finish_reason={"reason": HTML_IMAGE}),
        entities=1,
        ends_with="error",
    ),
    "markup in a provider error": OutputCase(
        Reply(status=400, error={"message": f"{MARKDOWN_IMAGE} {HTML_IMAGE} {SCRIPT}"}),
        ends_with="error",
    ),
    "markup in a server error": OutputCase(
        Reply(status=500, error={"message": f"**boom** {MARKDOWN_IMAGE}"}), ends_with="error"
    ),
    "lone surrogate in a provider error": OutputCase(
        Reply(status=400, error={"message": "bad \ud800 request"}), ends_with="error"
    ),
    "an HTML page instead of JSON": OutputCase(
        Reply(status=502, raw_body=f"<html>{HTML_IMAGE}{SCRIPT}</html>".encode()),
        ends_with="error",
    ),
}


@pytest.fixture(scope="module")
def schema_files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("hostile-schemas")
    paths = {}
    for number, schema in enumerate({USER_PY, BYTES_PY, ANY_PY}):
        path = folder / f"schema{number}.py"
        path.write_text(schema, encoding="utf-8")
        paths[schema] = str(path)
    return paths


def scripted_model(provider: ScriptedServer, name: str, surface: str) -> OutputCase:
    """Script the case ``name`` under a model name of its own; returns the case."""
    case = OUTPUT_CASES[name]
    provider.script(f"{surface}: {name}", case.reply)
    return case


@pytest.mark.parametrize("name", OUTPUT_CASES)
def test_hostile_model_output_through_the_cli(provider, files, schema_files, name):
    case = scripted_model(provider, name, "cli")
    model = f"cli: {name}"
    outcome = run_cli(
        "--base-url", provider.url, "--model", model, "--mode", "json",
        "--schema", schema_files[case.schema], "--text", files["text.txt"],
    )  # fmt: skip
    assert outcome.stderr == ""
    records = [json.loads(line) for line in outcome.stdout.splitlines()]
    kinds = [record["type"] for record in records]
    assert (kinds.count("entity"), kinds.count("invalid")) == (case.entities, case.invalid)
    assert kinds[-1] == case.ends_with
    assert_one_sentence(records[-1]["message"])


def test_bytes_that_are_not_utf8_are_written_as_base64(provider, files, schema_files):
    provider.script("blob", OUTPUT_CASES["bytes that are not UTF-8"].reply)
    outcome = run_cli(
        "--base-url", provider.url, "--model", "blob", "--mode", "json",
        "--schema", schema_files[BYTES_PY], "--text", files["text.txt"],
    )  # fmt: skip
    entity = json.loads(outcome.stdout.splitlines()[0])
    assert base64.urlsafe_b64decode(entity["data"]["data"]) == b"\xff"


@pytest.fixture
def remote_page(monkeypatch, provider):
    monkeypatch.setenv("OPENAI_BASE_URL", provider.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unused-0000000")
    return provider


@pytest.mark.parametrize("name", OUTPUT_CASES)
def test_hostile_model_output_on_the_page(remote_page, name):
    case = scripted_model(remote_page, name, "page")
    model = f"page: {name}"
    shared = SharedState(schema=case.schema, text="Jason is 10.", mode="json", model=model)
    app = open_page(encode_state(shared))
    extract_button(app).click().run(timeout=SECONDS)
    assert not app.exception
    log = app.session_state["active_run"]
    assert (log.entity_count, log.invalid_count) == (case.entities, case.invalid)
    assert log.end is not None
    assert not [text for text in markdown_texts(app) if CANARY_HOST in text]
    assert not [text for text in markdown_texts(app) if re.search(r"(?<!\\)(<|!\[)", text)]
    assert not [html for html in html_texts(app) if re.search(r"<(img|script|svg)\b", html)]
