"""Test doubles for iterplay: a real scripted OpenAI-compatible streaming server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iterplay.testing.scripted_server import Piece, Reply, ScriptedServer

__all__ = ["Piece", "Reply", "ScriptedServer"]


def __getattr__(name: str) -> Any:
    """Import lazily: ``python -m iterplay.testing.scripted_server`` must load that module once."""
    if name in __all__:
        from iterplay.testing import scripted_server

        return getattr(scripted_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
