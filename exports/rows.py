"""A period's records as rows of typed values, a batch at a time: the columns an
export has (the anonymised one drops free text), each read from its record, and
people named by pseudonyms when anonymised."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from core.models import User
from exports.batches import in_batches
from exports.columns import BatchFacts, Column, Who
from exports.datasets import Dataset
from exports.pseudonyms import Pseudonyms


def columns_of(dataset: Dataset, *, anonymised: bool) -> tuple[Column, ...]:
    if not anonymised:
        return dataset.columns
    return tuple(column for column in dataset.columns if not column.free_text)


def _named(column: Column, value: Any, names: Pseudonyms | None) -> Any:
    """Someone as the file names them: their reference or name, or a pseudonym."""
    if column.who is Who.PERSON:
        return names.person(value) if names else (value.ref if value else None)
    if names:
        return names.staff(value)
    return value.name if value else None


def row_batches(
    dataset: Dataset,
    user: User,
    stmt: Select[Any],
    *,
    anonymised: bool,
    now: datetime,
) -> Iterator[list[list[Any]]]:
    """The rows of `stmt`'s records, oldest first, one list per batch."""
    columns = columns_of(dataset, anonymised=anonymised)
    names = Pseudonyms() if anonymised else None
    batches = in_batches(dataset.rows(stmt), dataset.moment, dataset.key, dataset.key_of)
    readers = [_reader(column, names) for column in columns]
    referenced = dataset.referenced(user)
    for batch in batches:
        facts = BatchFacts(now, {**referenced, **dataset.batch_facts(user, batch)})
        rows = [[read(record, facts) for read in readers] for record in batch]
        # The records go before the next batch is read (the rows are smaller).
        del batch, facts
        yield rows


def _reader(column: Column, names: Pseudonyms | None) -> Callable[[Any, BatchFacts], Any]:
    """How a row reads the column's value from its record (chosen once per file)."""
    if column.who is None:
        return column.read
    return lambda record, facts: _named(column, column.read(record, facts), names)
