"""The columns of an export: a name (the header, as the API names the field),
what kind of value it holds (so a spreadsheet gets a typed cell), how to read it
from a batch of records, and whether the anonymised file drops it (free text) or
replaces it with a pseudonym (a person supported, a member of staff).

A column reads a whole batch at once (an export writes half a million cells: the
work per cell is kept out of function calls): either a field of rows read as
tuples (`Dataset.fields`), as they come, or a function of each record."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.dates import UK, as_utc
from core.spreadsheet_cells import safe_cells


class Kind(enum.Enum):
    TEXT = "text"
    MOMENT = "moment"  # a point in time, shown in UK time (GMT or BST)
    DAY = "day"  # a calendar date
    NUMBER = "number"
    BOOL = "bool"


class Who(enum.Enum):
    """A column that names someone: replaced by a pseudonym when anonymised."""

    PERSON = "person"  # a person supported (their reference)
    STAFF = "staff"  # a member of staff (their name)


@dataclass
class Batch:
    """A batch of records (or rows) and what its rows need beyond them, looked up
    once per batch, never per row: the moment the export started, and whatever a
    dataset adds (an action's source incident's reference, the people a row names)."""

    records: Sequence[Any]
    now: datetime
    extra: dict[str, Any] = field(default_factory=dict)
    _fields: dict[str, tuple[Any, ...]] | None = field(default=None, repr=False)

    def field(self, name: str) -> tuple[Any, ...]:
        """The values of one field of the batch's rows (read as tuples), in order."""
        if self._fields is None:
            names = self.records[0]._fields if self.records else ()
            self._fields = dict(zip(names, zip(*self.records, strict=True), strict=True))
        return self._fields[name]


# How a column reads a batch: its values in the batch's order.
BatchRead = Callable[[Batch], Sequence[Any]]
# A field of the rows (a dataset read as rows), or a function of one record.
Read = str | Callable[[Any], Any]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    read: BatchRead
    # Typed by a person in their own words: left out of the anonymised file.
    free_text: bool = False
    who: Who | None = None
    # Characters, for the spreadsheet's column width.
    width: int = 14


def each(read: Callable[[Any, Batch], Any]) -> BatchRead:
    """A column's values as `read(record, batch)` of each of the batch's records."""
    return lambda batch: [read(record, batch) for record in batch.records]


def _batch_read(read: Read) -> BatchRead:
    if isinstance(read, str):
        return lambda batch: batch.field(read)
    return lambda batch: [read(record) for record in batch.records]


def text(name: str, read: Read, *, width: int = 14) -> Column:
    return Column(name, Kind.TEXT, _batch_read(read), width=width)


def free_text(name: str, read: Read) -> Column:
    return Column(name, Kind.TEXT, _batch_read(read), free_text=True, width=40)


def moment(name: str, read: Read) -> Column:
    return Column(name, Kind.MOMENT, _batch_read(read), width=17)


def day(name: str, read: Read) -> Column:
    return Column(name, Kind.DAY, _batch_read(read), width=11)


def number(name: str, read: Read) -> Column:
    return Column(name, Kind.NUMBER, _batch_read(read), width=10)


def flag(name: str, read: Read) -> Column:
    return Column(name, Kind.BOOL, _batch_read(read), width=10)


def person(name: str, read: Read) -> Column:
    """A person supported: `read` gives the PersonSupported (or None)."""
    return Column(name, Kind.TEXT, _batch_read(read), who=Who.PERSON, width=12)


def staff(name: str, read: Read) -> Column:
    """A member of staff: `read` gives the User (or None)."""
    return Column(name, Kind.TEXT, _batch_read(read), who=Who.STAFF, width=20)


# --- how a value is written into a CSV file ------------------------------------------


def uk_moment(value: datetime) -> datetime:
    """A moment as a UK wall clock showed it, without a zone (spreadsheets have none).
    A moment's value may be as the database gave it (`as_utc`)."""
    return as_utc(value).astimezone(UK).replace(tzinfo=None)


def csv_text(kind: Kind, value: Any) -> str:
    """The cell's text in a CSV file (before formula neutralising): UK time for
    moments (YYYY-MM-DD HH:MM:SS, which spreadsheets read as a date and time),
    ISO dates, true/false as the API writes them."""
    if value is None:
        return ""
    if kind is Kind.MOMENT:
        return _moment_text(value)
    if kind is Kind.DAY:
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind is Kind.BOOL:
        return "true" if value else "false"
    return str(value)


