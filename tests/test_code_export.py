"""``iterplay code``: the printed programs run as printed, against the scripted server.

Each test prints a program with the real command, runs it as a user would (python for the two
Python programs, bash for curl) with the key and base URL in the environment, and reads what it
printed. The instructor program runs in instructor's own environment, ``.venv/instructor``
(instructor pins an older openai than the app's; ``scripts/bootstrap.sh test`` creates it).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iterplay.cli import main
from iterplay.code_export import CodeFormat, export_code, unnamed_destination
from iterplay.request import MODES, ExtractionRequest, build_payload
from iterplay.schema import load_schema, select_targets
from iterplay.stream import split_elements
from iterplay.testing import Reply, ScriptedServer
from iterplay.wrapper import build_wrapper
from tests.test_cli import USER_AND_PRODUCT_PY, USER_JSON_SCHEMA, USER_PY

REPO = Path(__file__).resolve().parents[1]
INSTRUCTOR_PYTHON = REPO / ".venv" / "instructor" / "bin" / "python"
API_KEY = "sk-code-export-canary-0123456789"

JASON = {"name": "Jason", "age": 10}
JOHN = {"name": "John", "age": 30}
# Quotes, braces and brackets inside a string: none of them may end the element.
MARY = {"name": 'Mary "M} [the 2nd]" {x', "age": 42}
PEOPLE = [JASON, JOHN, MARY]
TASKS = json.dumps({"tasks": PEOPLE})

LAPTOP = {"title": "Laptop", "price": 999.5}


def _command() -> list[str]:
    script = Path(sys.executable).with_name("iterplay")
    return [str(script)] if script.exists() else [sys.executable, "-m", "iterplay.cli"]


ITERPLAY = _command()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any provider settings of the machine running the tests."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("OPENAI_")}
    env.pop("ITERPLAY_MODEL", None)
    return {**env, **extra}


@pytest.fixture(autouse=True)
def no_provider_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """``iterplay code`` runs in this process: without the machine's provider settings."""
    for name in [*(name for name in os.environ if name.startswith("OPENAI_")), "ITERPLAY_MODEL"]:
        monkeypatch.delenv(name, raising=False)


def reply_for(mode: str, tasks: str = TASKS) -> Reply:
    """What a model answers in ``mode``: in the tool call, as content, or fenced inside prose."""
    if MODES[mode].channel == "tool_call":
        return Reply.from_text(tasks, chunk_size=5, channel="tool_call")
    if mode == "md_json":
        return Reply.from_text(f"Here they are:\n```json\n{tasks}\n```\nDone.", chunk_size=5)
    return Reply.from_text(tasks, chunk_size=5)


@pytest.fixture(scope="module")
def server() -> ScriptedServer:
    with ScriptedServer() as server:
        for mode in MODES:
            server.script(f"people-{mode}", reply_for(mode))
        yield server


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("code")
    contents = {
        "user.py": USER_PY,
        "user.json": json.dumps(USER_JSON_SCHEMA),
        "user_and_product.py": USER_AND_PRODUCT_PY,
        "text.txt": 'Jason is 10, John is 30 and Mary "M} [the 2nd]" {x is 42.',
    }
    for name, content in contents.items():
        (folder / name).write_text(content, encoding="utf-8")
    return {name: folder / name for name in contents}


@pytest.fixture(scope="session")
def instructor_python() -> Path:
    if not INSTRUCTOR_PYTHON.exists():
        pytest.fail(
            f"instructor's environment {INSTRUCTOR_PYTHON.parent.parent} is missing: "
            "scripts/bootstrap.sh test creates it (./test.sh runs that first)."
        )
    return INSTRUCTOR_PYTHON


def code_command(*args: str) -> tuple[int, str]:
    """``iterplay code ARGS``: its exit status and what it printed on stdout."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = main(["code", *args])
    return status, output.getvalue()


def print_code(code_format: str, *args: str) -> str:
    """The program ``iterplay code`` prints (the command must succeed)."""
    status, printed = code_command("--format", code_format, *args)
    assert status == 0, printed
    return printed


def code_for(server: ScriptedServer, files: dict[str, Path], code_format: str, mode: str, *args):
    """The program for the people text, made for ``server``'s model of ``mode``."""
    return print_code(
        code_format,
        "--schema", str(files["user.py"]),
        "--text", str(files["text.txt"]),
        "--base-url", server.url,
        "--model", f"people-{mode}",
        "--mode", mode,
        *args,
    )  # fmt: skip


