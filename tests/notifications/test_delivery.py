"""Delivery: retries with back-off, giving up after MESSAGE_RETRY_HOURS, gone
addresses, and no message sent twice by two deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from core.models import User
from extensions import db
from notifications.delivery import backoff, deliver, sweep
from notifications.dispatch import notify
from notifications.kinds import Kind
from notifications.models import Message, Status
from tests.notifications.conftest import MailBox

# A Tuesday afternoon in winter: inside the day, so nothing waits for quiet hours.
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


def _message(user: User, kind: Kind = Kind.ESCALATION, now: datetime = NOON) -> Message:
    (message,) = notify(
        kind,
        event_key=f"{kind}:7",
        recipients=[user],
        subject="Serious incident reported: NORTH",
        text="Reference INC-7 in North branch.",
        link_path="/incidents/7",
        now=now,
    )
    db.session.commit()
    db.session.refresh(message)
    return message


def test_a_refusing_mail_server_gets_the_message_once_it_accepts(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    mail.refuse = 1
    message = _message(staff["manager"])  # the first attempt runs at the commit
    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > datetime.now(UTC)

    assert deliver(message.id, now=message.next_attempt_at) == Status.SENT
    assert deliver(message.id, now=message.next_attempt_at) is None

    assert len(mail.received) == 1


def test_nothing_is_sent_before_its_back_off_ends(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    mail.refuse = 1
    message = _message(staff["manager"])
    assert message.next_attempt_at is not None

    assert deliver(message.id, now=message.next_attempt_at - timedelta(seconds=1)) is None
    assert mail.received == []


def test_after_a_day_of_failures_the_message_is_not_delivered(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    mail.refuse = 1000
    message = _message(staff["manager"], now=datetime.now(UTC))
    while message.status == Status.QUEUED:
        assert message.next_attempt_at is not None
        deliver(message.id, now=message.next_attempt_at)
        db.session.refresh(message)

    assert message.status == Status.FAILED
    assert message.last_error is not None
    assert message.last_error.startswith(f"Not delivered after {message.attempts} attempts")
    assert message.next_attempt_at is not None
    assert message.next_attempt_at - message.created_at <= timedelta(hours=24)
    assert mail.received == []


def test_the_back_off_doubles_up_to_an_hour() -> None:
    waits = [backoff(attempt) for attempt in range(1, 9)]
    assert [wait.total_seconds() / 60 for wait in waits] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_an_address_the_server_does_not_know_is_not_retried(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox
) -> None:
    mail.unknown.add("manager@example.com")
    message = _message(staff["manager"])

    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "no longer exists" in (message.last_error or "")


def test_a_message_being_sent_is_not_sent_again_by_another_worker(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail.refuse = 1
    message = _message(staff["manager"])
    assert message.next_attempt_at is not None
    # Another worker claimed it a moment ago and has not finished.
    message.status, message.claimed_at = Status.SENDING, message.next_attempt_at
    db.session.commit()

    assert deliver(message.id, now=message.next_attempt_at + timedelta(seconds=10)) is None
    lease = timedelta(seconds=app_ctx.config["MESSAGE_SENDING_LEASE_SECONDS"])
    assert deliver(message.id, now=message.next_attempt_at + lease) == Status.SENT
    assert len(mail.received) == 1


def test_the_sweep_sends_what_is_due(app_ctx: Flask, staff: dict[str, User], mail: MailBox) -> None:
    mail.refuse = 1
    message = _message(staff["manager"])
    assert message.next_attempt_at is not None

    assert sweep(now=message.next_attempt_at - timedelta(seconds=1)) == 0
    # (Immediate queue: the sweep's jobs run as it enqueues them, at the real
    # clock, after the one-minute back-off has not passed yet.)
    message.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert sweep() == 1
    assert len(mail.received) == 1


def test_a_server_without_starttls_is_a_temporary_failure_when_tls_is_required(
    app_ctx: Flask, staff: dict[str, User], mail: MailBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app_ctx.config, "MAIL_USE_TLS", True)
    message = _message(staff["manager"])

    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert message.last_error is not None
    assert mail.received == []  # never sent in clear text
