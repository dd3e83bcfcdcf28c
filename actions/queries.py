"""Finding actions within the caller's scope: one, those raised on a record, and the
sync API's pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from actions.models import Action
from core import pagination, scoping
from core.models import User
from extensions import db


def visible_actions(user: User) -> Select[Any]:
    return scoping.scoped(db.select(Action), user, Action)


def get_action(user: User, action_id: int) -> Action:
    return scoping.one_in_scope(visible_actions(user), Action, action_id)


def actions_from(source_type: str, source_id: str) -> list[Action]:
    return list(
        db.session.scalars(
            db.select(Action)
            .where(Action.source_type == source_type, Action.source_id == str(source_id))
            .order_by(Action.due, Action.id)
        )
    )


def page_of_actions(user: User, limit: int, cursor: str | None) -> tuple[list[Action], str | None]:
    """Newest first (by id, the order they were raised), keyset-paginated."""
    return pagination.newest_id(visible_actions(user), Action.id, limit, cursor)
