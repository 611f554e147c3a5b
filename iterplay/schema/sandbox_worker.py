"""The sandbox worker: the only process where untrusted schema code runs.

The server starts it once (see ``sandbox``) with an empty environment in an empty directory. It
preloads the libraries, then answers one JSON line per request. Each request runs in a child
forked for it, which first confines itself (CPU time, address space, no file writes, an audit
hook refusing network, processes, environment changes and reads outside the Python
installation), then checks, runs and converts the schema, and hands back only data.
The worker itself never runs user code, so a child that is killed leaves it clean.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import sys
import time
from typing import Any

from iterplay.errors import SchemaError

# Audit events a schema never needs (see the "Audit events table" in Python's docs).
_REFUSED_EVENT_PREFIXES = (
    "socket.",
    "subprocess.",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "os.kill",
    "os.killpg",
    "os.putenv",
    "os.unsetenv",
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.link",
    "os.symlink",
    "os.truncate",
    "os.chdir",
    "os.setxattr",
    "shutil.",
    "ctypes.",
    "webbrowser.",
    "urllib.",
    "http.",
    "ftplib.",
    "smtplib.",
    "pty.",
    "sqlite3.",
)
READY = "ready"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_WARM_UP = "from pydantic import BaseModel, Field\nclass Warm(BaseModel):\n    x: str = Field('')\n"


class _Refused(Exception):
    """An audit hook refusal; raised inside the user's code path, reported as a SchemaError."""


def serve() -> None:
    """Answer requests from stdin until the server closes it (or dies: then stdin ends too)."""
    compile_untrusted(_WARM_UP, "pydantic")  # imports everything lazily loaded, before forking
    compile_untrusted('{"type": "object", "properties": {"a": {"type": "string"}}}', "json_schema")
    sys.stdout.write(READY + "\n")
    sys.stdout.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        reply = _answer_in_child(request)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def compile_untrusted(text: str, kind: str) -> dict[str, Any]:
    """Check, run and convert one schema; the reply holds only the source the server may load."""
    from iterplay.schema.json_schema import pydantic_source_from_json_schema
    from iterplay.schema.round_trip import carried_settings, round_trip, round_trip_notes
    from iterplay.schema.safe_loader import load_generated, load_models
    from iterplay.schema.targets import find_roots

    if kind == "pydantic":
        models = load_models(text, trusted=False)
        source = round_trip(models)
        started = time.process_time()
        rebuilt = load_models(source, trusted=False)
        build_seconds = time.process_time() - started
        settings = carried_settings(models)
        notes = round_trip_notes(models, rebuilt)
        # Roots come from the user's own classes: JSON Schema flattens inheritance.
        names, roots = list(models), list(find_roots(models))
    else:
        source = pydantic_source_from_json_schema(text)
        started = time.process_time()
        load_generated(source)
        build_seconds = time.process_time() - started
        settings, notes, names, roots = {}, (), None, None
    return {
        "source": source,
        "models": names,
        "roots": roots,
        "settings": settings,
        "notes": list(notes),
        "build_seconds": build_seconds,
    }


def _answer_in_child(request: dict[str, Any]) -> dict[str, Any]:
    limits = request["limits"]
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: confine, work, write the reply, leave without cleanup
        os.close(reader)
        _child(request, limits, writer)
    os.close(writer)
    reply, timed_out = _read_until_eof(reader, time.monotonic() + limits["wall_seconds"])
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if reply is not None:
        return reply
    return {"error": {"reason": _death_reason(status, timed_out, limits)}}


def _child(request: dict[str, Any], limits: dict[str, Any], writer: int) -> None:
    try:
        _silence_output()
        confine(limits)
        reply: dict[str, Any] = {"ok": compile_untrusted(request["text"], request["kind"])}
    except SchemaError as error:
        reply = {"error": {"reason": error.reason, "line": error.line, "column": error.column}}
    except MemoryError:
        reply = {"error": {"reason": _memory_reason(limits)}}
    except RecursionError:
        reply = {"error": {"reason": "the schema is nested too deeply"}}
    except _Refused as error:
        reply = {"error": {"reason": f"schema code may not {error}"}}
    except BaseException as error:  # anything else is still one sentence for the user
        reply = {"error": {"reason": f"the schema cannot be loaded ({type(error).__name__})"}}
    try:
        data = json.dumps(reply).encode()
        while data:
            data = data[os.write(writer, data) :]
    finally:
        os._exit(0)


def _silence_output() -> None:
    """Nothing the child prints may reach the worker's reply channel or the server's log."""
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor in (0, 1, 2):
        os.dup2(null, descriptor)


def confine(limits: dict[str, Any]) -> None:
    """Confine this process as every sandbox child is: limits first, then the audit hook."""
    cpu = max(1, int(limits["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    address_space = _address_space_bytes() + limits["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.addaudithook(_audit_hook(_readable_roots()))


def _address_space_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _readable_roots() -> tuple[str, ...]:
    import iterplay

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(iterplay.__file__)}
    roots.update(path for path in sys.path if path and os.path.isdir(path))
    return tuple(os.path.join(os.path.realpath(root), "") for root in roots)


def _audit_hook(readable_roots: tuple[str, ...]):
    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event.startswith(_REFUSED_EVENT_PREFIXES):
            raise _Refused(f"use {event}")
        if event == "open":
            _check_open(args, readable_roots)

    return hook


def _check_open(args: tuple[Any, ...], readable_roots: tuple[str, ...]) -> None:
    path, mode, flags = (*args, None, None, None)[:3]
    if isinstance(path, int):
        return
    writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        isinstance(flags, int) and flags & _WRITE_FLAGS
    )
    if writing:
        raise _Refused("write files")
    name = os.path.realpath(os.fsdecode(path))
    if name != os.devnull and not name.startswith(readable_roots):
        raise _Refused("read files")


def _read_until_eof(reader: int, deadline: float) -> tuple[dict[str, Any] | None, bool]:
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, True
            ready, _, _ = select.select([reader], [], [], left)
            if not ready:
                continue
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(reader)
    try:
        return json.loads(b"".join(chunks)), False
    except ValueError:
        return None, False


def _death_reason(status: int, timed_out: bool, limits: dict[str, Any]) -> str:
    signalled = os.WIFSIGNALED(status) and os.WTERMSIG(status)
    if timed_out or signalled in (signal.SIGXCPU, signal.SIGKILL):
        return (
            f"loading the schema took longer than {limits['cpu_seconds']:g} s, the limit; "
            "simplify it (fewer models that reference each other, smaller constraints)"
        )
    if signalled == signal.SIGSEGV:
        return _memory_reason(limits)
    return "the schema could not be loaded (the checker stopped unexpectedly)"


def _memory_reason(limits: dict[str, Any]) -> str:
    return (
        f"loading the schema needs more than {limits['memory_bytes'] >> 20} MB, the limit; "
        "simplify it"
    )
