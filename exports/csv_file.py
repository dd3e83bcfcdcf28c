"""An export as a CSV file: UTF-8 with a byte-order mark (so Excel reads it as
UTF-8), a header row, one row per record, each cell a spreadsheet would run as a
formula written as text (core.spreadsheet_cells). Written a batch at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from core.spreadsheet_cells import BOM, safe_row
from exports.columns import Column, csv_cell

MIMETYPE = "text/csv"


def _lines(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def chunks(columns: tuple[Column, ...], batches: Iterable[list[list[Any]]]) -> Iterator[bytes]:
    """The file: the BOM and header, then a chunk per batch of rows."""
    yield (BOM + _lines([safe_row(column.name for column in columns)])).encode("utf-8")
    cells = [csv_cell(column.kind) for column in columns]
    for batch in batches:
        lines = _lines(
            [cell(value) for cell, value in zip(cells, row, strict=True)] for row in batch
        )
        yield lines.encode("utf-8")
