"""The audit trail as a manager reads it: which events are theirs to see, the
filters (person, record, action, dates) and keyset pages, newest first.

Which events a manager sees:
- an event about a record of a kind a package registered (`add_record_kind`: an
  incident, an action, a spot check, a team, a staff account) shows when that
  record is one the manager may see (`core.scoping`: in their branches, and for a
  staff account, all of its branches among theirs), whoever acted;
- any other event (organisation-wide records such as spot-check templates or
  bulletins, sign-in, exports) shows when the person who acted works only in
  branches of the manager's; an event with no person shows only to a manager of
  every branch.
So an event about something outside their branches never shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Select, String, cast, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from core import pagination, scoping
from core.dates import uk_midnight
from core.models import Branch, Team, TrailEvent, User
from extensions import db

# How many events one page shows.
PAGE_SIZE = 50
# Records read at a time while an export streams.
EXPORT_BATCH = 500


@dataclass(frozen=True)
class RecordKind:
    """A kind of record the trail names, as a package registers it: its label,
    its id column, who may see which (a condition on the model, for a user), and
    the reference people type for it, if any (an incident's "INC-…")."""

    record_type: str
    label: str
    id_column: InstrumentedAttribute[Any]
    scope: Callable[[User], ColumnElement[bool]]
    reference: Any = None  # a column, e.g. Incident.reference

    def visible_ids(self, user: User) -> Select[Any]:
        return select(cast(self.id_column, String)).where(self.scope(user))


def _kinds(app: Flask | None = None) -> dict[str, RecordKind]:
    target = app or current_app
    return target.extensions.setdefault("candour_trail_kinds", {})  # type: ignore[no-any-return]


def add_record_kind(
    app: Flask,
    record_type: str,
    label: str,
    model: Any,
    *,
    reference: Any = None,
    scope: Callable[[User], ColumnElement[bool]] | None = None,
) -> None:
    """Say which branch a kind of record belongs to (through `core.scoping`'s
    record_scope on `model`, or `scope`), so its events show to that branch's
    managers only."""
    _kinds(app)[record_type] = RecordKind(
        record_type,
        label,
        model.id,
        scope or (lambda user: scoping.record_scope(user, model)),
        reference,
    )


def init_app(app: Flask) -> None:
    """Core's own records: staff accounts, teams and branches."""
    add_record_kind(
        app,
        "user",
        "Staff account",
        User,
        scope=lambda user: scoping.all_branches_among(user, User.branches),
    )
    add_record_kind(
        app, "team", "Team", Team, scope=lambda user: scoping.branch_scope(user, Team.branch_id)
    )
    add_record_kind(
        app, "branch", "Branch", Branch, scope=lambda user: scoping.branch_scope(user, Branch.id)
    )


def kind_label(record_type: str) -> str:
    kind = _kinds().get(record_type)
    return kind.label if kind else record_type.replace("_", " ").capitalize()


# --- which events ---------------------------------------------------------------


def _staff_within(user: User) -> Select[Any]:
    """Accounts whose branches are all among `user`'s."""
    return select(User.id).where(scoping.all_branches_among(user, User.branches))


def event_scope(user: User) -> ColumnElement[bool]:
    kinds = _kinds()
    by_record = [
        (TrailEvent.record_type == kind.record_type)
        & TrailEvent.record_id.in_(kind.visible_ids(user))
        for kind in kinds.values()
    ]
    by_actor: ColumnElement[bool] = TrailEvent.actor_id.in_(_staff_within(user))
    if scoping.holds_every_branch(user):
        by_actor = by_actor | TrailEvent.actor_id.is_(None)
    others = TrailEvent.record_type.not_in(list(kinds)) if kinds else true()
    return or_(*by_record, others & by_actor)


def visible_events(user: User) -> Select[Any]:
    return select(TrailEvent).where(event_scope(user))


# --- filters --------------------------------------------------------------------


@dataclass(frozen=True)
class TrailFilters:
    person: int | None = None
    record: str = ""
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    cursor: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> TrailFilters:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def as_query(self) -> dict[str, str]:
        """The filters as the GET form sends them (without the page)."""
        query = {
            "person": str(self.person) if self.person else "",
            "record": self.record,
            "action": self.action or "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in query.items() if v}


def people_for(user: User) -> list[User]:
    """Whom a manager may filter by: staff of their branches, past ones too."""
    ids = user.branch_ids
    if not ids:
        return []
    stmt = select(User).where(User.branches.any(Branch.id.in_(ids))).order_by(User.name, User.id)
    return list(db.session.scalars(stmt))


def actions() -> list[str]:
    """The actions the trail holds, to choose from."""
    stmt = select(TrailEvent.action).distinct().order_by(TrailEvent.action)
    return list(db.session.scalars(stmt))


def filter_errors(user: User, filters: TrailFilters) -> dict[str, list[str]]:
    """What the schema cannot tell alone: a person or an action from the lists
    (another branch's person gets the same answer as one who does not exist)."""
    errors: dict[str, list[str]] = {}
    if filters.person is not None and filters.person not in {p.id for p in people_for(user)}:
        errors["person"] = ["Choose a person from the list."]
    if filters.action is not None and filters.action not in actions():
        errors["action"] = ["Choose an action from the list."]
    return errors


def _naming(text: str) -> list[Any]:
    """The ids a typed record names: itself, and what it is the reference of."""
    conditions: list[Any] = [TrailEvent.record_id == text]
    for kind in _kinds().values():
        if kind.reference is not None:
            named = select(cast(kind.id_column, String)).where(kind.reference == text.upper())
            conditions.append(
                (TrailEvent.record_type == kind.record_type) & TrailEvent.record_id.in_(named)
            )
    return conditions


def filtered(user: User, filters: TrailFilters) -> Select[Any]:
    """The events `user` may see narrowed by `filters` (not yet ordered)."""
    stmt = visible_events(user)
    if filters.person is not None:
        stmt = stmt.where(TrailEvent.actor_id == filters.person)
    if filters.record:
        stmt = stmt.where(or_(*_naming(filters.record)))
    if filters.action:
        stmt = stmt.where(TrailEvent.action == filters.action)
    if filters.date_from:
        stmt = stmt.where(TrailEvent.at >= uk_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(TrailEvent.at < uk_midnight(filters.date_to + timedelta(days=1)))
    return stmt


# --- pages and rows ---------------------------------------------------------------


@dataclass
class TrailPage:
    events: list[TrailEvent]
    next_cursor: str | None
    references: dict[tuple[str, str], str] = field(default_factory=dict)

    def record_label(self, event: TrailEvent) -> str:
        return describe_record(event, self.references)


def references_for(events: Iterable[TrailEvent]) -> dict[tuple[str, str], str]:
    """(record type, id) -> the reference people know it by, where there is one."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        wanted.setdefault(event.record_type, set()).add(event.record_id)
    found: dict[tuple[str, str], str] = {}
    for record_type, ids in wanted.items():
        kind = _kinds().get(record_type)
        if kind is None or kind.reference is None:
            continue
        key = cast(kind.id_column, String)
        for record_id, reference in db.session.execute(
            select(key, kind.reference).where(key.in_(ids))
        ):
            found[(record_type, record_id)] = reference
    return found


def describe_record(event: TrailEvent, references: dict[tuple[str, str], str]) -> str:
    name = references.get((event.record_type, event.record_id), event.record_id)
    return f"{kind_label(event.record_type)} {name}"


def search(user: User, filters: TrailFilters, page_size: int = PAGE_SIZE) -> TrailPage:
    """One page of events, newest first (a bad cursor raises core.errors.Invalid)."""
    events, next_cursor = pagination.newest_id(
        filtered(user, filters), TrailEvent.id, page_size, filters.cursor
    )
    return TrailPage(events, next_cursor, references_for(events))


def export_statement(user: User, filters: TrailFilters) -> Select[Any]:
    """Every event the filters match, newest first (built while the request is
    there: the file is written after the page's function has returned)."""
    return filtered(user, filters).order_by(TrailEvent.id.desc())


def batches(stmt: Select[Any]) -> Iterator[list[TrailEvent]]:
    """The events of `stmt` a batch at a time, never all of them at once."""
    result = db.session.scalars(stmt.execution_options(yield_per=EXPORT_BATCH))
    yield from (list(batch) for batch in result.partitions(EXPORT_BATCH))


def no_events() -> TrailPage:
    return TrailPage([], None)
