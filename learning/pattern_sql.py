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
    null,
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
    """A number for the moment that two moments' distance is measured in, and a day in its unit:
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


def repeat_rows(window: Select[Any], count: int, days: int, listed: int = LISTED) -> list[Any]:
    """Repeats for one person: the same person and category at least `count` times
    within any `days` days, overlapping windows joined (as the rule always did: a
    row is in a repeat when some `count` or more of the person's incidents of that
    category within `days` days hold it, and two rows next to each other in time
    are in the same repeat when some such set holds both).

    Each person and category's rows are sorted once, by when they happened: a set of
    `count` within `days` holding a row is then `count` rows next to each other in
    that order, so a `lead` and a `max` over the `count` rows before each row find
    it, all in that one order (no sort per step). Two kinds of rows come back, with
    each repeat's `cluster` number: its first `listed` rows (`rn` from 1, at least
    the first), and per branch its rows' count `n`, first and last moment (`rn` 0)."""
    key, day = _order_key(Incident.occurred_at)
    span = days * day
    b = (
        window.with_only_columns(*LISTED_COLUMNS, key.label("t"))
        .where(Incident.person_id.is_not(None))
        .subquery()
    )

    def ordered(q: Any) -> dict[str, Any]:
        return {
            "partition_by": (q.c.person_id, q.c.category),
            "order_by": (q.c.occurred_at, q.c.id),
        }

    def dense(rows: int) -> ColumnElement[int]:
        """1 where the `rows` rows from this one happened within `days` days."""
        later = func.lead(b.c.t, rows - 1).over(**ordered(b))
        return case((later - b.c.t <= span, 1), else_=0)

    # Two rows side by side are held together by a set of at least two.
    pair = max(count, 2)
    l1 = db.select(b, dense(count).label("dense"), dense(pair).label("dense_pair")).subquery()
    l2 = db.select(
        l1,
        func.max(l1.c.dense).over(**ordered(l1), rows=(1 - count, 0)).label("held"),
        func.max(l1.c.dense_pair).over(**ordered(l1), rows=(1 - pair, -1)).label("joined"),
        func.row_number().over(**ordered(l1)).label("prn"),
    ).subquery()
    starts = case((l2.c.joined == 1, 0), else_=1)
    until_now = {**ordered(l2), "rows": (None, 0)}
    l3 = (
        db.select(
            *(l2.c[column.key] for column in LISTED_COLUMNS),
            func.sum(starts).over(**until_now).label("cluster"),
            (l2.c.prn - func.max(case((starts == 1, l2.c.prn))).over(**until_now) + 1).label("rn"),
        )
        .where(l2.c.held == 1)
        .cte("repeats")
    )
    first = db.select(
        *(l3.c[column.key] for column in LISTED_COLUMNS),
        l3.c.cluster,
        l3.c.rn,
        literal(1).label("n"),
        l3.c.occurred_at.label("last_at"),
    ).where(l3.c.rn <= max(listed, 1))
    per_branch = db.select(
        *(
            func.min(l3.c.occurred_at)
            if column.key == "occurred_at"
            else l3.c[column.key]
            if column.key in {"person_id", "category", "branch_id"}
            else null()
            for column in LISTED_COLUMNS
        ),
        l3.c.cluster,
        literal(0),
        func.count(),
        func.max(l3.c.occurred_at),
    ).group_by(l3.c.person_id, l3.c.category, l3.c.cluster, l3.c.branch_id)
    u = union_all(first, per_branch).subquery()
    return list(
        db.session.execute(
            db.select(u, PersonSupported.ref)
            .outerjoin(PersonSupported, PersonSupported.id == u.c.person_id)
            .order_by(PersonSupported.ref, u.c.category, u.c.cluster, u.c.rn)
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
