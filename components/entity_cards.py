"""Entity cards: one bordered container per element, added once, never redrawn.

Values from the model are untrusted text: every string is markdown-escaped (HTML is never
interpreted either), and nested objects and lists become indented bullet lists.
"""

from __future__ import annotations

import json
import re
from typing import Any

import streamlit as st

from iterplay.events import Entity, Invalid, Partial

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def escape_markdown(text: str) -> str:
    """Text that markdown shows literally: no emphasis, links, HTML or LaTeX."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", " ⏎ ")


def value_markdown(value: Any, depth: int = 0) -> str:
    """A JSON-like value as markdown lines: scalars inline, containers as nested bullets."""
    indent = "  " * depth
    if isinstance(value, dict):
        if not value:
            return "*(empty)*"
        lines = []
        for key, item in value.items():
            label = f"**{escape_markdown(str(key))}**"
            if isinstance(item, dict | list) and item:
                lines.append(f"{indent}- {label}:\n{value_markdown(item, depth + 1)}")
            else:
                lines.append(f"{indent}- {label}: {value_markdown(item, depth + 1)}")
        return "\n".join(lines)
    if isinstance(value, list):
        if not value:
            return "*(none)*"
        return "\n".join(
            f"{indent}- " + value_markdown(item, depth + 1).lstrip()
            if not isinstance(item, dict)
            else f"{indent}- item {number}:\n{value_markdown(item, depth + 1)}"
            for number, item in enumerate(value, 1)
        )
    if value is None:
        return "*null*"
    if isinstance(value, str):
        return escape_markdown(value)
    return escape_markdown(json.dumps(value))


def entity_data(entity: Entity) -> Any:
    value = entity.value
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def entity_card(entity: Entity) -> None:
    type_name = type(entity.value).__name__
    with st.container(key=f"entity-card-{entity.index}", border=True):
        st.markdown(
            f"*#{entity.index} · {escape_markdown(type_name)} · {entity.t:.2f} s*\n\n"
            f"{value_markdown(entity_data(entity))}"
        )


def invalid_card(invalid: Invalid) -> None:
    with st.container(key=f"invalid-card-{invalid.index}", border=True):
        problems = "\n".join(
            f"- `{'.'.join(str(part) for part in error['loc']) or '(element)'}`: "
            f"{escape_markdown(error['msg'])}"
            for error in invalid.errors
        )
        st.markdown(f"⚠️ **#{invalid.index} failed validation** · {invalid.t:.2f} s\n\n{problems}")
        st.code(invalid.raw, language="json", wrap_lines=True)


def partial_card_body(partial: Partial | None) -> None:
    """What goes inside the in-progress card's slot: the element as parsed so far."""
    if partial is None:
        return
    st.markdown(
        f"✍️ *writing #{partial.index}…*\n\n{value_markdown(partial.data)}",
    )
