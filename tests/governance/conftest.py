"""Helpers for the governance tests: moments inside the dashboard's months, a
manager of one branch, and a meeting recorded through the service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from core import dates
from core.models import Branch, Role, User
from core.passwords import hash_password
from extensions import db
from governance import meetings
from tests.conftest import PASSWORD


def month_start(months_back: int) -> date:
    """The first day of the UK month `months_back` before this one."""
    return dates.add_months(dates.uk_today().replace(day=1), -months_back)


def in_month(months_back: int, day: int = 10, hour: int = 12) -> datetime:
    """A moment (UTC) on a day of a month before this one, at UK noon."""
    first = month_start(months_back)
    return dates.uk_midnight(first.replace(day=day)) + timedelta(hours=hour)


def twelve_months() -> dates.Period:
    return dates.last_months(dates.uk_today(), 12)


@pytest.fixture
def south_manager(app: Flask, seeded: Any) -> str:
    """A registered manager of SOUTH only; returns the key for sign_in."""
    with app.app_context():
        south = db.session.scalar(db.select(Branch).where(Branch.code == "SOUTH"))
        user = User(
            email="southmanager@example.com",
            name="Sam South",
            role=Role.MANAGER.value,
            password_hash=hash_password(PASSWORD),
        )
        user.branches = [south]
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    return "southmanager"


def user(key: str) -> User:
    """A demo account by its key, in the caller's app context."""
    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


def meeting_form(**changes: Any) -> dict[str, Any]:
    period = twelve_months()
    form = {
        "branch": "",
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "held_on": dates.uk_today().isoformat(),
        "attendees": "Registered manager, two supervisors",
        "minutes": "We looked at the falls trend and the handover theme.",
        "decisions": "Trial a written handover sheet in NORTH.",
    }
    form.update(changes)
    return form


def record(user: User, **changes: Any) -> Any:
    form = meeting_form(**changes)
    data = {
        **form,
        "branch": form["branch"] or None,
        "period_start": date.fromisoformat(form["period_start"]),
        "period_end": date.fromisoformat(form["period_end"]),
        "held_on": date.fromisoformat(form["held_on"]),
    }
    return meetings.record_meeting(user, data)


__all__ = ["UTC", "in_month", "meeting_form", "month_start", "record", "twelve_months"]
