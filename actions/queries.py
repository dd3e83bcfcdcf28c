"""Finding actions within the caller's scope: one, those raised on a record, and the
sync API's pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select

from actions.models import Action, ActionSource
from core import pagination, scoping
from core.models import User
from extensions import db
from incidents.models import Incident
from incidents.services import visible_incidents


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


@dataclass(frozen=True)
class ListedAction:
    """An action as the sync API lists it. Its source's id is None when the
    source is an incident the reader may not see (another's report, or one that
    may be safeguarding): the id alone would tell them it exists."""

    id: int
    title: str
    status: str
    due: date
    owner_id: int
    source_type: str
    source_id: str | None


def _incidents_seen(user: User, actions: list[Action]) -> set[str]:
    """Of the incidents these actions come from, those `user` may see (one query)."""
    ids = {a.source_id for a in actions if a.source_type == ActionSource.INCIDENT.value}
    if not ids:
        return set()
    stmt = visible_incidents(user).with_only_columns(Incident.id).where(Incident.id.in_(ids))
    return set(db.session.scalars(stmt))


def page_of_actions(
    user: User, limit: int, cursor: str | None
) -> tuple[list[ListedAction], str | None]:
    """Newest first (by id, the order they were raised), keyset-paginated."""
    actions, next_cursor = pagination.newest_id(visible_actions(user), Action.id, limit, cursor)
    seen = _incidents_seen(user, actions)
    listed = [
        ListedAction(
            a.id,
            a.title,
            a.status,
            a.due,
            a.owner_id,
            a.source_type,
            a.source_id
            if a.source_type != ActionSource.INCIDENT.value or a.source_id in seen
            else None,
        )
        for a in actions
    ]
    return listed, next_cursor
