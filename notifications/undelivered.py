"""Messages not delivered (given up after retries, or the address is gone), for
managers: those to staff of their branches, newest first."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from core.models import User, user_branches
from extensions import db
from notifications.models import Message, Status

LIMIT = 200


def for_manager(manager: User) -> list[Message]:
    ids = manager.branch_ids
    if not ids:
        return []
    in_my_branches = exists().where(
        user_branches.c.user_id == Message.recipient_id, user_branches.c.branch_id.in_(ids)
    )
    return list(
        db.session.scalars(
            select(Message)
            .options(selectinload(Message.recipient))
            .where(Message.status == Status.FAILED, in_my_branches)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(LIMIT)
        )
    )
