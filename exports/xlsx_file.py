"""An export as an Excel workbook (XlsxWriter in constant-memory mode: each row is
written to a temporary file as it comes, never held): typed cells (times as
dates in UK time shown dd/mm/yyyy hh:mm, dates dd/mm/yyyy, numbers as numbers,
yes/no as TRUE/FALSE), a bold header row that stays in view, a filter on it,
and text that a spreadsheet would run as a formula written with a leading
apostrophe, as in the CSV file.

A workbook is a zip file whose parts are only complete at the end, so it is
built in a temporary directory (on disk, not in memory) and then sent in
chunks; the directory goes when the file has been sent or the download stops."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, time
from pathlib import Path
from typing import Any

import xlsxwriter

from core.spreadsheet_cells import safe_cell
from exports.columns import Column, Kind, uk_moment

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024
MOMENT_FORMAT = "dd/mm/yyyy hh:mm"
DAY_FORMAT = "dd/mm/yyyy"


class _Sheet:
    """One worksheet being written, row by row."""

    def __init__(self, workbook: Any, title: str, columns: tuple[Column, ...]) -> None:
        self.columns = columns
        self.sheet = workbook.add_worksheet(title)
        self.formats = {
            Kind.MOMENT: workbook.add_format({"num_format": MOMENT_FORMAT}),
            Kind.DAY: workbook.add_format({"num_format": DAY_FORMAT}),
        }
        header = workbook.add_format({"bold": True})
        for n, column in enumerate(columns):
            self.sheet.set_column(n, n, column.width)
            self.sheet.write_string(0, n, column.name, header)
        self.sheet.freeze_panes(1, 0)
        self.rows = 0

    def add(self, values: Sequence[Any]) -> None:
        self.rows += 1
        for n, (column, value) in enumerate(zip(self.columns, values, strict=True)):
            if value is not None:
                self._cell(self.rows, n, column.kind, value)

    def _cell(self, row: int, col: int, kind: Kind, value: Any) -> None:
        if kind is Kind.MOMENT:
            self.sheet.write_datetime(row, col, uk_moment(value), self.formats[kind])
        elif kind is Kind.DAY:
            self.sheet.write_datetime(row, col, datetime.combine(value, time()), self.formats[kind])
        elif kind is Kind.NUMBER:
            self.sheet.write_number(row, col, value)
        elif kind is Kind.BOOL:
            self.sheet.write_boolean(row, col, bool(value))
        else:
            self.sheet.write_string(row, col, safe_cell(value))

    def finish(self) -> None:
        self.sheet.autofilter(0, 0, max(self.rows, 1), len(self.columns) - 1)


def chunks(
    title: str, columns: tuple[Column, ...], batches: Iterable[list[Sequence[Any]]]
) -> Iterator[bytes]:
    """The workbook's bytes, once it is built, a chunk at a time."""
    with tempfile.TemporaryDirectory(prefix="candour-export-") as folder:
        path = Path(folder) / "export.xlsx"
        workbook = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "tmpdir": folder, "strings_to_numbers": False}
        )
        sheet = _Sheet(workbook, title, columns)
        for batch in batches:
            # A batch's values come a column at a time: a row is one of each.
            for values in zip(*batch, strict=True):
                sheet.add(values)
        sheet.finish()
        workbook.close()
        with path.open("rb") as built:
            while chunk := built.read(CHUNK):
                yield chunk