def _moment_text(value: datetime) -> str:
    # isoformat is several times quicker than strftime; the first 19 characters
    # are "YYYY-MM-DD HH:MM:SS" (the offset after them is left off).
    return as_utc(value).astimezone(UK).isoformat(" ", "seconds")[:19]


# "MM:SS" of each second of an hour.
_MINUTES = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]
# Zones whose clock is UTC's: a moment in one of them (or naive: UTC as SQLite keeps
# it) has its UTC hour, minutes and seconds on its face. PostgreSQL's driver gives
# moments in the connection's zone ("Etc/UTC" on a server left as installed).
# A tuple: `in` finds each by identity first (UTC's hash is not kept: made each time).
_UTC_CLOCKS = (UTC, None, ZoneInfo("Etc/UTC"), ZoneInfo("UTC"))
_HOUR = timedelta(hours=1)
# Hours one file's moments remember before starting again (a year has 8,784; a file
# is read in time order, so the hours it meets again are mostly recent ones).
_HOURS_KEPT = 2_000


class _Moments:
    """Moments' CSV text (`_moment_text`), a column at a time: the UK date and hour
    of each UTC hour found once ("2026-06-15 10:"), then each moment's minutes and
    seconds added (the same in UTC and UK time, whose offset is whole hours). An
    hour in which the UK offset changes or is not whole hours, or a moment in
    another zone, is written by `_moment_text` itself."""

    def __init__(self) -> None:
        # UTC hour (days since year 1 x 24 + hour) -> its UK "YYYY-MM-DD HH:", or "".
        self.hours: dict[int, str] = {}

    def __call__(self, values: Sequence[Any]) -> list[str]:
        known, minutes, clocks = self.hours.get, _MINUTES, _UTC_CLOCKS
        texts: list[str] = []
        add = texts.append
        for value in values:
            if value is None:
                add("")
            elif value.tzinfo not in clocks:
                add(_moment_text(value))
            elif (prefix := known(value.toordinal() * 24 + value.hour)) or (
                prefix is None and (prefix := self._hour(value))
            ):
                add(prefix + minutes[value.minute * 60 + value.second])
            else:
                add(_moment_text(value))
        return texts

    def _hour(self, value: datetime) -> str:
        """The UK "YYYY-MM-DD HH:" of the moment's UTC hour ("" when there is none
        for the whole hour), remembered."""
        if len(self.hours) >= _HOURS_KEPT:
            self.hours.clear()
        start = value.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
        try:
            first = start.astimezone(UK)
            last = (start + _HOUR - timedelta(microseconds=1)).astimezone(UK)
        except OverflowError:  # the last hour Python has
            first = last = start
        offset = first.utcoffset()
        prefix = ""
        if first.tzinfo is UK and offset is not None and offset == last.utcoffset():
            prefix = "" if offset % _HOUR else first.isoformat(" ", "seconds")[:14]
        self.hours[value.toordinal() * 24 + value.hour] = prefix
        return prefix


# Each true/false value's text (`csv_text`), looked up rather than called per cell.
_FLAGS = {value: csv_text(Kind.BOOL, value) for value in (True, False, None)}


def _flags(values: Sequence[Any]) -> list[str]:
    texts = list(map(_FLAGS.get, values))
    if None in texts:  # a value other than True, False or None
        return [csv_text(Kind.BOOL, value) for value in values]
    return texts  # type: ignore[return-value]


def csv_cells(kinds: Sequence[Kind]) -> list[Callable[[Sequence[Any]], list[str]]]:
    """For one file, the function writing each column's values (of these kinds) as
    its CSV cells, formula neutralised, a batch at a time (chosen once per file: an
    export writes half a million cells). Moments, dates and true/false start with a
    digit or a letter, never with what starts a formula, so only text and numbers are
    checked (`safe_cells`). The file's moment columns share what they found of each
    hour (one memo, not one a column: a year has 8,784 hours)."""
    moments = _Moments()

    def cells(kind: Kind) -> Callable[[Sequence[Any]], list[str]]:
        if kind is Kind.MOMENT:
            return moments
        if kind is Kind.BOOL:
            return _flags
        if kind is Kind.DAY:
            return lambda values: [csv_text(kind, value) for value in values]
        return safe_cells

    return [cells(kind) for kind in kinds]
