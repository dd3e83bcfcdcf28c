"""The pattern rules' counting done by the database (learning/patterns.py decides):
hotspot counts by GROUP BY, repeats for one person by window functions, and only the
first incidents of each pattern read back. The same SQL on SQLite and PostgreSQL,
apart from turning a moment into the device's local hour and weekday and into a
number a window frame can range over."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    union_all,
)

from core.models import PersonSupported
from extensions import db
from incidents.models import Incident
from learning.models import LearningReview, review_incidents

# How many of a pattern's incidents the page lists (its incident-list link has all).
LISTED = 20

# Home-care call times, as the rota thinks of the day: (name, first hour, hour after).
TIME_BANDS: list[tuple[str, int, int]] = [
    ("night (22:00 to 06:59)", 22, 7),
    ("morning (07:00 to 10:59)", 7, 11),
    ("lunchtime (11:00 to 13:59)", 11, 14),
    ("afternoon (14:00 to 17:59)", 14, 18),
    ("evening (18:00 to 21:59)", 18, 22),
]


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _local(occurred_at: Any, offset: Any) -> Any:
    """The device's own clock at the moment (as Incident.occurred_local)."""
    if _postgres():
        return func.timezone("UTC", occurred_at) + func.make_interval(0, 0, 0, 0, 0, offset)
    return func.datetime(occurred_at, cast(offset, db.String).concat(" minutes"))


def local_hour(occurred_at: Any, offset: Any) -> ColumnElement[int]:
    local = _local(occurred_at, offset)
    if _postgres():
        return cast(extract("hour", local), Integer)
    return cast(func.strftime("%H", local), Integer)


def local_weekday(occurred_at: Any, offset: Any) -> ColumnElement[int]:
    """Monday 0 to Sunday 6, as Python's weekday()."""
    local = _local(occurred_at, offset)
    if _postgres():
        return cast(extract("isodow", local), Integer) - 1
    return (cast(func.strftime("%w", local), Integer) + 6) % 7


def time_band_of(occurred_at: Any, offset: Any) -> ColumnElement[int]:
    """The TIME_BANDS index of the local hour."""
    hour = local_hour(occurred_at, offset)
    whens = []
    for n, (_, start, end) in enumerate(TIME_BANDS):
        inside = and_(hour >= start, hour < end) if start < end else or_(hour >= start, hour < end)
        whens.append((inside, n))
    return case(*whens, else_=literal(0))


def _order_key(occurred_at: Any) -> tuple[Any, int]:
    """A number for the moment that a RANGE frame can use, and a day in its unit:
    seconds since 1970 on PostgreSQL (numeric, to the microsecond), whole
    milliseconds on SQLite."""
    if _postgres():
        return extract("epoch", occurred_at), 86400
    return cast(func.round(func.julianday(occurred_at) * 86400000), Integer), 86400000


