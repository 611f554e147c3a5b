"""Bits of English the UI and the CLI share: a count reads "1 entity", never "1 entities"."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and the noun that agrees with it; the plural is ``singular + "s"`` by default."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def sentence(text: str) -> str:
    """``text`` ending as a sentence does: a full stop added unless it has its own ending."""
    text = text.rstrip()
    return text if not text or text.endswith((".", "!", "?", "…")) else text + "."
