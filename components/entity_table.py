"""Entities as table rows, for the table view: one row per entity, nested fields flattened.

A nested object becomes dotted columns (``address.city``); a list is shown as its JSON, so
every cell holds a scalar: the rows of the CSV download (``iterplay.downloads.flat_row``). The
``model`` column names each row's class; it is dropped when all rows share one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from iterplay.downloads import flat_row
from iterplay.events import Entity
from iterplay.records import entity_data

INDEX_COLUMN = "#"
MODEL_COLUMN = "model"


def table_row(entity: Entity) -> dict[str, Any]:
    row: dict[str, Any] = {INDEX_COLUMN: entity.index, MODEL_COLUMN: type(entity.value).__name__}
    row.update(flat_row(entity_data(entity.value)))
    return row


def entity_table(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(list(rows))
    if table[MODEL_COLUMN].nunique() <= 1:
        table = table.drop(columns=MODEL_COLUMN)
    return table
