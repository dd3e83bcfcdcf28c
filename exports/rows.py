"""A period's records as typed values, a batch at a time and a column at a time:
the columns an export has (the anonymised one drops free text), each read from the
batch's records, and people named by pseudonyms when anonymised."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from core.models import User
from exports.columns import Batch, Column, Who
from exports.datasets import Dataset
from exports.pseudonyms import Pseudonyms

# A batch's values: one sequence per column (in the columns' order), each in the
# records' order.
Values = list[Sequence[Any]]


def columns_of(dataset: Dataset, *, anonymised: bool) -> tuple[Column, ...]:
    if not anonymised:
        return dataset.columns
    return tuple(column for column in dataset.columns if not column.free_text)


def value_batches(
    dataset: Dataset,
    user: User,
    stmt: Select[Any],
    *,
    anonymised: bool,
    now: datetime,
) -> Iterator[Values]:
    """The values of `stmt`'s records, oldest first, a batch at a time."""
    columns = columns_of(dataset, anonymised=anonymised)
    names = Pseudonyms() if anonymised else None
    referenced = dataset.referenced(user)
    for records in dataset.batches(stmt):
        batch = Batch(records, now, {**referenced, **dataset.batch_facts(user, records)})
        values = [column.read(batch) for column in columns]
        _name_people(columns, values, names)
        # The records go before the next batch is read (the values are smaller).
        del records, batch
        yield values
        del values


def _name_people(columns: tuple[Column, ...], values: Values, names: Pseudonyms | None) -> None:
    """Someone as the file names them: their reference or name, or a pseudonym,
    numbered in the order the file names them (row by row, left to right)."""
    who = [n for n, column in enumerate(columns) if column.who is not None]
    if names is None:
        for n in who:
            # Each one's reference or name found once, not once a row.
            as_named = {
                someone: someone.ref if columns[n].who is Who.PERSON else someone.name
                for someone in set(values[n])
                if someone
            }
            values[n] = list(map(as_named.get, values[n]))
        return
    pseudonyms = [names.person if columns[n].who is Who.PERSON else names.staff for n in who]
    named: list[list[str | None]] = [[] for _ in who]
    for row in zip(*(values[n] for n in who), strict=True):
        for k, someone in enumerate(row):
            named[k].append(pseudonyms[k](someone))
    for n, column_values in zip(who, named, strict=True):
        values[n] = column_values
