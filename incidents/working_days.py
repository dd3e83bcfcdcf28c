"""Working days in England and Wales: bank holidays (computed, with the moved
and extra ones), adding working days, the end of a UK day. Duty deadlines such as
RIDDOR's are counted in them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cache

from core.dates import UK


def _easter_sunday(year: int) -> date:
    """The Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


# Dates moved or added by proclamation; later ones come from EXTRA_BANK_HOLIDAYS.
_MOVED = {
    2020: {"remove": [date(2020, 5, 4)], "add": [date(2020, 5, 8)]},
    2022: {
        "remove": [date(2022, 5, 30)],
        "add": [date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19)],
    },
    2023: {"remove": [], "add": [date(2023, 5, 8)]},
}


@cache
def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays, with the usual weekend substitutes."""
    new_year = date(year, 1, 1)
    while new_year.weekday() >= 5:
        new_year += timedelta(days=1)
    easter = _easter_sunday(year)
    days = {
        new_year,
        easter - timedelta(days=2),  # Good Friday
        easter + timedelta(days=1),  # Easter Monday
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    # Christmas Day and Boxing Day: a day falling at a weekend moves to the next
    # weekday not already a holiday.
    for day in (date(year, 12, 25), date(year, 12, 26)):
        while day.weekday() >= 5 or day in days:
            day += timedelta(days=1)
        days.add(day)
    moved = _MOVED.get(year)
    if moved:
        days -= set(moved["remove"])
        days |= set(moved["add"])
    return frozenset(days)


def is_working_day(day: date, extra_holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year) and day not in extra_holidays


def add_working_days(start: date, days: int, extra_holidays: Iterable[date] = ()) -> date:
    """The date `days` working days after `start` (start itself is not counted)."""
    extra = frozenset(extra_holidays)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current, extra):
            left -= 1
    return current


def same_or_next_working_day(day: date, extra_holidays: Iterable[date] = ()) -> date:
    extra = frozenset(extra_holidays)
    while not is_working_day(day, extra):
        day += timedelta(days=1)
    return day


def end_of_day(day: date) -> datetime:
    """The last second of a UK calendar day, as an aware datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UK)
