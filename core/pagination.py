"""Keyset pagination for the sync API's lists: newest first, with an opaque cursor
that names the last record a client has, so a page never repeats or skips a
record when new ones arrive between requests (an offset would)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from core.dates import within_range
from core.errors import Invalid
from core.forms import record_id
from extensions import db

T = TypeVar("T")

BAD_CURSOR = {"cursor": ["This cursor is not valid."]}


def _encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise Invalid(BAD_CURSOR) from None


def _take(
    stmt: Select[Any], limit: int, cursor_of: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """One page, and the cursor of the next one (None on the last page)."""
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    items = rows[:limit]
    return items, (cursor_of(items[-1]) if len(rows) > limit else None)


def newest_received(
    stmt: Select[Any],
    received_at: InstrumentedAttribute[datetime],
    key: InstrumentedAttribute[str],
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """Records a device sent (incidents, spot checks), newest first by when the
    server received them; the device's id breaks ties."""
    stmt = stmt.order_by(received_at.desc(), key.desc())
    if cursor:
        stamp, _, after = _decode(cursor).partition("|")
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            raise Invalid(BAD_CURSOR) from None
        # A moment out of range (year 1 at +23:59) overflows in the database.
        if moment.tzinfo is None or not after or not within_range(moment.date()):
            raise Invalid(BAD_CURSOR)
        stmt = stmt.where(or_(received_at < moment, and_(received_at == moment, key < after)))
    return _take(
        stmt,
        limit,
        lambda row: _encode(f"{getattr(row, received_at.key).isoformat()}|{getattr(row, key.key)}"),
    )


def newest_id(
    stmt: Select[Any], id_column: InstrumentedAttribute[int], limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Records numbered by the server (actions), newest first by number."""
    stmt = stmt.order_by(id_column.desc())
    if cursor:
        raw = _decode(cursor)
        after = record_id(raw[1:]) if raw.startswith("a") else None
        if after is None:
            raise Invalid(BAD_CURSOR)
        stmt = stmt.where(id_column < after)
    return _take(stmt, limit, lambda row: _encode(f"a{getattr(row, id_column.key)}"))


def in_order_of(
    stmt: Select[Any], key: InstrumentedAttribute[str], limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Records listed by a unique text key (a reference), A to Z: a page's
    cursor names the last key shown, so the next page starts after it."""
    stmt = stmt.order_by(key)
    if cursor:
        raw = _decode(cursor)
        if not raw.startswith("k") or len(raw) < 2:
            raise Invalid(BAD_CURSOR)
        stmt = stmt.where(key > raw[1:])
    return _take(stmt, limit, lambda row: _encode(f"k{getattr(row, key.key)}"))