def hotspot_counts(window: Select[Any]) -> list[tuple[str, int, int | None, int, int, int]]:
    """(category, branch, team, time band, weekday, incidents) for the window."""
    w = window.with_only_columns(
        Incident.category,
        Incident.branch_id,
        Incident.team_id,
        time_band_of(Incident.occurred_at, Incident.occurred_offset).label("band"),
        local_weekday(Incident.occurred_at, Incident.occurred_offset).label("weekday"),
    ).subquery()
    rows = db.session.execute(
        db.select(w, func.count().label("n")).group_by(
            w.c.category, w.c.branch_id, w.c.team_id, w.c.band, w.c.weekday
        )
    )
    return [(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]


LISTED_COLUMNS = (
    Incident.id,
    Incident.reference,
    Incident.category,
    Incident.harm,
    Incident.occurred_at,
    Incident.occurred_offset,
    Incident.person_id,
    Incident.branch_id,
    Incident.team_id,
)


def hotspot_condition(kind: str, value: int) -> ColumnElement[bool]:
    """The incidents of a hotspot's bucket (its category and window apart)."""
    if kind == "branch":
        return Incident.branch_id == value
    if kind == "team":
        return Incident.team_id == value
    if kind == "time_of_day":
        return time_band_of(Incident.occurred_at, Incident.occurred_offset) == value
    return local_weekday(Incident.occurred_at, Incident.occurred_offset) == value


def first_incidents(window: Select[Any], wanted: Sequence[tuple[str, str, int]]) -> list[Any]:
    """The first LISTED incidents (by when they happened) of each (kind, category,
    bucket), one statement: rows with `n`, the place in `wanted`, and the person's ref."""
    # One statement whether or not there are hotspots (a page's statements stay
    # the same however many incidents there are).
    wanted = wanted or [("branch", "", 0)]
    parts = [
        window.with_only_columns(*LISTED_COLUMNS, literal(n).label("n"))
        .where(Incident.category == category, hotspot_condition(kind, value))
        .order_by(Incident.occurred_at, Incident.id)
        .limit(LISTED)
        .subquery()
        .select()
        for n, (kind, category, value) in enumerate(wanted)
    ]
    u = union_all(*parts).subquery()
    return list(
        db.session.execute(
            db.select(u, PersonSupported.ref)
            .outerjoin(PersonSupported, PersonSupported.id == u.c.person_id)
            .order_by(u.c.n, u.c.occurred_at, u.c.id)
        )
    )


def repeat_rows(window: Select[Any], count: int, days: int) -> list[Any]:
    """Repeats for one person: the same person and category at least `count` times
    within any `days` days, overlapping windows joined (as the rule always did:
    a row is in a repeat when a window of `count` or more ending within `days`
    after it holds it; a repeat starts where no such window holds the row before).
    The first LISTED rows of each repeat and its last (`rn`: its place in the
    repeat), each with the repeat's `size`, `cluster` number and lowest and
    highest branch."""
    key, day = _order_key(Incident.occurred_at)
    span = days * day
    # The light columns carried through (joining back by id costs more than the
    # sorts of a few more bytes); peers (the same moment) fall in the same repeat.
    b = (
        window.with_only_columns(*LISTED_COLUMNS, key.label("t"))
        .where(Incident.person_id.is_not(None))
        .subquery()
    )
    part = (b.c.person_id, b.c.category)
    l1 = db.select(
        b,
        func.count().over(partition_by=part, order_by=b.c.t, range_=(-span, 0)).label("k"),
        func.lag(b.c.t).over(partition_by=part, order_by=b.c.t).label("prev"),
    ).subquery()
    part = (l1.c.person_id, l1.c.category)
    l2 = db.select(
        l1,
        # The first window end at or after the row: ordered backwards, so that the
        # frame only grows (a frame from the row forwards is summed again per row).
        func.min(case((l1.c.k >= count, l1.c.t)))
        .over(partition_by=part, order_by=l1.c.t.desc(), range_=(None, 0))
        .label("nq"),
    ).subquery()
    l3 = (
        db.select(
            l2,
            case((or_(l2.c.prev.is_(None), l2.c.nq > l2.c.prev + span), 1), else_=0).label(
                "starts"
            ),
        )
        .where(l2.c.nq <= l2.c.t + span)
        .subquery()
    )
    part = (l3.c.person_id, l3.c.category)
    l4 = db.select(
        l3, func.sum(l3.c.starts).over(partition_by=part, order_by=l3.c.t).label("cluster")
    ).subquery()
    group = (l4.c.person_id, l4.c.category, l4.c.cluster)
    l5 = db.select(
        *(l4.c[column.key] for column in LISTED_COLUMNS),
        l4.c.cluster,
        func.count().over(partition_by=group).label("size"),
        func.min(l4.c.branch_id).over(partition_by=group).label("branch_low"),
        func.max(l4.c.branch_id).over(partition_by=group).label("branch_high"),
        func.row_number().over(partition_by=group, order_by=(l4.c.t, l4.c.id)).label("rn"),
    ).subquery()
    return list(
        db.session.execute(
            db.select(l5, PersonSupported.ref)
            .outerjoin(PersonSupported, PersonSupported.id == l5.c.person_id)
            .where(or_(l5.c.rn <= LISTED, l5.c.rn == l5.c.size))
            .order_by(PersonSupported.ref, l5.c.category, l5.c.cluster, l5.c.rn)
        )
    )


def conditions_by_incident(incident_ids: Sequence[str] | Select[Any]) -> dict[str, set[str]]:
    """The contributing conditions each incident's reviews named (the incidents as
    ids, or as a query of their ids: thousands of ids are better left in the database)."""
    if not isinstance(incident_ids, Select):
        if not incident_ids:
            return {}
        incident_ids = list(incident_ids)
    rows = db.session.execute(
        db.select(review_incidents.c.incident_id, LearningReview.conditions)
        .join(LearningReview, LearningReview.id == review_incidents.c.review_id)
        .where(review_incidents.c.incident_id.in_(incident_ids))
    )
    found: dict[str, set[str]] = defaultdict(set)
    for incident_id, conditions in rows:
        found[incident_id].update(conditions or [])
    return found
