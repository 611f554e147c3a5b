"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iterplay.testing import ScriptedServer


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    """A running scripted server, stopped after the test; script it with ``.script()``."""
    with ScriptedServer() as server:
        yield server
