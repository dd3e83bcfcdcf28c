"""Cells a spreadsheet would run as a formula are written as text."""

from __future__ import annotations

import pytest

from core.spreadsheet_cells import safe_cell, safe_cells, safe_row


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+44 7700", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rcmd", '=HYPERLINK("http://x")'],
)
def test_a_formula_start_gets_a_leading_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Fell in the kitchen", "INC-2026-0001", "", "a=b", " =1"])
def test_other_text_is_left_as_it_is(value):
    assert safe_cell(value) == value


def test_none_and_numbers_become_text():
    assert safe_row([None, 3, -4]) == ["", "3", "'-4"]


def test_a_column_at_a_time_is_each_cell_made_safe():
    values = ["=1+1", "Fell", "", None, 3, -4, "-x", "\tcmd", " =1", "@", 2.5]
    assert safe_cells(values) == [safe_cell(v) for v in values]
