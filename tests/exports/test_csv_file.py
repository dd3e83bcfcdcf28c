"""A CSV file's lines, made a column at a time (exports/csv_file.py), are those
Python's csv.writer writes for the same rows: quoting, doubled quotes, line breaks
within a cell, empty cells, and a row of one empty cell."""

from __future__ import annotations

import csv
import io
import random

import pytest

from exports.csv_file import lines

PIECES = ["a", "Fell", " ", ",", '"', "\r", "\n", "\r\n", "\x00", "\t", "é", "'", ";", "=", ""]


def _written(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def _columns(rows: list[list[str]], width: int) -> list[list[str]]:
    return [[row[n] for row in rows] for n in range(width)]


def _random_rows(seed: int, width: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [
        ["".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 6))) for _ in range(width)]
        for _ in range(300)
    ]


@pytest.mark.parametrize("width", [1, 2, 5, 30], ids=["1-column", "2-columns", "5", "30"])
def test_the_lines_are_what_csv_writer_writes(width):
    rows = _random_rows(width, width)
    assert lines(_columns(rows, width)) == _written(rows)


def test_a_column_with_nothing_to_quote_is_written_as_it_is():
    rows = [["INC-2026-0001", "fall"], ["INC-2026-0002", "near_miss"]]
    assert lines(_columns(rows, 2)) == "INC-2026-0001,fall\r\nINC-2026-0002,near_miss\r\n"


def test_a_row_of_one_empty_cell_is_two_quotes():
    assert lines([["", "x"]]) == _written([[""], ["x"]]) == '""\r\nx\r\n'


def test_empty_cells_of_a_wider_row_are_empty():
    assert lines([["", ""], ["", "b"]]) == _written([["", ""], ["", "b"]]) == ",\r\n,b\r\n"


@pytest.mark.parametrize("width", [1, 3], ids=["1-column", "3-columns"])
def test_no_rows_no_lines(width):
    assert lines([[] for _ in range(width)]) == _written([]) == ""
