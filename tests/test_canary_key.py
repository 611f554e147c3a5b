"""A canary key, configured on the server, and another typed by a visitor, must never come out.

Runs the playground (AppTest) and the CLI through successes and failures (a 401 and a 500 that
echo the key, a visitor's own base URL, share links) and searches every output: what the page
sent to the browser, the logs, the CLI's stdout and stderr, the share link, the run history, the
embedded model's log directory. The scripted servers record the Authorization header of every
request, so the tests also check which key reached which host: the server's key only its own.
"""

from __future__ import annotations

import logging
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from iterplay.limits import limits
from iterplay.provider import provider_settings_hidden
from iterplay.testing import Reply, ScriptedServer
from tests.apptest_page import every_text, extract_button, open_page
from tests.test_cli import ITERPLAY, clean_env

CANARY = "sk-canary-server-7f3a9c1e5b"
TYPED_CANARY = "sk-canary-typed-2d8e4b6a0f"
USER_PY = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
TWO_USERS = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'


def script_home(server: ScriptedServer, key: str) -> None:
    """Success, and failures that echo ``key`` back, as careless providers do."""
    server.script("two-users", Reply.from_text(TWO_USERS, channel="tool_call"))
    server.script("echo-401", Reply(status=401, error={"message": f"Incorrect API key {key}"}))
    server.script("echo-500", Reply(status=500, error={"message": f"upstream said Bearer {key}"}))
    server.script("echo-finish", Reply.from_text('{"tasks": [', finish_reason=key))


@pytest.fixture
def home() -> Iterator[ScriptedServer]:
    """The provider the server is configured with; it requires the canary."""
    with ScriptedServer(api_key=CANARY) as server:
        script_home(server, CANARY)
        yield server


@pytest.fixture
def visitor_host() -> Iterator[ScriptedServer]:
    """A host a visitor points the playground at; it takes any key and records it."""
    with ScriptedServer() as server:
        script_home(server, TYPED_CANARY)
        yield server


def assert_no_canary(*outputs: str) -> None:
    for output in outputs:
        assert CANARY not in output
        assert TYPED_CANARY not in output


def history_bytes() -> bytes:
    """The run history the CLI and the page wrote (the tests' own ITERPLAY_DB), journal files
    included."""
    database = Path(os.environ["ITERPLAY_DB"])
    files = sorted(database.parent.glob(database.name + "*"))
    assert files, "no run was recorded, so searching the history would prove nothing"
    return b"".join(path.read_bytes() for path in files)


def keys_received(server: ScriptedServer) -> set[str | None]:
    return set(server.authorizations)


# -- the playground ------------------------------------------------------------------------------


@pytest.fixture
def server_env(monkeypatch, home, caplog):
    monkeypatch.setenv("OPENAI_BASE_URL", home.url)
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("ITERPLAY_MODEL", "two-users")
    limits.cache_clear()
    provider_settings_hidden.cache_clear()
    caplog.set_level(logging.DEBUG)
    yield home
    provider_settings_hidden.cache_clear()


def run_model(app, model: str):
    app.text_input(key="model_name").set_value(model)
    extract_button(app).click().run()
    assert not app.exception
    return app


@pytest.mark.parametrize("model", ["two-users", "echo-401", "echo-500", "echo-finish"])
def test_the_page_never_shows_the_server_key(server_env, caplog, capfd, model):
    app = run_model(open_page(), model)
    assert app.session_state["active_run"].end is not None
    assert app.session_state["run_history"].wait(timeout=10)
    captured = capfd.readouterr()
    assert_no_canary(every_text(app), caplog.text, captured.out, captured.err)
    assert CANARY.encode() not in history_bytes()
    assert keys_received(server_env) == {f"Bearer {CANARY}"}


@pytest.mark.parametrize("model", ["two-users", "echo-401"])
def test_a_visitor_base_url_never_receives_the_server_key(server_env, visitor_host, model):
    app = open_page()
    app.text_input(key="base_url").set_value(visitor_host.url)
    run_model(app, model)
    assert app.session_state["active_run"].end is not None
    assert CANARY not in str(visitor_host.authorizations)
    assert visitor_host.authorizations  # the request did go there, without the key
    assert_no_canary(every_text(app))


