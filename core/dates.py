"""Time in the care service's terms: UK calendar days and months.

Care in England runs on UK time: days, months, due dates and "this month" are UK
calendar ones, whatever the server's clock or a phone's offset. Everything here is
pure except `utcnow` and `uk_today`, which read the clock.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

UK = zoneinfo.ZoneInfo("Europe/London")

# The dates a client may send: nothing Candour records is older, and nothing is
# planned later. A year outside is a slip or an attack, and near the ends of
# Python's range (years 1 and 9999) date arithmetic overflows.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
RANGE_MESSAGE = "Enter a date between 1900 and 2100."


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A moment as the database gave it, in UTC: SQLite keeps no zone (a naive
    value is UTC, as stored); PostgreSQL gives the connection's zone."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def uk_today() -> date:
    return utcnow().astimezone(UK).date()


def within_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def parse_day(text: str | None) -> date | None:
    """An ISO date ("2026-11-20") a client typed, within range; else None."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if within_range(day) else None


def uk_midnight(day: date) -> datetime:
    """The start of a UK calendar day, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UK).astimezone(UTC)


def month_key(moment: datetime) -> str:
    """The UK calendar month a moment falls in, as "YYYY-MM"."""
    return moment.astimezone(UK).strftime("%Y-%m")


def month_label(key: str) -> str:
    return date.fromisoformat(f"{key}-01").strftime("%b %Y")


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both whole UK days included."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return uk_midnight(self.start)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period."""
        return uk_midnight(self.end + timedelta(days=1))

    @property
    def months(self) -> list[str]:
        keys: list[str] = []
        month = self.start.replace(day=1)
        while month <= self.end:
            keys.append(month.strftime("%Y-%m"))
            month = add_months(month, 1)
        return keys

    @property
    def whole_months(self) -> list[str]:
        """Months whose every day is inside the period."""
        return [
            key
            for key in self.months
            if date.fromisoformat(f"{key}-01") >= self.start
            and add_months(date.fromisoformat(f"{key}-01"), 1) - timedelta(days=1) <= self.end
        ]

    def complete_months(self, now: datetime) -> list[str]:
        """Months wholly inside the period and already over at `now`."""
        today = now.astimezone(UK).date()
        complete = []
        for key in self.months:
            first = date.fromisoformat(f"{key}-01")
            last = add_months(first, 1) - timedelta(days=1)
            if first >= self.start and last <= self.end and last < today:
                complete.append(key)
        return complete

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


def last_months(today: date, months: int) -> Period:
    """The last `months` whole calendar months, this month included."""
    this_month = today.replace(day=1)
    return Period(add_months(this_month, 1 - months), add_months(this_month, 1) - timedelta(days=1))
