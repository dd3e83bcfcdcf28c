"""When an open action is due soon or overdue, the lists by due state, and what each
person's home page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select

from actions.models import Action, ActionStatus
from actions.queries import visible_actions
from core.models import Role, User
from extensions import db


def is_overdue(action: Action, today: date) -> bool:
    """Open and past its due date (an action due today is not yet overdue)."""
    return action.status == ActionStatus.OPEN.value and action.due < today


def due_state(action: Action, today: date, soon_days: int) -> str | None:
    """ "overdue" or "due_soon" for open actions; None otherwise."""
    if action.status != ActionStatus.OPEN.value:
        return None
    if is_overdue(action, today):
        return "overdue"
    if action.due <= today + timedelta(days=soon_days):
        return "due_soon"
    return None


def _due_filter(
    stmt: Select[Any], view: str, user: User, today: date, soon_days: int
) -> Select[Any]:
    open_ = Action.status == ActionStatus.OPEN.value
    if view == "mine":
        return stmt.where(Action.owner_id == user.id, open_)
    if view == "overdue":
        return stmt.where(open_, Action.due < today)
    if view == "due_soon":
        return stmt.where(
            open_, Action.due >= today, Action.due <= today + timedelta(days=soon_days)
        )
    if view == "to_verify":
        return stmt.where(Action.status == ActionStatus.DONE.value)
    if view == "open":
        return stmt.where(open_)
    return stmt


ACTION_VIEWS = {
    "mine": "Mine",
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "to_verify": "Done, to verify",
    "open": "All open",
    "all": "All",
}


def list_actions(user: User, view: str, today: date, soon_days: int) -> list[Action]:
    stmt = _due_filter(visible_actions(user), view, user, today, soon_days)
    return list(db.session.scalars(stmt.order_by(Action.due, Action.id)))


@dataclass
class HomeActions:
    overdue: list[Action] = field(default_factory=list)
    due_soon: list[Action] = field(default_factory=list)
    to_verify: list[Action] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_soon or self.to_verify)


def home_actions(user: User, today: date, soon_days: int) -> HomeActions:
    """What the home page shows: the owner's own due and overdue actions; a
    manager also sees every overdue action in scope and those waiting for
    verification."""
    home = HomeActions()
    stmt = visible_actions(user).order_by(Action.due, Action.id)
    if user.role != Role.MANAGER.value:
        stmt = stmt.where(Action.owner_id == user.id)
    for action in db.session.scalars(
        stmt.where(Action.status == ActionStatus.OPEN.value).where(
            Action.due <= today + timedelta(days=soon_days)
        )
    ):
        state = due_state(action, today, soon_days)
        if state == "overdue":
            home.overdue.append(action)
        elif state == "due_soon":
            home.due_soon.append(action)
    if user.role == Role.MANAGER.value:
        home.to_verify = list(
            db.session.scalars(
                visible_actions(user)
                .where(Action.status == ActionStatus.DONE.value)
                .order_by(Action.done_at)
            )
        )
    return home
