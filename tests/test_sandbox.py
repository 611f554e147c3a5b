"""The sandbox: untrusted schema code runs in a confined child that holds nothing worth taking.

These tests check the second fence on its own: code the declarative checker would refuse is run
in a process confined exactly as the sandbox's children are, and must achieve nothing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from textwrap import dedent

import pytest

from iterplay.errors import SchemaError
from iterplay.schema.sandbox import SandboxLimits, SchemaSandbox

CANARY_KEY = "sk-canary-sandbox-0123456789abcdef"
USER = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    name: str\n"

CONFINED_RUNNER = dedent("""
    import json, os, sys
    from iterplay.schema.sandbox_worker import confine
    code = sys.stdin.read()
    reader, writer = os.pipe()
    if os.fork() == 0:
        os.close(reader)
        try:
            confine({"cpu_seconds": 2, "memory_bytes": 256 << 20})
            exec(code, {})
            outcome = "ran"
        except BaseException as error:
            outcome = "refused: " + type(error).__name__
        os.write(writer, outcome.encode())
        os._exit(0)
    os.close(writer)
    print(os.read(reader, 1000).decode() or "killed")
""")


def run_confined(code: str) -> str:
    """Run ``code`` (no checker) in a child confined like the sandbox's; what became of it."""
    completed = subprocess.run(
        [sys.executable, "-c", CONFINED_RUNNER],
        input=code,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    return completed.stdout.strip()


@pytest.fixture
def listener():
    """A loopback TCP listener that records whether anything connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    connected = threading.Event()

    def accept():
        try:
            server.accept()
            connected.set()
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], connected
    server.close()


def test_confined_code_cannot_write_a_file(tmp_path):
    canary = tmp_path / "canary"
    assert run_confined(f"open({str(canary)!r}, 'w').write('x')").startswith("refused")
    assert not canary.exists()


def test_confined_code_cannot_run_a_shell_command(tmp_path):
    canary = tmp_path / "canary"
    outcome = run_confined(f"import os; os.system('touch {canary}')")
    assert outcome.startswith("refused")
    assert not canary.exists()


def test_confined_code_cannot_start_a_process(tmp_path):
    canary = tmp_path / "canary"
    outcome = run_confined(f"import subprocess; subprocess.run(['touch', {str(canary)!r}])")
    assert outcome.startswith("refused")
    assert not canary.exists()


def test_confined_code_cannot_connect_to_the_network(listener):
    port, connected = listener
    outcome = run_confined(f"import socket; socket.create_connection(('127.0.0.1', {port}))")
    assert outcome.startswith("refused")
    assert not connected.wait(0.5)


def test_confined_code_cannot_read_files_outside_the_python_installation(tmp_path):
    secret = tmp_path / "secrets.toml"
    secret.write_text('OPENAI_API_KEY = "x"')
    assert run_confined(f"open({str(secret)!r}).read()").startswith("refused")


def test_confined_code_cannot_take_unbounded_memory():
    assert run_confined("x = bytearray(4 << 30)") == "refused: MemoryError"


def test_confined_code_is_killed_when_it_spins():
    assert run_confined("while True: pass") == "killed"


def test_confined_code_still_loads_a_declarative_schema():
    code = "from pydantic import BaseModel\nclass User(BaseModel):\n    name: str\n"
    assert run_confined(code) == "ran"


def test_the_worker_holds_no_key_and_no_iterplay_switch(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY_KEY)
    monkeypatch.setenv("ITERPLAY_TRUSTED_CODE", "1")
    sandbox = SchemaSandbox(SandboxLimits())
    try:
        sandbox.compile(USER, "pydantic")
        environment = Path(f"/proc/{sandbox.worker_pid}/environ").read_bytes()
    finally:
        sandbox.close()
    assert CANARY_KEY.encode() not in environment
    assert b"ITERPLAY_" not in environment
    assert b"OPENAI_" not in environment


def test_a_schema_that_takes_too_long_is_refused_and_the_sandbox_keeps_serving():
    layers = ["from pydantic import BaseModel\n"]
    for layer in range(9):
        for width in range(9):
            fields = "".join(f"    f{p}: L{layer - 1}M{p}\n" for p in range(9)) if layer else ""
            layers.append(f"class L{layer}M{width}(BaseModel):\n    x: int\n{fields}\n")
    sandbox = SchemaSandbox(SandboxLimits(cpu_seconds=1, wall_seconds=3))
    try:
        with pytest.raises(SchemaError, match="took longer than 1 s"):
            sandbox.compile("".join(layers), "pydantic")
        assert "class User" in sandbox.compile(USER, "pydantic").source
    finally:
        sandbox.close()


def test_a_killed_worker_is_replaced():
    sandbox = SchemaSandbox(SandboxLimits())
    try:
        sandbox.compile(USER, "pydantic")
        first = sandbox.worker_pid
        os.kill(first, 9)
        assert "class User" in sandbox.compile(USER, "pydantic").source
        assert sandbox.worker_pid != first
    finally:
        sandbox.close()


def test_the_reply_carries_only_data():
    sandbox = SchemaSandbox(SandboxLimits())
    try:
        reply = sandbox.compile(USER, "pydantic")
    finally:
        sandbox.close()
    json.dumps(reply.settings)
    assert isinstance(reply.source, str) and reply.model_names == ("User",)
