"""A run's entities as files to download: JSON, JSON Lines and CSV (docs/run-files.md).

- **JSON**: one object, ``{"entities": [...], "invalid": [...]}``: every valid entity's data in
  arrival order, and every element that failed validation with its index, its raw text, its
  span and pydantic's errors, as the CLI's ``invalid`` lines carry them.
- **JSON Lines**: one valid entity's data per line (what ``jq`` and pandas read); invalid
  elements are left out.
- **CSV**: one row per valid entity. Nested objects become dotted columns (``address.city``),
  lists one cell holding their JSON; the columns are those of every row, in the order they are
  first seen (a union's models each bring theirs; a row without a field leaves its cell empty,
  as it does for ``null``). Invalid elements are left out. A text cell or column name that a
  spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab or carriage return first)
  starts with an apostrophe, so opening the file never runs what a model (or a schema's alias)
  wrote.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from iterplay.events import Entity, Invalid
from iterplay.records import entity_data, event_record

Elements = Iterable[Entity | Invalid]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class DownloadFormat(StrEnum):
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


@dataclass(frozen=True)
class Download:
    """How one format is made and offered: its label, file suffix and MIME type."""

    label: str
    suffix: str
    mime: str
    text: Callable[[Elements], str]


def entities_json(elements: Elements) -> str:
    """The valid entities and the invalid elements with their errors, as one JSON object."""
    entities, invalid = [], []
    for element in elements:
        if isinstance(element, Entity):
            entities.append(entity_data(element.value))
        else:
            record = event_record(element)
            invalid.append({name: record[name] for name in ("index", "raw", "span", "errors")})
    return json.dumps({"entities": entities, "invalid": invalid}, ensure_ascii=False, indent=2)


def entities_jsonl(elements: Elements) -> str:
    """One valid entity's data per line."""
    return "".join(
        json.dumps(entity_data(element.value), ensure_ascii=False) + "\n"
        for element in elements
        if isinstance(element, Entity)
    )


def entities_csv(elements: Elements) -> str:
    """One row per valid entity, nested fields flattened to dotted columns."""
    rows = [flat_row(entity_data(e.value)) for e in elements if isinstance(e, Entity)]
    if not rows:
        return ""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_cell(column) for column in columns)  # a key the model wrote, too
    writer.writerows([_cell(row.get(column)) for column in columns] for row in rows)
    return out.getvalue()


def flat_row(data: Any) -> dict[str, Any]:
    """An entity's data as one flat row: nested objects as dotted columns, a list (or an empty
    object) as its JSON in one column; data that is not an object is the column ``value``."""
    row: dict[str, Any] = {}
    _flatten(data, "", row)
    return row


def _flatten(value: Any, prefix: str, row: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), row)
    elif isinstance(value, dict | list):
        row[prefix or "value"] = json.dumps(value, ensure_ascii=False)
    else:
        row[prefix or "value"] = value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


DOWNLOADS: dict[DownloadFormat, Download] = {
    DownloadFormat.JSON: Download("JSON", "json", "application/json", entities_json),
    DownloadFormat.JSONL: Download("JSONL", "jsonl", "application/jsonl", entities_jsonl),
    DownloadFormat.CSV: Download("CSV", "csv", "text/csv", entities_csv),
}
