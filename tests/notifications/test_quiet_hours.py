"""Quiet hours: messages that are not urgent wait for 07:00-21:00 UK time, on the
clock, in summer (BST) and winter (GMT) and across the changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from core.models import User
from extensions import db
from notifications.delivery import deliver
from notifications.dispatch import notify
from notifications.kinds import Kind
from notifications.models import Status
from notifications.quiet_hours import is_quiet, next_day_start, not_before
from tests.notifications.conftest import MailBox


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (utc(2026, 12, 8, 6, 59), True),  # winter: UK time is UTC
        (utc(2026, 12, 8, 7, 0), False),
        (utc(2026, 12, 8, 20, 59), False),
        (utc(2026, 12, 8, 21, 0), True),
        (utc(2026, 7, 8, 5, 59), True),  # summer: 06:59 BST
        (utc(2026, 7, 8, 6, 0), False),  # 07:00 BST
        (utc(2026, 7, 8, 19, 59), False),  # 20:59 BST
        (utc(2026, 7, 8, 20, 0), True),  # 21:00 BST
    ],
)
def test_the_day_is_seven_to_nine_on_the_uk_clock(moment: datetime, quiet: bool) -> None:
    assert is_quiet(moment) is quiet


@pytest.mark.parametrize(
    ("moment", "day_starts"),
    [
        (utc(2026, 12, 8, 22, 0), utc(2026, 12, 9, 7, 0)),
        (utc(2026, 12, 9, 3, 0), utc(2026, 12, 9, 7, 0)),
        # The clocks go back on 25 October 2026: 21:30 BST, then 07:00 GMT.
        (utc(2026, 10, 24, 20, 30), utc(2026, 10, 25, 7, 0)),
        # They go forward on 29 March 2026: 22:00 GMT, then 07:00 BST (06:00 UTC).
        (utc(2026, 3, 28, 22, 0), utc(2026, 3, 29, 6, 0)),
    ],
)
def test_a_night_message_waits_for_seven_the_next_morning(
    moment: datetime, day_starts: datetime
) -> None:
    assert next_day_start(moment) == day_starts
    assert not_before(Kind.BULLETIN, moment) == day_starts


@pytest.mark.parametrize("kind", [Kind.ESCALATION, Kind.DUTY_DUE, Kind.DUTY_OVERDUE])
def test_urgent_kinds_go_at_any_hour(kind: Kind) -> None:
    night = utc(2026, 12, 9, 3, 0)
    assert not_before(kind, night) == night


def test_a_bulletin_made_at_night_is_sent_at_seven(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    night = utc(2026, 12, 8, 22, 30)
    (message,) = notify(
        Kind.BULLETIN,
        event_key="bulletin:3",
        recipients=[staff["carer1"]],
        subject="New learning bulletin: NORTH",
        text="A new learning bulletin is ready for you.",
        link_path="/bulletins/3",
        now=night,
    )
    db.session.commit()
    db.session.refresh(message)
    assert message.next_attempt_at == utc(2026, 12, 9, 7, 0)
    assert message.status == Status.QUEUED

    assert deliver(message.id, now=utc(2026, 12, 9, 6, 59)) is None
    assert mail.received == []
    assert deliver(message.id, now=utc(2026, 12, 9, 7, 0)) == Status.SENT
    assert len(mail.received) == 1


def test_a_retry_of_a_bulletin_does_not_fall_in_the_night(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    mail.refuse = 2  # the first attempt (at the commit, on the real clock) and one more
    evening = utc(2026, 12, 8, 20, 59, 30)
    (message,) = notify(
        Kind.BULLETIN,
        event_key="bulletin:4",
        recipients=[staff["carer1"]],
        subject="New learning bulletin: NORTH",
        text="A new learning bulletin is ready for you.",
        link_path="/bulletins/4",
        now=evening,
    )
    db.session.commit()
    assert deliver(message.id, now=evening) == Status.QUEUED
    db.session.refresh(message)
    assert message.next_attempt_at == utc(2026, 12, 9, 7, 0)
    assert message.next_attempt_at - evening > timedelta(hours=10)
