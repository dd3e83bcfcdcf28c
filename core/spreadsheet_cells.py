"""Cells of a CSV file that a spreadsheet opens: text that a spreadsheet would run
as a formula (OWASP "CSV injection") is written with a leading apostrophe, which
Excel, LibreOffice and Google Sheets show as text and do not run. Every CSV
export writes its cells through `safe_cell`."""

from __future__ import annotations

from collections.abc import Iterable

# What a spreadsheet reads as the start of a formula (tab and carriage return
# too: some strip them and read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_STARTS = frozenset(FORMULA_STARTS)

# A CSV file starts with this so that Excel reads it as UTF-8.
BOM = "\ufeff"


def safe_cell(value: object) -> str:
    """The cell's text, neutralised when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(values: Iterable[object]) -> list[str]:
    return [safe_cell(value) for value in values]


def safe_cells(values: Iterable[object]) -> list[str]:
    """`safe_cell` of each value: a column of an export at once (half a million
    cells in a large file), text, the usual value, checked without a call per cell."""
    return [
        ("'" + value if value[:1] in _STARTS else value)
        if type(value) is str
        else ""
        if value is None
        else safe_cell(value)
        for value in values
    ]
