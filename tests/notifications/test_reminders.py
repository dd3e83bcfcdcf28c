"""Reminders at the right UK times, across the clock changes, each sent once:
duties due within 4 hours and overdue, the 08:00 action digest, the Monday
summary, a new bulletin. The clock is fixed; e-mail goes to a real SMTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from actions.models import Action
from core.models import Branch, User
from extensions import db
from incidents import services
from incidents.models import IncidentDecision
from incidents.schemas import IncidentInSchema
from learning.models import Bulletin, BulletinRole
from notifications import queue, reminders
from notifications.models import Message
from tests.factories import incident_payload
from tests.notifications.conftest import MailBox

# 2026: BST starts Sunday 29 March (01:00 UTC), ends Sunday 25 October (01:00 UTC).
GMT_MONDAY_0800 = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
BST_MONDAY_0800 = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
BACK_TO_GMT_MONDAY_0800 = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "day"),
    [
        (GMT_MONDAY_0800, date(2026, 3, 23)),
        (GMT_MONDAY_0800 - timedelta(minutes=1), None),
        (BST_MONDAY_0800, date(2026, 3, 30)),  # 07:00 UTC is 08:00 in summer
        (BST_MONDAY_0800 - timedelta(minutes=1), None),
        (BACK_TO_GMT_MONDAY_0800, date(2026, 10, 26)),
        (BACK_TO_GMT_MONDAY_0800 - timedelta(hours=1), None),  # 07:00 in winter
        (datetime(2026, 7, 1, 19, 59, tzinfo=UTC), date(2026, 7, 1)),  # 20:59 BST
        (datetime(2026, 7, 1, 20, 0, tzinfo=UTC), None),  # 21:00 BST: too late
        # The days of the changes themselves.
        (datetime(2026, 3, 29, 7, 0, tzinfo=UTC), date(2026, 3, 29)),
        (datetime(2026, 10, 25, 7, 59, tzinfo=UTC), None),
        (datetime(2026, 10, 25, 8, 0, tzinfo=UTC), date(2026, 10, 25)),
    ],
)
def test_the_morning_is_08_00_uk_time_in_summer_and_winter(now: datetime, day: date | None) -> None:
    assert reminders.uk_morning(now) == day


@pytest.mark.parametrize(
    ("now", "monday"),
    [
        (GMT_MONDAY_0800, date(2026, 3, 23)),
        (BST_MONDAY_0800, date(2026, 3, 30)),
        (BST_MONDAY_0800 - timedelta(minutes=1), None),
        (BACK_TO_GMT_MONDAY_0800, date(2026, 10, 26)),
        (BACK_TO_GMT_MONDAY_0800 - timedelta(minutes=30), None),
        (BST_MONDAY_0800 + timedelta(days=1), None),  # Tuesday
    ],
)
def test_the_weekly_summary_is_monday_08_00_uk_time(now: datetime, monday: date | None) -> None:
    assert reminders.monday_morning(now) == monday


def _run(app: Flask, now: datetime) -> int:
    with app.app_context():
        made = reminders.run_reminders(now)
        db.session.remove()
    return made


def _messages(app: Flask, kind: str) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(User.email, Message.subject)
            .join(User, User.id == Message.recipient_id)
            .where(Message.kind == kind)
            .order_by(User.email)
        ).all()
        db.session.remove()
    return [(email, subject) for email, subject in rows]


def _action(app: Flask, owner_id: int, due: date, title: str = "Check P-0001's bed rails") -> None:
    with app.app_context():
        branch = db.session.scalars(select(Branch).where(Branch.code == "NORTH")).one()
        db.session.add(
            Action(
                title=title,
                due=due,
                branch_id=branch.id,
                owner_id=owner_id,
                author_id=owner_id,
                source_type="meeting",
                source_id="1",
            )
        )
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("monday_0800", [BST_MONDAY_0800, BACK_TO_GMT_MONDAY_0800])
def test_one_morning_digest_per_owner_at_08_00(
    app: Flask, seeded: dict[str, Any], mail: MailBox, monday_0800: datetime
) -> None:
    today = monday_0800.date()
    carer = seeded["carer1"].id
    _action(app, carer, today + timedelta(days=1))
    _action(app, carer, today + timedelta(days=1))
    _action(app, carer, today - timedelta(days=3))
    _action(app, seeded["carer2"].id, today + timedelta(days=5))  # not yet

    _run(app, monday_0800 - timedelta(minutes=1))
    assert _messages(app, "action_digest") == []

    _run(app, monday_0800)
    _run(app, monday_0800 + timedelta(minutes=1))
    _run(app, monday_0800 + timedelta(hours=3))

    assert _messages(app, "action_digest") == [
        ("carer1@example.com", "Your actions: 2 due tomorrow, 1 overdue")
    ]
    digests = [m for m in mail.received if m["To"] == "carer1@example.com"]
    assert len(digests) == 1
    assert "bed rails" not in digests[0].as_string()
    assert "P-0001" not in digests[0].as_string()


def test_the_next_day_has_its_own_digest(app: Flask, seeded: dict[str, Any], mail: MailBox) -> None:
    _action(app, seeded["carer1"].id, BST_MONDAY_0800.date() - timedelta(days=1))
    _run(app, BST_MONDAY_0800)
    _run(app, BST_MONDAY_0800 + timedelta(days=1))
    assert len(_messages(app, "action_digest")) == 2


@pytest.mark.parametrize("monday_0800", [GMT_MONDAY_0800, BST_MONDAY_0800])
def test_the_weekly_summary_goes_to_managers_on_monday_at_08_00(
    app: Flask, seeded: dict[str, Any], mail: MailBox, monday_0800: datetime
) -> None:
    _run(app, monday_0800 - timedelta(days=1))  # Sunday
    _run(app, monday_0800 - timedelta(minutes=1))
    assert _messages(app, "weekly_summary") == []

    _run(app, monday_0800)
    _run(app, monday_0800 + timedelta(minutes=5))

    summaries = _messages(app, "weekly_summary")
    assert [email for email, _ in summaries] == ["manager@example.com"]
    (sent,) = [m for m in mail.received if m["To"] == "manager@example.com"]
    assert "NORTH: 0 new reports" in sent.get_content()


def _incident_due(app: Flask, seeded: dict[str, Any], due_at: datetime) -> str:
    """A report with a duty (the family to be told) due at `due_at`."""
    body = incident_payload()
    with app.app_context():
        author = db.session.get_one(User, seeded["carer1"].id)
        incident = services.create_incident(author, IncidentInSchema().load(body)).incident
        decision = db.session.scalars(
            select(IncidentDecision).where(IncidentDecision.incident_id == incident.id)
        ).first()
        assert decision is not None
        decision.due_at = due_at
        db.session.commit()
        db.session.remove()
    return str(body["id"])


def test_a_duty_is_reminded_4_hours_before_and_when_overdue_once_each(
    app: Flask, seeded: dict[str, Any], mail: MailBox
) -> None:
    due_at = datetime(2026, 3, 29, 3, 0, tzinfo=UTC)  # 04:00 BST, the night the clocks go on
    incident_id = _incident_due(app, seeded, due_at)

    _run(app, due_at - timedelta(hours=4, minutes=1))
    assert _messages(app, "duty_due") == []

    for minutes in (0, 1, 60):
        _run(app, due_at - timedelta(hours=4) + timedelta(minutes=minutes))
    ((email, subject),) = _messages(app, "duty_due")
    assert email == "manager@example.com"
    assert subject.startswith("Due soon:")
    assert _messages(app, "duty_overdue") == []

    _run(app, due_at + timedelta(minutes=1))
    _run(app, due_at + timedelta(minutes=2))
    ((email, subject),) = _messages(app, "duty_overdue")
    assert subject.startswith("Overdue:")
    sent = [m for m in mail.received if str(m["Subject"]).startswith(("Due soon", "Overdue"))]
    assert len(sent) == 2
    assert all(f"/incidents/{incident_id}" in m.get_content() for m in sent)


def test_a_duty_done_is_not_reminded(app: Flask, seeded: dict[str, Any], mail: MailBox) -> None:
    due_at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    incident_id = _incident_due(app, seeded, due_at)
    with app.app_context():
        for decision in db.session.scalars(
            select(IncidentDecision).where(IncidentDecision.incident_id == incident_id)
        ):
            decision.done_at = due_at - timedelta(hours=5)
        db.session.commit()
        db.session.remove()
    _run(app, due_at - timedelta(hours=1))
    _run(app, due_at + timedelta(hours=1))
    assert _messages(app, "duty_due") == _messages(app, "duty_overdue") == []


def _bulletin(app: Flask, author_id: int, roles: list[str], at: datetime) -> None:
    with app.app_context():
        north = db.session.scalars(select(Branch).where(Branch.code == "NORTH")).one()
        db.session.add(
            Bulletin(
                title="Bed rails: what we learned",
                what_happened="A fall from bed.",
                what_learned="Check the rails.",
                what_changes="New check sheet.",
                author_id=author_id,
                branches=[north],
                role_rows=[BulletinRole(role=r) for r in roles],
                published_at=at,
            )
        )
        db.session.commit()
        db.session.remove()


def test_a_new_bulletin_goes_to_the_carers_it_is_for_once(
    app: Flask, seeded: dict[str, Any], mail: MailBox
) -> None:
    at = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
    _bulletin(app, seeded["manager"].id, ["carer"], at)
    _run(app, at + timedelta(minutes=1))
    _run(app, at + timedelta(minutes=2))
    assert [e for e, _ in _messages(app, "bulletin")] == [
        "carer1@example.com",
        "carer2@example.com",
    ]


def test_a_bulletin_for_every_role_goes_to_the_branch_but_not_its_author(
    app: Flask, seeded: dict[str, Any], mail: MailBox
) -> None:
    at = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
    _bulletin(app, seeded["manager"].id, [], at)
    _run(app, at + timedelta(minutes=1))
    assert [e for e, _ in _messages(app, "bulletin")] == [
        "carer1@example.com",
        "carer2@example.com",
        "office@example.com",
        "supervisor@example.com",
    ]


def test_an_old_bulletin_is_not_news(app: Flask, seeded: dict[str, Any], mail: MailBox) -> None:
    at = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
    _bulletin(app, seeded["manager"].id, ["carer"], at)
    _run(app, at + timedelta(days=2))
    assert _messages(app, "bulletin") == []


def test_the_checks_are_on_the_workers_schedule_every_minute(app: Flask) -> None:
    for moment in (GMT_MONDAY_0800, BST_MONDAY_0800 + timedelta(minutes=7)):
        due = {task.name for task in queue.huey(app).read_periodic(moment.replace(tzinfo=None))}
        assert {
            "notifications.escalations-every-minute",
            "notifications.reminders-every-minute",
        } <= due