@pytest.mark.parametrize("model", ["echo-401", "echo-finish"])
def test_a_typed_key_goes_to_its_host_and_nowhere_else(
    server_env, visitor_host, caplog, capfd, model
):
    app = open_page()
    app.text_input(key="base_url").set_value(visitor_host.url + "/")
    app.text_input(key="api_key").set_value(TYPED_CANARY)
    run_model(app, model)
    assert keys_received(visitor_host) == {f"Bearer {TYPED_CANARY}"}
    assert not server_env.authorizations
    assert app.session_state["run_history"].wait(timeout=10)
    captured = capfd.readouterr()
    page = every_text(app, skip_keys=("api_key",))
    assert_no_canary(page, caplog.text, captured.out, captured.err)
    assert TYPED_CANARY.encode() not in history_bytes()


def test_the_share_link_carries_neither_key(server_env, visitor_host):
    app = open_page()
    app.text_input(key="api_key").set_value(TYPED_CANARY).run()
    link = next(code.value for code in app.code if "?s=" in code.value)
    assert_no_canary(link, every_text(app, skip_keys=("api_key",)))


def test_hidden_provider_settings_use_the_server_provider_and_show_nothing_of_it(
    server_env, monkeypatch
):
    monkeypatch.setenv("ITERPLAY_HIDE_PROVIDER_SETTINGS", "1")
    provider_settings_hidden.cache_clear()
    app = open_page()
    keys = {widget.key for widget in [*app.text_input, *app.radio]}
    assert not {"base_url", "api_key", "model_name", "provider_kind"} & keys
    extract_button(app).click().run()
    assert app.session_state["active_run"].entity_count == 2
    assert keys_received(server_env) == {f"Bearer {CANARY}"}
    assert server_env.url not in every_text(app)
    assert_no_canary(every_text(app))


# -- the command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("canary")
    (folder / "user.py").write_text(USER_PY, encoding="utf-8")
    (folder / "text.txt").write_text("Jason is 10 and John is 30.", encoding="utf-8")
    return {"schema": str(folder / "user.py"), "text": str(folder / "text.txt")}


def cli(files: dict[str, str], *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ITERPLAY, "extract", "--schema", files["schema"], "--text", files["text"], *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.parametrize("model", ["two-users", "echo-401", "echo-500", "echo-finish"])
def test_the_cli_never_prints_the_server_key(home, files, model):
    env = clean_env(OPENAI_BASE_URL=home.url, OPENAI_API_KEY=CANARY)
    completed = cli(files, "--model", model, env=env)
    assert completed.stdout.splitlines()[-1].startswith(('{"type": "done"', '{"type": "error"'))
    assert_no_canary(completed.stdout, completed.stderr)
    assert CANARY.encode() not in history_bytes()
    assert keys_received(home) == {f"Bearer {CANARY}"}


def test_the_cli_sends_the_environment_key_only_to_the_environment_base_url(
    home, visitor_host, files
):
    env = clean_env(OPENAI_BASE_URL=home.url, OPENAI_API_KEY=CANARY)
    completed = cli(files, "--base-url", visitor_host.url, "--model", "two-users", env=env)
    assert completed.returncode == 0
    assert CANARY not in str(visitor_host.authorizations) and visitor_host.authorizations
    assert not home.authorizations


@pytest.mark.parametrize("model", ["two-users", "echo-401", "echo-500", "echo-finish"])
def test_the_cli_never_prints_a_typed_key(visitor_host, files, model):
    args = ("--base-url", visitor_host.url, "--api-key", TYPED_CANARY, "--model", model)
    completed = cli(files, *args, env=clean_env())
    assert_no_canary(completed.stdout, completed.stderr)
    assert TYPED_CANARY.encode() not in history_bytes()
    assert keys_received(visitor_host) == {f"Bearer {TYPED_CANARY}"}


# -- the embedded model --------------------------------------------------------------------------


@pytest.mark.embedded
def test_the_embedded_model_never_sees_the_key(monkeypatch, tmp_path):
    from iterplay import local_model

    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("API_KEY", CANARY)
    monkeypatch.setenv("ITERPLAY_LOG_DIR", str(tmp_path))
    server = local_model.start_server()
    try:
        environment = Path(f"/proc/{server.process.pid}/environ").read_bytes()
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=30) as answer:
            status = answer.status  # no key demanded: the child did not see API_KEY
    finally:
        server.stop()
    assert CANARY.encode() not in environment
    assert status == 200
    for log in tmp_path.rglob("*"):
        if log.is_file():
            assert CANARY not in log.read_text(encoding="utf-8", errors="replace")
    assert os.environ["OPENAI_API_KEY"] == CANARY  # the test's own process kept it
