"""notify(): one message per recipient and channel, once, sent after the commit."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from core.models import User
from extensions import db
from notifications.dispatch import notify
from notifications.kinds import Kind
from notifications.models import Message, Status
from tests.notifications.conftest import MailBox


def _escalate(manager: User) -> list[Message]:
    return notify(
        Kind.ESCALATION,
        event_key="escalation:1:1",
        recipients=[manager],
        subject="Serious incident reported: NORTH",
        text="A serious incident was reported in North branch (reference INC-1).",
        link_path="/incidents/1",
    )


def test_the_same_event_twice_makes_one_message(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    first = _escalate(staff["manager"])
    second = _escalate(staff["manager"])
    db.session.commit()

    assert [m.channel for m in first] == ["email"]
    assert second == []
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_the_message_is_sent_once_the_transaction_commits(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    (message,) = _escalate(staff["manager"])
    assert mail.received == []

    db.session.commit()

    assert [m["To"] for m in mail.received] == ["manager@example.com"]
    db.session.refresh(message)
    assert message.status == Status.SENT


def test_a_rolled_back_request_sends_nothing(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    _escalate(staff["manager"])
    db.session.rollback()
    db.session.commit()

    assert mail.received == []
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_subject_is_one_line(app_ctx: Flask, staff: dict[str, User], mail: MailBox) -> None:
    (message,) = notify(
        Kind.ESCALATION,
        event_key="escalation:2:1",
        recipients=[staff["manager"]],
        subject="Serious incident\r\nBcc: someone@example.org",
        text="Reference INC-2.",
        link_path="/incidents/2",
    )
    db.session.commit()

    assert message.subject == "Serious incident Bcc: someone@example.org"
    (email,) = mail.received
    assert email["Bcc"] is None
