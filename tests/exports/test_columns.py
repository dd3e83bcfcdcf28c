"""Cells of a CSV export written a column at a time (exports/columns.py) are the
cells written one at a time: UK time for moments, whatever the zone a moment comes
in, across the clocks' changes; true/false; formula-safe text."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.dates import UK
from core.spreadsheet_cells import safe_cell
from exports.columns import Kind, csv_cells


def _uk_text(moment: datetime | None) -> str:
    """A moment's cell as written one at a time: its UK wall clock to the second (a
    moment without a zone is UTC, as the database keeps it)."""
    if moment is None:
        return ""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(UK).strftime("%Y-%m-%d %H:%M:%S")


def _around(instant: datetime) -> list[datetime]:
    """Every 7 minutes and 13 seconds from two hours before `instant` to two after."""
    start = instant - timedelta(hours=2)
    return [start + n * timedelta(minutes=7, seconds=13) for n in range(34)]


# The clocks' changes (01:00 UTC) of 2026, and of 1971 and 1968 (British Standard
# Time: BST all year from 1968-02-18 to 1971-10-31).
CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(1968, 2, 18, 2, tzinfo=UTC),
    datetime(1971, 10, 31, 2, tzinfo=UTC),
]


def _moments() -> list[datetime | None]:
    rng = random.Random(17)
    moments: list[datetime | None] = [m for change in CHANGES for m in _around(change)]
    start = datetime(1900, 1, 1, tzinfo=UTC)
    for _ in range(3000):
        seconds = rng.randrange(0, 200 * 365 * 86400)
        moments.append(start + timedelta(seconds=seconds, microseconds=rng.randrange(10**6)))
    moments += [None, datetime(1847, 12, 1, 0, 0, 30, tzinfo=UTC)]
    moments += [datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)]
    return moments


ZONES = {
    "utc": lambda m: m,
    "naive-utc": lambda m: m.replace(tzinfo=None),
    "etc-utc": lambda m: m.astimezone(ZoneInfo("Etc/UTC")),
    "uk": lambda m: m.astimezone(UK),
    "new-york": lambda m: m.astimezone(ZoneInfo("America/New_York")),
    "plus-0530": lambda m: m.astimezone(ZoneInfo("Asia/Kolkata")),
}


@pytest.mark.parametrize("zone", list(ZONES), ids=list(ZONES))
def test_moments_a_column_at_a_time_are_the_uk_time_of_each(zone):
    moments = [None if m is None else ZONES[zone](m) for m in _moments() if _in_range(m)]
    [cells] = csv_cells([Kind.MOMENT])
    assert cells(moments) == [_uk_text(m) for m in moments]


def _in_range(moment: datetime | None) -> bool:
    # Zones other than UTC cannot show Python's first and last hours.
    return moment is None or datetime(2, 1, 1, tzinfo=UTC) < moment < datetime(
        9999, 12, 31, tzinfo=UTC
    )


def test_the_last_hour_python_has_is_written_too():
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert csv_cells([Kind.MOMENT])[0]([last]) == ["9999-12-31 23:59:59"]


def test_a_files_moment_columns_write_with_what_each_found_before():
    occurred, seen = csv_cells([Kind.MOMENT, Kind.MOMENT])
    first = [datetime(2026, 6, 15, 9, 30, tzinfo=UTC)]
    later = [datetime(2026, 6, 15, 9, 45, 10, tzinfo=UTC), datetime(2026, 12, 1, 0, 5, tzinfo=UTC)]
    assert occurred(first) + seen(later) + occurred(later) == [
        "2026-06-15 10:30:00",
        "2026-06-15 10:45:10",
        "2026-12-01 00:05:00",
        "2026-06-15 10:45:10",
        "2026-12-01 00:05:00",
    ]


def test_true_false_and_empty():
    assert csv_cells([Kind.BOOL])[0]([True, False, None, 1, 0]) == [
        "true",
        "false",
        "",
        "true",
        "false",
    ]


def test_a_true_false_column_of_other_values_is_written_a_cell_at_a_time():
    assert csv_cells([Kind.BOOL])[0]([True, 2, "", None]) == ["true", "true", "false", ""]


TEXTS = ["=1+1", "+44 7700", "-2", "@SUM(A1)", "\tcmd", "\rcmd", "", "Fell", " =1", "a=b"]


def test_text_a_column_at_a_time_is_each_cell_formula_safe():
    values = [*TEXTS, None, 3, -4, 2.5]
    assert csv_cells([Kind.TEXT])[0](values) == [safe_cell(v) for v in values]