def run_program(program: str, code_format: str, server: ScriptedServer, folder: Path, python=None):
    """Run the program as printed, with the key and the server in the environment."""
    env = clean_env(OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=server.url)
    if code_format == CodeFormat.CURL:
        command = ["bash", "-c", program]
    else:
        path = folder / f"{code_format}_program.py"
        path.write_text(program, encoding="utf-8")
        command = [str(python or sys.executable), str(path)]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=90, env=env, cwd=folder
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def printed_entities(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def streamed_elements(sse: str) -> list[dict]:
    """The elements in the JSON a curl call received: its events' deltas joined, then split."""
    pieces = []
    for line in sse.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line.removeprefix("data: "))["choices"]:
            delta = choice["delta"]
            for call in delta.get("tool_calls") or []:
                pieces.append(call["function"].get("arguments") or "")
            pieces.append(delta.get("content") or "")
    return [json.loads(element) for element in split_elements(pieces)]


def extract_request(server: ScriptedServer, files: dict[str, Path], mode: str) -> dict:
    """The request body ``iterplay extract`` sends for the same inputs."""
    completed = subprocess.run(
        [
            *ITERPLAY, "extract", "--no-history",
            "--schema", str(files["user.py"]),
            "--text", str(files["text.txt"]),
            "--base-url", server.url,
            "--api-key", API_KEY,
            "--model", f"people-{mode}",
            "--mode", mode,
            "--temperature", "0.2",
            "--max-tokens", "300",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )  # fmt: skip
    assert json.loads(completed.stdout.splitlines()[-1])["complete"], completed.stdout
    return server.requests[-1]


def expected_request(files: dict[str, Path], mode: str, **settings) -> dict:
    """The request ``iterplay extract`` makes of the people text for ``people-{mode}``."""
    schema = load_schema(USER_PY)
    request = ExtractionRequest(
        wrapper=build_wrapper(select_targets(schema)),
        text=files["text.txt"].read_text(encoding="utf-8"),
        model=f"people-{mode}",
        mode=mode,
        **settings,
    )
    return build_payload(request, "openai")


@pytest.mark.parametrize("mode", list(MODES))
def test_openai_program_prints_each_entity_as_it_completes(server, files, tmp_path, mode):
    program = code_for(server, files, "openai", mode, "--temperature", "0.2")
    completed = run_program(program, "openai", server, tmp_path)
    assert printed_entities(completed.stdout) == PEOPLE
    assert server.requests[-1] == expected_request(files, mode, temperature=0.2)


@pytest.mark.parametrize("mode", list(MODES))
def test_curl_command_streams_the_answer(server, files, tmp_path, mode):
    program = code_for(server, files, "curl", mode, "--max-tokens", "300")
    completed = run_program(program, "curl", server, tmp_path)
    assert streamed_elements(completed.stdout) == PEOPLE
    assert server.requests[-1] == expected_request(files, mode, max_tokens=300)


@pytest.mark.parametrize("mode", list(MODES))
def test_instructor_program_prints_each_entity(server, files, tmp_path, instructor_python, mode):
    program = code_for(server, files, "instructor", mode)
    completed = run_program(program, "instructor", server, tmp_path, instructor_python)
    assert printed_entities(completed.stdout) == PEOPLE


def test_the_openai_program_sends_byte_for_byte_what_extract_sends(server, files, tmp_path):
    program = code_for(
        server, files, "openai", "json", "--temperature", "0.2", "--max-tokens", "300"
    )
    run_program(program, "openai", server, tmp_path)
    sent_by_program = server.requests[-1]
    assert sent_by_program == extract_request(server, files, "json")


def test_instructor_program_sends_the_settings_and_messages_of_extract(
    server, files, tmp_path, instructor_python
):
    program = code_for(server, files, "instructor", "tools", "--temperature", "0.2")
    run_program(program, "instructor", server, tmp_path, instructor_python)
    sent = server.requests[-1]
    expected = expected_request(files, "tools", temperature=0.2)
    assert sent["model"] == "people-tools"
    assert sent["temperature"] == 0.2
    assert sent["messages"] == expected["messages"]
    assert sent["tool_choice"] == expected["tool_choice"]


@pytest.mark.parametrize("code_format", list(CodeFormat))
def test_no_key_or_password_is_ever_printed(server, files, monkeypatch, code_format):
    password = "pw-code-export-canary-98765"
    url_with_credentials = server.url.replace("http://", f"http://alice:{password}@")
    inputs = ("--schema", str(files["user.py"]), "--text", str(files["text.txt"]))
    given = print_code(
        code_format, *inputs, "--api-key", API_KEY, "--base-url", url_with_credentials
    )
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY + "-env")
    monkeypatch.setenv("OPENAI_BASE_URL", url_with_credentials)
    from_environment = print_code(code_format, *inputs)
    for program in (given, from_environment):
        assert API_KEY not in program
        assert password not in program
        assert "alice" not in program
        assert server.url in program  # the URL the run used, without its credentials


