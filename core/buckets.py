"""UK calendar months as SQL buckets, so counts per month are made by the database
(GROUP BY) the same way on SQLite and PostgreSQL: a CASE over the months' first
moments in UTC, worked out here, needs no time-zone support in the database and
keeps a range condition on the column an index can serve."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, literal

from core.dates import add_months, uk_midnight


def month_starts(keys: list[str]) -> list[tuple[str, Any]]:
    """Each month ("YYYY-MM") with the first moment after it (UTC)."""
    return [(key, uk_midnight(add_months(date.fromisoformat(f"{key}-01"), 1))) for key in keys]


def month_of(column: Any, keys: list[str]) -> ColumnElement[str]:
    """The month key of `column` among consecutive months `keys` (the caller keeps
    the column within them); the last month for anything later."""
    ends = month_starts(keys)
    if len(ends) == 1:
        return literal(keys[0])
    return case(*((column < end, key) for key, end in ends[:-1]), else_=literal(keys[-1]))
