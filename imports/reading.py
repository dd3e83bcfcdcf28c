"""Reading a CSV file as Excel and Google Sheets save it: UTF-8 with or without a
byte-order mark, LF or CRLF line ends, a header row of column names (any case,
spaces around them ignored). A file that cannot be read is one clear message
(ImportFileError); a row is its line number and its values by column."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

# More rows than this is not a provider's list of people or staff.
MAX_ROWS = 20_000


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why, plainly."""


@dataclass(frozen=True)
class Line:
    """One data row: where it starts in the file (the header is line 1) and its
    values by column name, stripped of spaces around them."""

    number: int
    values: dict[str, str]
    too_many: bool = False  # more values than columns (an unquoted comma, say)


def _text(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "This is a spreadsheet workbook, not a CSV file. In Excel choose "
            "File › Save a copy › CSV UTF-8 (comma delimited); in Google Sheets "
            "File › Download › Comma-separated values."
        )
    if b"\x00" in data:
        raise ImportFileError(
            "This is not a CSV file (it holds binary data). Save the spreadsheet as "
            "CSV UTF-8 (comma delimited) and choose that file."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ImportFileError(
            f"The file is not saved as UTF-8 (line {line} has a character it cannot "
            "read). In Excel choose Save as › CSV UTF-8 (comma delimited); Google "
            "Sheets always saves UTF-8."
        ) from None
    if not text.strip():
        raise ImportFileError("The file is empty.")
    return text


def _header(cells: Sequence[str], expected: Sequence[str]) -> list[str]:
    names = [" ".join(c.split()).lower().replace(" ", "_") for c in cells]
    while names and names[-1] == "":  # Excel keeps empty columns after the last one
        names.pop()
    if sorted(names) != sorted(expected):
        raise ImportFileError(
            f"The first line must name the columns {','.join(expected)} "
            f"(this file's first line is {','.join(c.strip() for c in cells) or 'empty'})."
        )
    return names


def read_rows(data: bytes, expected: Sequence[str]) -> list[Line]:
    """The file's data rows, each with its line number. Rows with no value at all
    (Excel's trailing ",,," lines) are skipped. Raises ImportFileError."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFileError("The file is empty.")
        columns = _header(header, expected)
        lines: list[Line] = []
        start = reader.line_num + 1
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            while len(cells) > len(columns) and cells[-1].strip() == "":
                cells.pop()
            values = {
                name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(columns)
            }
            lines.append(Line(number, values, too_many=len(cells) > len(columns)))
            if len(lines) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows; split it.")
    except csv.Error as err:
        raise ImportFileError(
            f"Line {reader.line_num} cannot be read as CSV ({err}). Save the spreadsheet "
            "as CSV UTF-8 again and choose that file."
        ) from None
    if not lines:
        raise ImportFileError("The file has its column names but no rows below them.")
    return lines
