"""Two runs' entities as one HTML table: a row per pair, added / missing / changed highlighted.

Every value from a run is HTML-escaped, so it is shown as text. Rows carry the class of their
change (``cmp-same``, ``cmp-changed``, ``cmp-added``, ``cmp-missing``) and the cells of changed
fields ``cmp-field-changed``, holding A's value over B's; the other cells hold the one value.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from iterplay.compare import Change, EntityPair, RunComparison

_MISSING = object()  # a field the entity does not have

COMPARISON_STYLE = """
<style>
.cmp-table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
.cmp-table th, .cmp-table td { border: 1px solid rgba(128, 128, 128, 0.3);
  padding: 0.25rem 0.5rem; text-align: left; vertical-align: top;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.cmp-added td { background: rgba(60, 180, 90, 0.14); }
.cmp-missing td { background: rgba(230, 80, 80, 0.12); }
.cmp-table td.cmp-field-changed { background: rgba(240, 170, 40, 0.28); }
.cmp-field-changed .cmp-b { display: block; opacity: 0.7; text-decoration: line-through; }
.cmp-absent { font-style: italic; opacity: 0.6; }
</style>
"""


def comparison_html(comparison: RunComparison) -> str:
    fields = comparison.field_names
    head = "".join(f"<th>{escape(name)}</th>" for name in fields)
    rows = "".join(_row(pair, fields) for pair in comparison.pairs)
    return (
        f'{COMPARISON_STYLE}<table class="cmp-table"><thead><tr><th>change</th><th>A</th>'
        f"<th>B</th>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _row(pair: EntityPair, fields: tuple[str, ...]) -> str:
    cells = [
        f"<td>{escape(pair.change.label)}</td>",
        f"<td>{_position(pair.a_index)}</td>",
        f"<td>{_position(pair.b_index)}</td>",
    ]
    shown = pair.a if pair.a is not None else pair.b
    for name in fields:
        if pair.change is Change.CHANGED and name in pair.changed_fields:
            assert pair.a is not None and pair.b is not None
            cells.append(
                f'<td class="cmp-field-changed" data-field="{escape(name)}">'
                f'<span class="cmp-a">{_value(pair.a.get(name, _MISSING))}</span>'
                f'<span class="cmp-b">{_value(pair.b.get(name, _MISSING))}</span></td>'
            )
        else:
            cells.append(f"<td>{_value((shown or {}).get(name, _MISSING))}</td>")
    return f'<tr class="cmp-row cmp-{pair.change.value}">{"".join(cells)}</tr>'


def _position(index: int | None) -> str:
    return "" if index is None else f"#{index}"


def _value(value: Any) -> str:
    if value is _MISSING:
        return '<span class="cmp-absent">(no field)</span>'
    if isinstance(value, str):
        return escape(value)
    return escape(json.dumps(value, ensure_ascii=False))
