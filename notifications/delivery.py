"""Delivering messages: the worker's jobs.

A delivery claims its message in one UPDATE (queued and due, or "sending" by a
worker that has not finished within MESSAGE_SENDING_LEASE_SECONDS), commits the
claim, sends, then records the outcome. So two workers never send the same
message at once, and a worker killed mid-way (SIGKILL, power cut) leaves the
message "sending": once the lease has run out the sweep sends it again. A worker
killed after the mail server took the message but before recording it sends it
at most once more; killed before, exactly once.

Failures: TemporaryFailure (or any error) waits and tries again, 1, 2, 4 … 60
minutes apart, until MESSAGE_RETRY_HOURS after the message was made; then, or
at once when the channel says Gone, the message is "failed" and listed on the
managers' page of messages not delivered.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core.dates import utcnow
from extensions import db
from notifications import queue, quiet_hours
from notifications.channels import Gone, TemporaryFailure, channel
from notifications.kinds import Kind
from notifications.models import Message, Status

log = logging.getLogger(__name__)

DELIVER = "notifications.deliver"
SWEEP = "notifications.sweep"
# After an account link is sent (or given up), its password link is not kept.
LINK_REMOVED = "(link not kept after sending)"


def init_app(app: Flask) -> None:
    queue.register_task(app, DELIVER, deliver)
    queue.register_task(app, SWEEP, sweep)
    queue.add_periodic(app, "notifications.sweep-every-minute", sweep)


def enqueue_delivery(app: Flask, message_id: int, due: datetime | None) -> None:
    """Enqueue the delivery of one message, not before `due`."""
    if due is not None and due > utcnow():
        queue.enqueue_task(app, DELIVER, message_id, eta=due)
    else:
        queue.enqueue_task(app, DELIVER, message_id)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["MESSAGE_SENDING_LEASE_SECONDS"])


def _claimable(now: datetime) -> object:
    return or_(
        and_(
            Message.status == Status.QUEUED,
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        ),
        and_(Message.status == Status.SENDING, Message.claimed_at <= now - _lease()),
    )


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, _claimable(now))  # type: ignore[arg-type]
        .values(status=Status.SENDING, claimed_at=now, attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def deliver(message_id: int, now: datetime | None = None) -> str | None:
    """Send message `message_id` if it is due and nobody else is sending it.
    Returns its status afterwards, or None when there was nothing to do."""
    now = now or utcnow()
    with Session(db.engine, expire_on_commit=False) as session:
        if not _claim(session, message_id, now):
            return None
        message = session.get(Message, message_id)
        if message is None:  # pragma: no cover - deleted with its recipient meanwhile
            return None
        _send(message, now)
        if message.kind == Kind.ACCOUNT_LINK and message.status != Status.QUEUED:
            message.link_path = LINK_REMOVED
        session.commit()
        if message.status == Status.QUEUED:
            app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
            enqueue_delivery(app, message.id, message.next_attempt_at)
        return message.status


def _send(message: Message, now: datetime) -> None:
    found = channel(message.channel)
    try:
        if found is None:
            raise Gone(f"the {message.channel} channel is not set up")
        found.send(message)
    except Gone as exc:
        _give_up(message, f"Address no longer exists: {exc}")
    except TemporaryFailure as exc:
        _retry_or_give_up(message, now, str(exc) or exc.__class__.__name__)
    except Exception as exc:
        log.exception("sending message %s by %s failed", message.id, message.channel)
        _retry_or_give_up(message, now, f"{exc.__class__.__name__}: {exc}")
    else:
        message.status = Status.SENT
        message.sent_at = utcnow()
        message.last_error = None


def _give_up(message: Message, error: str) -> None:
    message.status = Status.FAILED
    message.last_error = error[:500]


def _retry_or_give_up(message: Message, now: datetime, error: str) -> None:
    retry_at = now + backoff(message.attempts)
    deadline = message.created_at + timedelta(hours=current_app.config["MESSAGE_RETRY_HOURS"])
    if retry_at > deadline:
        _give_up(message, f"Not delivered after {message.attempts} attempts: {error}")
        return
    message.status = Status.QUEUED
    message.next_attempt_at = quiet_hours.not_before(Kind(message.kind), retry_at)
    message.last_error = error[:500]


def sweep(now: datetime | None = None) -> int:
    """Enqueue every message that is due (after quiet hours or a back-off) or whose
    sender stopped mid-way. Runs every minute and when the worker starts; returns
    how many it enqueued."""
    now = now or utcnow()
    with Session(db.engine) as session:
        ids = list(
            session.scalars(
                select(Message.id)
                .where(_claimable(now))  # type: ignore[arg-type]
                .order_by(Message.id)
                .limit(1000)
            )
        )
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    for message_id in ids:
        queue.enqueue_task(app, DELIVER, message_id)
    return len(ids)