def test_json_schema_input_embeds_the_generated_pydantic_code(server, files, tmp_path):
    program = print_code(
        "openai",
        "--schema", str(files["user.json"]),
        "--text", str(files["text.txt"]),
        "--base-url", server.url,
        "--model", "people-tools",
    )  # fmt: skip
    assert "class User(BaseModel):" in program
    completed = run_program(program, "openai", server, tmp_path)
    assert printed_entities(completed.stdout) == PEOPLE


def test_json_schema_input_runs_under_instructor(server, files, tmp_path, instructor_python):
    program = print_code(
        "instructor",
        "--schema", str(files["user.json"]),
        "--text", str(files["text.txt"]),
        "--base-url", server.url,
        "--model", "people-json",
        "--mode", "json",
    )  # fmt: skip
    completed = run_program(program, "instructor", server, tmp_path, instructor_python)
    assert printed_entities(completed.stdout) == PEOPLE


@pytest.mark.parametrize("code_format", ["openai", "instructor"])
def test_several_roots_are_extracted_as_a_union_as_extract_does(
    server, files, tmp_path, instructor_python, code_format
):
    server.script("mixed", reply_for("tools", json.dumps({"tasks": [JASON, LAPTOP, JOHN]})))
    program = print_code(
        code_format,
        "--schema", str(files["user_and_product.py"]),
        "--text", str(files["text.txt"]),
        "--base-url", server.url,
        "--model", "mixed",
    )  # fmt: skip
    assert "typing.Union[User, Product]" in program
    python = instructor_python if code_format == "instructor" else None
    completed = run_program(program, code_format, server, tmp_path, python)
    assert printed_entities(completed.stdout) == [JASON, LAPTOP, JOHN]


def test_an_invalid_element_is_reported_and_the_stream_goes_on(server, files, tmp_path):
    server.script(
        "one-bad",
        reply_for("tools", json.dumps({"tasks": [JASON, {"name": "Bad", "age": "old"}, JOHN]})),
    )
    program = print_code(
        "openai",
        "--schema", str(files["user.py"]),
        "--text", str(files["text.txt"]),
        "--base-url", server.url,
        "--model", "one-bad",
    )  # fmt: skip
    completed = run_program(program, "openai", server, tmp_path)
    assert printed_entities(completed.stdout) == [JASON, JOHN]
    assert "failed validation" in completed.stderr


def test_without_a_provider_the_code_is_made_for_the_embedded_model(server, files, tmp_path):
    """As extract would: the embedded model's alias, its default mode, llama.cpp's request
    shapes; the program says where it expects the server (``iterplay serve-model``)."""
    args = ("--schema", str(files["user.py"]), "--text", str(files["text.txt"]))
    program = print_code("openai", *args, "--mode", "json_schema")
    assert "iterplay serve-model" in program
    assert '"http://127.0.0.1:8765/v1"' in program
    server.script("smollm2-135m-instruct", reply_for("json_schema"))
    completed = run_program(program, "openai", server, tmp_path)
    assert printed_entities(completed.stdout) == PEOPLE
    sent = server.requests[-1]
    assert sent["model"] == "smollm2-135m-instruct"
    assert sent["response_format"]["type"] == "json_object"  # llama.cpp refuses json_schema
    assert sent["response_format"]["schema"]["title"] == "IterableUser"
    assert "tools" in print_code("curl", *args)  # the embedded model's default mode


def test_a_bad_input_is_one_error_line_and_exit_2(files):
    status, printed = code_command(
        "--format", "curl",
        "--schema", str(files["user.py"]),
        "--text", str(files["text.txt"]),
        "--target", "Nobody",
    )  # fmt: skip
    assert status == 2
    [line] = printed.splitlines()
    error = json.loads(line)
    assert (error["type"], error["kind"]) == ("error", "schema")
    assert "Nobody" in error["message"]


@pytest.mark.parametrize("code_format", ["openai", "curl"])
def test_a_provider_the_server_hides_is_not_named_and_the_code_needs_openai_base_url(
    server, files, tmp_path, code_format
):
    """A playground that hides its provider settings shows code without its base URL."""
    schema = load_schema(USER_PY)
    request = ExtractionRequest(
        wrapper=build_wrapper(select_targets(schema)),
        text=files["text.txt"].read_text(encoding="utf-8"),
        model="people-tools",
    )
    program = export_code(CodeFormat(code_format), schema, request, unnamed_destination())
    assert "127.0.0.1" not in program
    completed = run_program(program, code_format, server, tmp_path)
    found = streamed_elements if code_format == "curl" else printed_entities
    assert found(completed.stdout) == PEOPLE
