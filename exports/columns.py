"""The columns of an export: a name (the header, as the API names the field),
what kind of value it holds (so a spreadsheet gets a typed cell), how to read it
from a record, and whether the anonymised file drops it (free text) or replaces
it with a pseudonym (a person supported, a member of staff)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.dates import UK
from core.spreadsheet_cells import safe_cell


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
class BatchFacts:
    """What a batch's rows need beyond the records themselves (looked up once
    per batch, never per row): the moment the export started, and whatever a
    dataset adds (an action's source incident's reference)."""

    now: datetime
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    read: Callable[[Any, BatchFacts], Any]
    # Typed by a person in their own words: left out of the anonymised file.
    free_text: bool = False
    who: Who | None = None
    # Characters, for the spreadsheet's column width.
    width: int = 14


def text(name: str, read: Callable[[Any], Any], *, width: int = 14) -> Column:
    return Column(name, Kind.TEXT, lambda record, _facts: read(record), width=width)


def free_text(name: str, read: Callable[[Any], Any]) -> Column:
    return Column(name, Kind.TEXT, lambda record, _facts: read(record), free_text=True, width=40)


def moment(name: str, read: Callable[[Any], Any]) -> Column:
    return Column(name, Kind.MOMENT, lambda record, _facts: read(record), width=17)


def day(name: str, read: Callable[[Any], Any]) -> Column:
    return Column(name, Kind.DAY, lambda record, _facts: read(record), width=11)


def number(name: str, read: Callable[[Any], Any]) -> Column:
    return Column(name, Kind.NUMBER, lambda record, _facts: read(record), width=10)


def flag(name: str, read: Callable[[Any], Any]) -> Column:
    return Column(name, Kind.BOOL, lambda record, _facts: read(record), width=10)


def person(name: str, read: Callable[[Any], Any]) -> Column:
    """A person supported: `read` gives the PersonSupported (or None)."""
    return Column(name, Kind.TEXT, lambda record, _facts: read(record), who=Who.PERSON, width=12)


def staff(name: str, read: Callable[[Any], Any]) -> Column:
    """A member of staff: `read` gives the User (or None)."""
    return Column(name, Kind.TEXT, lambda record, _facts: read(record), who=Who.STAFF, width=20)


# --- how a value is written into a CSV file ------------------------------------------


def uk_moment(value: datetime) -> datetime:
    """A moment as a UK wall clock showed it, without a zone (spreadsheets have none)."""
    return value.astimezone(UK).replace(tzinfo=None)


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
    return value.astimezone(UK).isoformat(" ", "seconds")[:19]


def csv_cell(kind: Kind) -> Callable[[Any], str]:
    """The function writing a column's value as its CSV cell, formula neutralised
    (chosen once per file, not per cell: an export writes half a million cells).
    Moments, dates and true/false start with a digit or a letter, never with what
    starts a formula, so only text and numbers go through `safe_cell`."""
    if kind is Kind.MOMENT:
        return lambda value: "" if value is None else _moment_text(value)
    if kind in (Kind.DAY, Kind.BOOL):
        return lambda value: csv_text(kind, value)
    return safe_cell
