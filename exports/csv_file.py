"""An export as a CSV file: UTF-8 with a byte-order mark (so Excel reads it as
UTF-8), a header row, one row per record, each cell a spreadsheet would run as a
formula written as text (core.spreadsheet_cells). Written a batch at a time.

The lines are those Python's csv.writer writes (its default dialect, "excel"),
made a column at a time: a cell holding a comma, a double quote or a line break is
quoted, its double quotes doubled; the cells are joined by commas, the lines end
with CR LF. csv.writer does that a character at a time: for a large file most of
the time it took (tests/exports/test_csv_file.py holds the two to the same bytes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from core.spreadsheet_cells import BOM, safe_row
from exports.columns import Column, csv_cells

MIMETYPE = "text/csv"


def _quoted(cells: list[str]) -> list[str]:
    """A column's cells as csv.writer writes them. Most columns (codes, times,
    names) hold none of what is quoted: found by four searches of the column."""
    text = "".join(cells)
    if "," not in text and '"' not in text and "\r" not in text and "\n" not in text:
        return cells
    return [
        '"' + cell.replace('"', '""') + '"'
        if "," in cell or '"' in cell or "\r" in cell or "\n" in cell
        else cell
        for cell in cells
    ]


def lines(columns: Sequence[list[str]]) -> str:
    """Rows given a column at a time (each cell's text), as csv.writer writes the rows."""
    if len(columns) < 2:
        # A row of one empty cell is written '""' (not an empty line): left to csv.writer.
        buffer = io.StringIO()
        csv.writer(buffer).writerows(zip(*columns, strict=True))
        return buffer.getvalue()
    if not columns[0]:
        return ""
    rows = map(",".join, zip(*map(_quoted, columns), strict=True))
    return "\r\n".join(rows) + "\r\n"


def chunks(columns: tuple[Column, ...], batches: Iterable[list[Sequence[Any]]]) -> Iterator[bytes]:
    """The file: the BOM and header, then a chunk per batch (its values a column
    at a time, written as cells a column at a time)."""
    header = [[cell] for cell in safe_row(column.name for column in columns)]
    yield (BOM + lines(header)).encode("utf-8")
    cells = csv_cells([column.kind for column in columns])
    for batch in batches:
        texts = [cell(values) for cell, values in zip(cells, batch, strict=True)]
        # The batch's values and cells go before the next batch is read.
        del batch
        yield lines(texts).encode("utf-8")
        del texts
