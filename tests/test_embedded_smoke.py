"""The real CLI on the real embedded model: the seed's example, end to end, with no API key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from iterplay.examples import SAMPLE_TEXT
from iterplay.local_model import MODEL_ALIAS, free_port
from tests.ports import wait_until_port_closed

pytestmark = pytest.mark.embedded

ITERPLAY = str(Path(sys.executable).with_name("iterplay"))
SEED_TEXT = "Consider this data: Jason is 10 and John is 30."
USER_SCHEMA = """\
from pydantic import BaseModel


class User(BaseModel):
    name: str
    age: int
"""
STOP_WAIT = 30.0


@pytest.fixture
def no_provider_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a newcomer: no endpoint, no key, logs kept out of the home folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"OPENAI_BASE_URL", "OPENAI_API_KEY", "ITERPLAY_MODEL"}
    }
    env["ITERPLAY_LOG_DIR"] = str(tmp_path / "logs")
    return env


@pytest.fixture
def user_schema(tmp_path: Path) -> Path:
    path = tmp_path / "user.py"
    path.write_text(USER_SCHEMA)
    return path


@pytest.mark.parametrize("mode", [None, "tools", "json_schema"])
def test_extract_streams_the_seed_users_from_the_embedded_model(mode, user_schema, no_provider_env):
    command = [ITERPLAY, "extract", "--schema", str(user_schema), "--text", "-"]
    command += ["--temperature", "0"] + (["--mode", mode] if mode else [])
    result = subprocess.run(
        command, input=SEED_TEXT, capture_output=True, text=True, env=no_provider_env, timeout=180
    )
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["data"] for r in records if r["type"] == "entity"] == [
        {"name": "Jason", "age": 10},
        {"name": "John", "age": 30},
    ]
    assert [r["type"] for r in records] == ["entity", "entity", "done"]
    assert records[-1]["complete"] is True
    assert result.returncode == 0, result.stderr


def test_readme_example_piped_from_echo_gives_jason_and_john(user_schema, no_provider_env):
    """``echo`` adds a newline; a 135M model once answered name "User" because of it."""
    command = [ITERPLAY, "extract", "--schema", str(user_schema), "--text", "-"]
    result = subprocess.run(
        [*command, "--temperature", "0"],
        input=SAMPLE_TEXT + "\n",
        capture_output=True,
        text=True,
        env=no_provider_env,
        timeout=180,
    )
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["data"] for r in records if r["type"] == "entity"] == [
        {"name": "Jason", "age": 10},
        {"name": "John", "age": 30},
    ]


def sigint_as_from_a_terminal() -> None:
    """In the child: SIGINT's default action, as Ctrl+C in a terminal finds it. A suite started
    in the background (``&``, nohup) hands its children an ignored SIGINT, which the server
    would then never see."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_serve_model_serves_until_signalled(stop_signal, no_provider_env):
    port = free_port()
    serving = subprocess.Popen(
        [ITERPLAY, "serve-model", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=no_provider_env,
        preexec_fn=sigint_as_from_a_terminal,
    )
    try:
        banner = serving.stdout.readline()
        assert f"127.0.0.1:{port}/v1" in banner, serving.stderr.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as response:
            assert [model["id"] for model in json.load(response)["data"]] == [MODEL_ALIAS]
        serving.send_signal(stop_signal)
        serving.wait(timeout=STOP_WAIT)
        assert wait_until_port_closed(port)
    finally:
        if serving.poll() is None:
            serving.kill()
            serving.wait()
    assert serving.returncode == 0
