"""The incident list: filters, sorting and pages within the caller's scope, and the
notes shown beside each incident."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, or_, select

from core import scoping
from core.dates import uk_midnight, utcnow
from core.models import PersonSupported, Team, User
from extensions import db
from incidents import decisions, office_work
from incidents.models import Harm, Incident, IncidentNote, IncidentNoteKind
from incidents.permissions import can_filter
from incidents.schemas import TEAM_CHOICE
from incidents.services import note_views, visible_incidents

HARM_ORDER = [Harm.DEATH, Harm.SEVERE, Harm.MODERATE, Harm.LOW, Harm.NONE]


SORTS = {
    "newest": "Newest reports first",
    "oldest": "Oldest reports first",
    "harm": "Most harm first",
}


@dataclass(frozen=True)
class IncidentFilters:
    q: str = ""
    branch: str | None = None
    category: str | None = None
    harm: str | None = None
    status: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    person: str | None = None
    team: int | None = None
    overdue: bool = False
    # A piece of the office's work (incidents.office_work.Work), from their home page.
    work: str | None = None
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> IncidentFilters:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class IncidentPage:
    items: list[Incident]
    total: int
    page: int
    page_size: int
    overdue_ids: set[str] = field(default_factory=set)
    chases: dict[str, list[IncidentNote]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def first_shown(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.page_size + 1

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * self.page_size + len(self.items)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(user: User, filters: IncidentFilters, now: datetime) -> Select[Any]:
    """The incidents `user` may see, narrowed by `filters` (not yet ordered)."""
    stmt = visible_incidents(user)
    if filters.q.strip():
        pattern = _like(filters.q.strip())
        stmt = stmt.where(
            or_(
                Incident.reference.ilike(pattern, escape="\\"),
                Incident.what_happened.ilike(pattern, escape="\\"),
                Incident.immediate_actions.ilike(pattern, escape="\\"),
                Incident.location.ilike(pattern, escape="\\"),
            )
        )
    if filters.branch:
        stmt = stmt.where(Incident.branch.has(code=filters.branch))
    if filters.person:
        stmt = stmt.where(Incident.person.has(PersonSupported.ref == filters.person))
    if filters.team is not None:
        stmt = stmt.where(Incident.team_id == filters.team)
    for name in ("category", "harm", "status", "kind"):
        value = getattr(filters, name)
        if value:
            stmt = stmt.where(getattr(Incident, name) == value)
    return _narrowed_by_time_and_work(stmt, user, filters, now)


def _narrowed_by_time_and_work(
    stmt: Select[Any], user: User, filters: IncidentFilters, now: datetime
) -> Select[Any]:
    if filters.date_from:
        stmt = stmt.where(Incident.occurred_at >= uk_midnight(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(Incident.occurred_at < uk_midnight(filters.date_to + timedelta(days=1)))
    if filters.overdue:
        stmt = stmt.where(decisions.has_overdue_duty(now))
    if filters.work:
        stmt = stmt.where(office_work.condition(office_work.Work(filters.work), user, now))
    return stmt


def team_errors(filters: IncidentFilters, teams: Iterable[Team]) -> dict[str, list[str]]:
    """A team filter must name one of `teams` (the caller's, scoping.teams_for).
    Another branch's team gets the same answer as one that does not exist, so
    the filter never reveals what is outside the caller's scope."""
    if filters.team is None or filters.team in {t.id for t in teams}:
        return {}
    return {"team": [TEAM_CHOICE]}


def _ordered(stmt: Select[Any], sort: str) -> Select[Any]:
    if sort == "oldest":
        return stmt.order_by(Incident.received_at.asc(), Incident.id.asc())
    if sort == "harm":
        rank = case({h.value: n for n, h in enumerate(HARM_ORDER)}, value=Incident.harm, else_=9)
        return stmt.order_by(rank, Incident.received_at.desc(), Incident.id.desc())
    return stmt.order_by(Incident.received_at.desc(), Incident.id.desc())


def search(
    user: User, filters: IncidentFilters, page_size: int, now: datetime | None = None
) -> IncidentPage:
    now = now or utcnow()
    stmt = filtered(user, filters, now)
    total = (
        db.session.scalar(stmt.with_only_columns(db.func.count(Incident.id)).order_by(None)) or 0
    )
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, filters.page), pages)
    items = list(
        db.session.scalars(
            _ordered(stmt, filters.sort).limit(page_size).offset((page - 1) * page_size)
        )
    )
    note_views(user, items, "list")
    ids = [i.id for i in items]
    return IncidentPage(
        items=items,
        total=int(total),
        page=page,
        page_size=page_size,
        overdue_ids=decisions.overdue_incident_ids(ids, now),
        chases=notes_for(ids, IncidentNoteKind.CHASE),
    )


@dataclass(frozen=True)
class IncidentList:
    """The review list as one reader sees it."""

    filters: IncidentFilters
    # The teams they may filter by (none for a carer).
    teams: list[Team]
    errors: dict[str, list[str]]
    page: IncidentPage


def incident_list(
    user: User, data: dict[str, Any], errors: dict[str, list[str]], page_size: int
) -> IncidentList:
    """The list for `user` from the filters the schema read (`data`, or none with
    its `errors`): a carer only pages through their own reports; anyone else may
    filter, by their own teams only. No results while a filter is wrong."""
    filters = IncidentFilters.from_data(data)
    may_filter = can_filter(user)
    if not may_filter:
        filters = IncidentFilters(page=filters.page)
    # One query for the team choices, whatever the number of incidents.
    teams = scoping.teams_for(user) if may_filter else []
    if not errors:
        errors = team_errors(filters, teams)
    page = (
        search(user, filters, page_size)
        if not errors
        else IncidentPage(items=[], total=0, page=1, page_size=page_size)
    )
    return IncidentList(filters, teams, errors, page)


def notes_for(incident_ids: Iterable[str], kind: IncidentNoteKind) -> dict[str, list[IncidentNote]]:
    ids = list(incident_ids)
    if not ids:
        return {}
    found: dict[str, list[IncidentNote]] = {}
    stmt = (
        select(IncidentNote)
        .where(IncidentNote.incident_id.in_(ids), IncidentNote.kind == kind.value)
        .order_by(IncidentNote.created_at, IncidentNote.id)
    )
    for note in db.session.scalars(stmt):
        found.setdefault(note.incident_id, []).append(note)
    return found
