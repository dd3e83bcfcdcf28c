"""Messages not delivered (given up after retries, or the address is gone), for
managers: those to staff of their branches, newest first."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import selectinload

from core import trail
from core.dates import utcnow
from core.models import User, user_branches
from extensions import db
from notifications.dispatch import enqueue_after_commit
from notifications.kinds import Kind
from notifications.models import Message, Status

LIMIT = 200


def _in_branches_of(manager: User) -> ColumnElement[bool]:
    return exists().where(
        user_branches.c.user_id == Message.recipient_id,
        user_branches.c.branch_id.in_(manager.branch_ids),
    )


def for_manager(manager: User) -> list[Message]:
    if not manager.branch_ids:
        return []
    in_my_branches = _in_branches_of(manager)
    return list(
        db.session.scalars(
            select(Message)
            .options(selectinload(Message.recipient))
            .where(Message.status == Status.FAILED, in_my_branches)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(LIMIT)
        )
    )


class CannotResend(Exception):
    """This message cannot be sent again (its link was not kept)."""


def can_resend(message: Message) -> bool:
    return message.status == Status.FAILED and message.kind != Kind.ACCOUNT_LINK


def failed_message(manager: User, message_id: int) -> Message | None:
    """A message not delivered to staff of `manager`'s branches (None: not theirs
    or not found)."""
    if not manager.branch_ids:
        return None
    return db.session.scalar(
        select(Message).where(
            Message.id == message_id,
            Message.status == Status.FAILED,
            _in_branches_of(manager),
        )
    )


def resend(manager: User, message: Message) -> None:
    """Try again from now, as if just made (another day of retries), once the
    caller commits; on the audit trail."""
    if not can_resend(message):
        raise CannotResend(message.id)
    now = utcnow()
    message.status = Status.QUEUED
    message.attempts = 0
    message.next_attempt_at = None
    message.claimed_at = None
    message.created_at = now
    trail.record(manager, "message_resent", "message", message.id, recipient=message.recipient_id)
    enqueue_after_commit(message.id)
