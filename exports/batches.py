"""Reading a period's records a batch at a time, oldest first, by keyset: each
batch is its own query for the records after the last one read (by time, then
id), so memory holds one batch whatever the period, and no batch repeats or
skips a record the way an offset would."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, and_, or_, text
from sqlalchemy.orm import InstrumentedAttribute

from extensions import db

# Records read at a time; rows (tuples, `rows=True`) are smaller than records.
BATCH = 500
ROW_BATCH = 1000


def in_batches(
    stmt: Select[Any],
    moment: InstrumentedAttribute[Any],
    key: InstrumentedAttribute[Any],
    key_of: Callable[[Any], tuple[Any, Any]],
    size: int = BATCH,
    *,
    rows: bool = False,
) -> Iterator[Sequence[Any]]:
    """The records of `stmt` ordered by (`moment`, `key`), `size` at a time (or,
    with `rows`, its rows as tuples); `key_of(record)` gives a record's (moment,
    key) values."""
    if rows:
        _moments_in_utc()
    ordered = stmt.order_by(moment, key).limit(size)
    after: tuple[Any, Any] | None = None
    while True:
        page = ordered
        if after is not None:
            # `moment >= …` first: the index on the moment starts the batch where the
            # last one ended, rather than at the period's start (every batch would
            # read every row before it: a quadratic export).
            page = page.where(
                moment >= after[0], or_(moment > after[0], and_(moment == after[0], key > after[1]))
            )
        # Rows come through the session's connection: no ORM processing of each row.
        found = db.session.connection().execute(page) if rows else db.session.scalars(page)
        records: Sequence[Any] = found.all()
        last = len(records) < size
        if records:
            after = key_of(records[-1])
            yield records
        # Let the batch go before the next is read: one batch in memory at a time.
        del records
        if last:
            return


def _moments_in_utc() -> None:
    """On PostgreSQL, the rest of this transaction in UTC (`SET LOCAL`: undone when it
    ends). The driver gives each timestamp in the session's time zone, converting it
    one at a time unless that zone is UTC itself (a server left as installed is on
    "Etc/UTC": a zone to convert into): a third of the time rows of a large file took
    to read. Values are the same moments either way."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL TimeZone = 'UTC'"))
