"""Shared pytest fixtures."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from iterplay.testing import ScriptedServer


@pytest.fixture(scope="session", autouse=True)
def private_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Runs made by the tests (and the processes they start) go to a history of their own."""
    previous = os.environ.get("ITERPLAY_DB")
    os.environ["ITERPLAY_DB"] = str(tmp_path_factory.mktemp("history") / "history.sqlite3")
    yield
    if previous is None:
        os.environ.pop("ITERPLAY_DB", None)
    else:
        os.environ["ITERPLAY_DB"] = previous


@pytest.fixture(autouse=True)
def main_module_kept() -> Iterator[None]:
    """AppTest leaves the last script it ran as ``__main__``; a process spawned later (the
    concurrent-writer test) would run that script again as its own main. Put pytest's back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture
def history_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A history file of the test's own (``ITERPLAY_DB``), empty until something runs."""
    path = tmp_path / "history.sqlite3"
    monkeypatch.setenv("ITERPLAY_DB", str(path))
    return path


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    """A running scripted server, stopped after the test; script it with ``.script()``."""
    with ScriptedServer() as server:
        yield server
