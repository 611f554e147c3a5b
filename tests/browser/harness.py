"""The real parts the browser tests and the latency benchmark drive: the app and chromium.

``AppProcess`` runs ``streamlit run app.py`` as a subprocess on a free port, with the provider
environment it is given, and waits for ``/_stcore/health``. ``launch_chromium`` starts Debian's
chromium through Playwright with the flags this machine needs (no downloaded browser; Playwright
gives every launch a fresh, empty user-data directory of its own).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from playwright.sync_api import Browser, Playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ITERPLAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API_KEY = "sk-browser-test-key-0001"
PROVIDER_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL")
APP_STARTUP_TIMEOUT = 60.0
TUNED_STREAMLIT = Path(__file__).with_name("tuned_streamlit.py")  # AppProcess(launcher=...)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class AppProcess:
    """``streamlit run <script>`` in its own process group; the log goes to ``log_path``."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        script: Path | str = "app.py",
        launcher: Sequence[str] = ("-m", "streamlit"),
    ):
        self.script = str(script)
        self.launcher = list(launcher)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        self._env = self._environment(env)
        self._process: subprocess.Popen | None = None

    @staticmethod
    def _environment(overrides: Mapping[str, str]) -> dict[str, str]:
        """The caller's environment without provider settings, plus ``overrides``."""
        env = {k: v for k, v in os.environ.items() if k not in PROVIDER_VARIABLES}
        env.update(overrides)
        return env

    def start(self) -> AppProcess:
        command = [
            sys.executable,
            *self.launcher,
            "run",
            self.script,
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + APP_STARTUP_TIMEOUT
        health = f"{self.url}_stcore/health"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(health, timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy; see {self.log_path}")

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM to the app's own process group (it and the model server it started)."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def kill(self) -> None:
        """SIGKILL to the app's process group: no handler runs, nothing is flushed at exit."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
