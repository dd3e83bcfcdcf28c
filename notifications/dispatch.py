"""`notify`: what the rest of Candour calls to tell staff something.

Messages are rows (notifications.models.Message) added to the caller's session;
the delivery jobs are enqueued only once that transaction has committed, so a
rolled-back request sends nothing and a job never looks for a row not yet there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.dates import utcnow
from core.models import Role, User
from extensions import db
from notifications import quiet_hours
from notifications.channels import channels
from notifications.kinds import Kind
from notifications.models import Message, Preference, Status

log = logging.getLogger(__name__)

_PENDING = "notifications.pending"
# Only these channels carry these kinds (the link in an invitation is a password).
_ONLY_BY = {Kind.ACCOUNT_LINK: frozenset({"email"})}


def notify(
    kind: Kind,
    *,
    event_key: str,
    recipients: Iterable[User],
    subject: str,
    text: str,
    link_path: str,
    now: datetime | None = None,
) -> list[Message]:
    """One Message per (recipient, channel) the recipient's preferences choose for `kind`
    (escalations always by every channel the recipient can receive), idempotent on
    (event_key, recipient_id, channel): the same call twice makes nothing new. Added to the
    caller's session; delivery jobs are enqueued only after the transaction commits.
    `text` and `subject` must hold no personal data: reference, branch, kind, link only.

    Returns the messages made by this call (not those an earlier call made)."""
    now = now or utcnow()
    # None: straight away; otherwise the end of quiet hours.
    held_until = quiet_hours.not_before(kind, now)
    due = held_until if held_until > now else None
    made: list[Message] = []
    for user in recipients:
        for name in chosen_channels(kind, user):
            message = Message(
                kind=kind.value,
                event_key=event_key,
                recipient_id=user.id,
                channel=name,
                # One line: a subject becomes an e-mail header and a notification title.
                subject=" ".join(subject.split())[:200],
                text=text,
                link_path=link_path,
                status=Status.QUEUED,
                attempts=0,
                next_attempt_at=due,
                created_at=now,
            )
            if _add_once(message):
                made.append(db.session.get_one(Message, message.id))
    for message in made:
        enqueue_after_commit(message.id, due)
    return made


def enqueue_after_commit(message_id: int, due: datetime | None = None) -> None:
    """Enqueue the delivery of `message_id` once the current transaction commits."""
    pending: list[tuple[int, datetime | None]] = db.session.info.setdefault(_PENDING, [])
    pending.append((message_id, due))


def _add_once(message: Message) -> bool:
    """Insert `message` unless its (event, recipient, channel) already has one, even
    when another request adds the same one at the same moment: INSERT … ON
    CONFLICT DO NOTHING on the unique key (SQLite and PostgreSQL alike), no
    savepoint, so the caller's transaction is untouched either way."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        column.key: getattr(message, column.key)
        for column in Message.__table__.columns
        if column.key != "id"
    }
    result = db.session.execute(
        insert(Message).values(**values).on_conflict_do_nothing().returning(Message.id)
    )
    new_id = result.scalar()
    if new_id is None:
        return False
    message.id = new_id
    return True


def chosen_channels(kind: Kind, user: User) -> list[str]:
    """The channels `user` gets messages of `kind` by, now."""
    if not user.active:
        return []
    role = Role(user.role)
    available = [
        name
        for name, channel in channels().items()
        if name in _ONLY_BY.get(kind, {name}) and channel.available(user)
    ]
    if kind.always_on_for(role):
        return available
    if role not in kind.roles:
        return []
    wanted = preferences(user, kind)
    return [name for name in available if wanted.get(name, True)]


def preferences(user: User, kind: Kind) -> dict[str, bool]:
    """The user's choices for `kind` by channel (a channel not listed: on)."""
    rows = db.session.scalars(
        select(Preference).where(Preference.user_id == user.id, Preference.kind == kind.value)
    )
    return {row.channel: row.on for row in rows}


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    pending: list[tuple[int, datetime | None]] = session.info.pop(_PENDING, [])
    if not pending or not has_app_context():
        return
    from notifications import delivery  # the jobs module imports this one

    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        for message_id, due in pending:
            delivery.enqueue_delivery(app, message_id, due)
    except Exception:
        # The request's work is committed; the queue (Redis down?) is not the
        # client's problem. The worker's sweep enqueues these within a minute.
        log.exception("could not enqueue %d messages; the sweep will", len(pending))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
