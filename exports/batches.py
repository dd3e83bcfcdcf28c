"""Reading a period's records a batch at a time, oldest first, by keyset: each
batch is its own query for the records after the last one read (by time, then
id), so memory holds one batch whatever the period, and no batch repeats or
skips a record the way an offset would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from extensions import db

# Records read at a time.
BATCH = 500


def in_batches(
    stmt: Select[Any],
    moment: InstrumentedAttribute[Any],
    key: InstrumentedAttribute[Any],
    key_of: Callable[[Any], tuple[Any, Any]],
    size: int = BATCH,
) -> Iterator[list[Any]]:
    """The records of `stmt` ordered by (`moment`, `key`), `size` at a time;
    `key_of(record)` gives a record's (moment, key) values."""
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
        records = list(db.session.scalars(page))
        last = len(records) < size
        if records:
            after = key_of(records[-1])
            yield records
        # Let the batch go before the next is read: one batch in memory at a time.
        del records
        if last:
            return
