"""What the spot-check pages share: who conducts and who reads spot checks, and
reading small numbers and dates from a query or a form."""

from __future__ import annotations

import re
from datetime import date

from core import dates
from core.models import Role

CONDUCTING = (Role.SUPERVISOR, Role.MANAGER)
READING = (Role.SUPERVISOR, Role.MANAGER, Role.OFFICE)


def small_int(value: str | None) -> int:
    """A small whole number from a query or form value, or 0 (ignored)."""
    return int(value) if value and re.fullmatch(r"[0-9]{1,9}", value) else 0


def optional_date(value: str | None) -> date | None:
    return dates.parse_day(value)  # out of range or unreadable: ignored
