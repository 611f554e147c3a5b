"""Entity cards as HTML, added in batches: one Streamlit element per batch, not per card.

A keyed ``st.container`` plus markdown per card costs the browser two React elements each;
2,000 of them take seconds to render. Cards are therefore small HTML blocks carrying the same
stable classes (``st-key-entity-card-<i>``, ``st-key-invalid-card-<i>``), and every value from
the model is HTML-escaped: it is always shown as text.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from pydantic import BaseModel

from iterplay.events import Entity, Invalid, Partial
from iterplay.records import entity_data

# Colours are translucent greys and reds over the page, so cards read in light and dark themes.
CARD_STYLE = """
<style>
.iterplay-card { border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 0.5rem;
  padding: 0.6rem 0.9rem; margin-bottom: 0.6rem; }
.iterplay-card ul { margin: 0.2rem 0 0 0; padding-left: 1.2rem; }
.iterplay-card li { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.iterplay-card .head { font-size: 0.8rem; font-style: italic; opacity: 0.65; }
.iterplay-card .null { font-style: italic; opacity: 0.65; }
.iterplay-invalid { border-color: rgba(230, 80, 80, 0.6); background: rgba(230, 80, 80, 0.07); }
.iterplay-invalid pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8rem;
  background: rgba(128, 128, 128, 0.12); padding: 0.4rem; border-radius: 0.3rem;
  margin: 0.4rem 0 0; }
.iterplay-partial { border-style: dashed; }
/* In a row with the cards/table toggle, the heading loses the top padding its neighbours keep. */
.st-key-entities-header { padding-top: 0.75rem; }
</style>
"""


def value_html(value: Any) -> str:
    """A JSON-like value as HTML: scalars inline, objects and lists as nested lists."""
    if isinstance(value, dict):
        if not value:
            return '<span class="null">(empty)</span>'
        items = "".join(
            f"<li><b>{escape(str(key))}</b>: {value_html(item)}</li>" for key, item in value.items()
        )
        return f"<ul>{items}</ul>"
    if isinstance(value, list):
        if not value:
            return '<span class="null">(none)</span>'
        return "<ul>" + "".join(f"<li>{value_html(item)}</li>" for item in value) + "</ul>"
    if value is None:
        return '<span class="null">null</span>'
    if isinstance(value, str):
        return escape(value)
    return escape(json.dumps(value))


def entity_card_html(entity: Entity, mark: str = "", prefix: str = "") -> str:
    """``mark``: live scoring's verdict on this card, as HTML (see ``score_marks``); ``prefix``
    starts the card's key (``lane<j>-`` in lane j)."""
    kind = type(entity.value).__name__ if isinstance(entity.value, BaseModel) else None
    head = f"#{entity.index}{f' · {escape(kind)}' if kind else ''} · {entity.t:.2f} s"
    return (
        f'<div class="iterplay-card st-key-{prefix}entity-card-{entity.index}">'
        f'<div class="head">{head}</div>{mark}{value_html(entity_data(entity.value))}</div>'
    )


def invalid_card_html(invalid: Invalid, mark: str = "", prefix: str = "") -> str:
    problems = "".join(
        f"<li><code>{escape('.'.join(str(part) for part in error['loc']) or '(element)')}</code>"
        f": {escape(error['msg'])}</li>"
        for error in invalid.errors
    )
    return (
        f'<div class="iterplay-card iterplay-invalid st-key-{prefix}invalid-card-{invalid.index}">'
        f'<div class="head">⚠️ #{invalid.index} failed validation · {invalid.t:.2f} s</div>'
        f"{mark}<ul>{problems}</ul><pre>{escape(invalid.raw)}</pre></div>"
    )


def card_html(element: Entity | Invalid, mark: str = "", prefix: str = "") -> str:
    if isinstance(element, Entity):
        return entity_card_html(element, mark, prefix)
    return invalid_card_html(element, mark, prefix)


def partial_card_html(partial: Partial, ended: bool = False) -> str:
    """The element being written, as parsed so far; once the run has ended (stopped, cut off,
    truncated), the element it left unfinished."""
    head = f"✂️ #{partial.index} never finished" if ended else f"✍️ writing #{partial.index}…"
    return (
        f'<div class="iterplay-card iterplay-partial">'
        f'<div class="head">{head}</div>{value_html(partial.data)}</div>'
    )
