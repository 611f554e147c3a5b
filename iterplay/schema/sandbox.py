"""Keep untrusted schema code out of the server process.

The process that serves the playground holds provider keys and every visitor's session, so
pydantic source from the editor or a share link never executes in it. It goes to one worker
process (``sandbox_worker``), started on first use with an empty environment (no keys, no
``ITERPLAY_*`` switches) in an empty directory; the worker forks a confined child per schema.
What comes back is the pydantic source datamodel-code-generator wrote from the models' JSON
Schema, which this process loads through the declarative checker. The limits below bound every
load in CPU time, wall time and memory; figures and the reasoning are in docs/security.md.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from iterplay.errors import SchemaError
from iterplay.schema.sandbox_worker import READY

_PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from iterplay.schema import sandbox_worker; sandbox_worker.serve()"
)
# Slack on top of the child's own wall limit before the worker itself counts as stuck.
_WORKER_GRACE_SECONDS = 5.0
# Starting the worker imports pydantic and datamodel-code-generator: slow on a busy machine,
# and not counted against a schema's limits.
_START_SECONDS = 120.0


@dataclass(frozen=True)
class SandboxLimits:
    """Per-schema bounds; set by whoever starts the server, never by a visitor."""

    cpu_seconds: float = 5.0
    wall_seconds: float = 10.0
    memory_bytes: int = 768 << 20
    # Loading the generated source again here costs what it cost in the child: bound it too.
    build_seconds: float = 2.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> SandboxLimits:
        defaults = cls()
        return cls(
            cpu_seconds=float(environ.get("ITERPLAY_SCHEMA_CPU_SECONDS", defaults.cpu_seconds)),
            wall_seconds=float(environ.get("ITERPLAY_SCHEMA_WALL_SECONDS", defaults.wall_seconds)),
            memory_bytes=int(environ.get("ITERPLAY_SCHEMA_MEMORY_MB", defaults.memory_bytes >> 20))
            << 20,
            build_seconds=float(
                environ.get("ITERPLAY_SCHEMA_BUILD_SECONDS", defaults.build_seconds)
            ),
        )


@dataclass(frozen=True)
class SandboxedSchema:
    """What the sandbox hands back: source safe to load here, the names of the user's models in
    it and their roots (None: every class it defines; roots found here), settings to apply to
    them (see ``round_trip.apply_settings``), and what the round trip changed."""

    source: str
    model_names: tuple[str, ...] | None
    roots: tuple[str, ...] | None
    settings: dict[str, dict[str, Any]]
    notes: tuple[str, ...]


class SchemaSandbox:
    """One worker process, asked one schema at a time; restarted if it dies or hangs."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    def compile(self, text: str, kind: str) -> SandboxedSchema:
        """Check, run and convert ``text`` in the sandbox; every failure is a SchemaError."""
        request = json.dumps({"text": text, "kind": kind, "limits": asdict(self.limits)})
        with self._lock:
            reply = self._ask(request.encode() + b"\n")
        if "error" in reply:
            error = reply["error"]
            raise SchemaError(error["reason"], error.get("line"), error.get("column"))
        answer = reply["ok"]
        if answer["build_seconds"] > self.limits.build_seconds:
            raise SchemaError(
                f"this schema takes {answer['build_seconds']:.1f} s to build, more than the "
                f"{self.limits.build_seconds:g} s limit; simplify it (fewer models that "
                "reference each other)"
            )
        names, roots = answer["models"], answer["roots"]
        return SandboxedSchema(
            source=answer["source"],
            model_names=None if names is None else tuple(names),
            roots=None if roots is None else tuple(roots),
            settings=answer["settings"],
            notes=tuple(answer["notes"]),
        )

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id while it runs (for operators and tests)."""
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _ask(self, request: bytes) -> dict[str, Any]:
        for attempt in range(2):
            try:
                process = self._running()
                assert process.stdin is not None and process.stdout is not None
                process.stdin.write(request)
                process.stdin.flush()
                deadline = self.limits.wall_seconds + _WORKER_GRACE_SECONDS
                return json.loads(_read_line(process.stdout, deadline))
            except (OSError, ValueError, TimeoutError):
                self._stop()
                if attempt:
                    raise SchemaError(
                        "the schema checker stopped unexpectedly; try again"
                    ) from None
        raise AssertionError("unreachable")

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop()
        self._workdir = tempfile.TemporaryDirectory(prefix="iterplay-sandbox-")
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, _PROJECT_ROOT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self._workdir.name,
            env=scrubbed_environment(),
            close_fds=True,
        )
        assert self._process.stdout is not None
        if _read_line(self._process.stdout, _START_SECONDS).strip() != READY.encode():
            raise OSError("the sandbox worker did not start")
        return self._process

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()
            self._process = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None


def scrubbed_environment() -> dict[str, str]:
    """All the worker gets: no keys, no ITERPLAY_* switches, no proxies, no HOME."""
    return {"PATH": os.defpath, "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0"}


def _read_line(stream: IO[bytes], seconds: float) -> bytes:
    """One reply line, or TimeoutError: a worker that stops answering is replaced."""
    deadline = time.monotonic() + seconds
    descriptor = stream.fileno()
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise TimeoutError
            chunk = os.read(descriptor, 1 << 16)
            if not chunk:
                raise OSError("the sandbox worker exited")
            data += chunk
    return data


_shared: SchemaSandbox | None = None
_shared_lock = threading.Lock()


def shared_sandbox() -> SchemaSandbox:
    """The process's one sandbox, with limits read from the environment at first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SchemaSandbox(SandboxLimits.from_environment())
            atexit.register(_shared.close)
        return _shared
