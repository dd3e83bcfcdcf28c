"""Quiet hours: messages that are not urgent wait for the day, 07:00-21:00 UK
time (Europe/London, so 07:00 is 07:00 on the clock in summer and in winter)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from core.dates import UK
from notifications.kinds import Kind

DAY_STARTS = time(7)
DAY_ENDS = time(21)


def is_quiet(when: datetime) -> bool:
    local = when.astimezone(UK).time()
    return not DAY_STARTS <= local < DAY_ENDS


def next_day_start(when: datetime) -> datetime:
    """The next 07:00 UK time at or after `when`, in UTC."""
    local = when.astimezone(UK)
    day = local.date() if local.time() < DAY_STARTS else local.date() + timedelta(days=1)
    # 07:00 exists on every day: the clocks change at 01:00 and 02:00.
    return datetime.combine(day, DAY_STARTS, tzinfo=UK).astimezone(UTC)


def not_before(kind: Kind, when: datetime) -> datetime:
    """When a message of `kind` due at `when` may go: `when`, or for a message
    that is not urgent and falls in quiet hours, the next 07:00 UK time."""
    if kind.urgent or not is_quiet(when):
        return when
    return next_day_start(when)
