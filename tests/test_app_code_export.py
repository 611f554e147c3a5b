"""The playground's Code panel: the extraction on screen as instructor, openai and curl code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from iterplay.testing import Reply

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")
SERVER_KEY = "sk-secret-code-panel-key-123456"
TWO_USERS = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'


@pytest.fixture
def remote_env(monkeypatch, scripted_server):
    monkeypatch.setenv("OPENAI_BASE_URL", scripted_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", SERVER_KEY)
    monkeypatch.setenv("ITERPLAY_MODEL", "two-users")
    scripted_server.script("two-users", Reply.from_text(TWO_USERS, channel="tool_call"))
    return scripted_server


def code_blocks(app: AppTest) -> dict[str, str]:
    """The Code panel's blocks, by what each is."""
    blocks = {}
    for block in app.code:
        if "instructor.from_openai(" in block.value:
            blocks["instructor"] = block.value
        elif "class ElementSplitter" in block.value:
            blocks["openai"] = block.value
        elif "curl -sS -N" in block.value:
            blocks["curl"] = block.value
    return blocks


def test_the_playground_shows_the_extraction_as_three_programs(remote_env):
    app = AppTest.from_file(PAGE, default_timeout=30).run()
    blocks = code_blocks(app)
    assert sorted(blocks) == ["curl", "instructor", "openai"]
    assert [block.language for block in app.code if block.value == blocks["curl"]] == ["bash"]
    for program in blocks.values():
        assert "two-users" in program  # the model on screen
        assert SERVER_KEY not in program


def test_the_openai_program_shown_runs_as_printed(remote_env, tmp_path):
    app = AppTest.from_file(PAGE, default_timeout=30).run()
    program = tmp_path / "extract.py"
    program.write_text(code_blocks(app)["openai"], encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, str(program)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"OPENAI_BASE_URL": remote_env.url, "OPENAI_API_KEY": SERVER_KEY, "PATH": ""},
    )
    assert completed.returncode == 0, completed.stderr
    assert [json.loads(line) for line in completed.stdout.splitlines()] == [
        {"name": "Jason", "age": 10},
        {"name": "John", "age": 30},
    ]
