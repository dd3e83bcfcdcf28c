"""When an open action is due soon or overdue, the lists by due state, and what each
person's home page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func

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


@dataclass(frozen=True)
class ActionPage:
    """One page of the actions list, and how many actions the view holds."""

    items: list[Action]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def page_of_actions(
    user: User, view: str, today: date, soon_days: int, page: int, page_size: int
) -> ActionPage:
    """list_actions a page at a time (a busy provider has thousands open)."""
    stmt = _due_filter(visible_actions(user), view, user, today, soon_days)
    total = int(
        db.session.scalar(stmt.with_only_columns(func.count(Action.id)).order_by(None)) or 0
    )
    page = min(max(1, page), max(1, -(-total // page_size)))
    items = db.session.scalars(
        stmt.order_by(Action.due, Action.id).limit(page_size).offset((page - 1) * page_size)
    )
    return ActionPage(list(items), total, page, page_size)


# The home page lists this many of each kind, with how many there are in all and a
# link to the whole list (the actions page, by view).
HOME_LIST = 10


@dataclass
class HomeActions:
    overdue: list[Action] = field(default_factory=list)
    due_soon: list[Action] = field(default_factory=list)
    to_verify: list[Action] = field(default_factory=list)
    # How many there are of each (the lists above hold the first HOME_LIST).
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_soon or self.to_verify)


def home_actions(user: User, today: date, soon_days: int) -> HomeActions:
    """What the home page shows: the owner's own due and overdue actions; a
    manager also sees every overdue action in scope and those waiting for
    verification. Counted by the database; the first HOME_LIST of each loaded."""
    mine = visible_actions(user)
    if user.role != Role.MANAGER.value:
        mine = mine.where(Action.owner_id == user.id)
    views = {"overdue": mine, "due_soon": mine}
    if user.role == Role.MANAGER.value:
        views["to_verify"] = visible_actions(user)
    home = HomeActions()
    for view, stmt in views.items():
        chosen = _due_filter(stmt, view, user, today, soon_days)
        home.counts[view] = int(
            db.session.scalar(chosen.with_only_columns(func.count(Action.id)).order_by(None)) or 0
        )
        order = (Action.done_at, Action.id) if view == "to_verify" else (Action.due, Action.id)
        setattr(home, view, list(db.session.scalars(chosen.order_by(*order).limit(HOME_LIST))))
    return home
