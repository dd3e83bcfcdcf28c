"""The office's work on their home page, within their branches: records new since
they last looked, records that arrived late, details to chase and questions
unanswered. Each is a condition on the incident list (its `work` filter), so a
count on the home page and the list it links to always agree."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from core import trail
from core.models import User
from extensions import db
from incidents.models import Incident, IncidentNote, IncidentNoteKind, RecordsSeen, Status

# A report made, or arriving, a day or more after the step before it is late (the
# rule the record itself states: incidents.record.lateness).
LATE = 1.0  # days
# The first time (nothing looked at yet), "new" is what arrived in these days.
FIRST_LOOK = timedelta(days=7)
# How many of each the home page lists (the count says how many there are).
SHORT_LIST = 5


class Work(enum.StrEnum):
    NEW = "new"
    LATE = "late"
    DETAILS = "details"
    QUESTIONS = "questions"


LABELS = {
    Work.NEW: "New since you last looked",
    Work.LATE: "Arrived late",
    Work.DETAILS: "Details to chase",
    Work.QUESTIONS: "Questions unanswered",
}


class days_between(FunctionElement[float]):  # noqa: N801 (an SQL function's name)
    """(later - earlier) in days, in SQL, on SQLite and PostgreSQL alike."""

    type = Float()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


def seen_at(user: User) -> datetime | None:
    seen: RecordsSeen | None = db.session.get(RecordsSeen, user.id)
    return seen.seen_at if seen else None


def new_since(user: User, now: datetime) -> datetime:
    """Where "new" starts for `user`: when they last looked, else FIRST_LOOK ago."""
    return seen_at(user) or now - FIRST_LOOK


def _open() -> ColumnElement[bool]:
    return Incident.status != Status.CLOSED.value


def _notes(kind: IncidentNoteKind) -> Any:
    return IncidentNote.incident_id == Incident.id, IncidentNote.kind == kind.value


def _asked() -> ColumnElement[bool]:
    return exists().where(*_notes(IncidentNoteKind.CHASE))


def _unanswered() -> ColumnElement[bool]:
    """A question is answered once the office notes the answer on the record (a
    note after the last question)."""
    question = aliased(IncidentNote)
    last_question = (
        select(func.max(question.created_at))
        .where(question.incident_id == Incident.id, question.kind == IncidentNoteKind.CHASE.value)
        .correlate(Incident)
        .scalar_subquery()
    )
    answer = exists().where(
        *_notes(IncidentNoteKind.ADMIN), IncidentNote.created_at >= last_question
    )
    return and_(_asked(), ~answer)


def condition(work: Work, user: User, now: datetime) -> ColumnElement[bool]:
    """The incidents that are this piece of work (within scope: the caller's query)."""
    if work == Work.NEW:
        return Incident.received_at > new_since(user, now)
    if work == Work.LATE:
        made_late: ColumnElement[bool] = (
            days_between(Incident.reported_at, Incident.occurred_at) >= LATE
        )
        arrived_late: ColumnElement[bool] = (
            days_between(Incident.received_at, Incident.reported_at) >= LATE
        )
        return _open() & or_(made_late, arrived_late)
    if work == Work.DETAILS:
        # Where is recorded by the place chosen or the free text (either will do).
        no_where = and_(Incident.location == "", Incident.place.is_(None))
        missing = or_(no_where, Incident.person_id.is_(None))
        return _open() & missing & ~_asked()
    return _open() & _unanswered()


@dataclass(frozen=True)
class WorkItem:
    work: Work
    count: int
    incidents: list[Incident]

    @property
    def label(self) -> str:
        return LABELS[self.work]


def office_work(visible: Any, user: User, now: datetime) -> list[WorkItem]:
    """Each piece of work among `visible` (the caller's scoped incidents): how many,
    and the newest few."""
    found = []
    for work in Work:
        stmt = visible.where(condition(work, user, now))
        count = db.session.scalar(stmt.with_only_columns(func.count(Incident.id)).order_by(None))
        newest = stmt.order_by(Incident.received_at.desc(), Incident.id.desc()).limit(SHORT_LIST)
        found.append(WorkItem(work, int(count or 0), list(db.session.scalars(newest))))
    return found


def newest_received(visible: Any) -> datetime | None:
    stmt = visible.with_only_columns(func.max(Incident.received_at)).order_by(None)
    return db.session.scalar(stmt)  # type: ignore[no-any-return]


def mark_seen(user: User, upto: datetime, now: datetime) -> datetime:
    """`user` has looked at what arrived up to `upto` (the newest record their page
    showed, so one arriving meanwhile still counts as new); never moves back."""
    upto = min(upto, now)
    seen = db.session.get(RecordsSeen, user.id)
    if seen is None:
        seen = RecordsSeen(user_id=user.id, seen_at=upto)
        db.session.add(seen)
    elif upto > seen.seen_at:
        seen.seen_at = upto
    trail.record(user, "records_seen", "user", user.id, upto=seen.seen_at.isoformat())
    db.session.commit()
    return seen.seen_at


@dataclass(frozen=True)
class OfficeHome:
    """The office's home page: their work, and what "looked at" would record."""

    items: list[WorkItem]
    seen_at: datetime | None
    newest: datetime | None


def office_home(visible: Any, user: User, now: datetime) -> OfficeHome:
    return OfficeHome(office_work(visible, user, now), seen_at(user), newest_received(visible))
