"""The pattern rules' counting done by the database (learning/patterns.py decides):
hotspot counts by GROUP BY, repeats for one person by window functions, and only the
first incidents of each pattern read back. The same SQL on SQLite and PostgreSQL,
apart from turning a moment into the device's local hour and weekday and into a
number a window frame can range over."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Interval,
    Select,
    Text,
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


def _band_of_hour(hour: int) -> int:
    for n, (_, start, end) in enumerate(TIME_BANDS):
        if (start <= hour < end) if start < end else (hour >= start or hour < end):
            return n
    return 0


# Each hour's TIME_BANDS index, as one digit per hour ("0000000111122233334444" …).
BAND_DIGITS = "".join(str(_band_of_hour(hour)) for hour in range(24))


def time_band_of(occurred_at: Any, offset: Any) -> ColumnElement[int]:
    """The TIME_BANDS index of the local hour: the hour's digit of BAND_DIGITS (the
    local hour worked out once, not once per band)."""
    hour = local_hour(occurred_at, offset)
    return cast(func.substr(literal(BAND_DIGITS), hour + 1, 1), Integer)


def _moment_and_span(occurred_at: Any, days: int) -> tuple[Any, Any]:
    """The moment in a form two moments can be subtracted in, and `days` days in that
    form: the timestamp and an interval on PostgreSQL (exact to the microsecond),
    whole milliseconds since the Julian epoch on SQLite."""
    if _postgres():
        return occurred_at, literal(timedelta(days=days), Interval())
    ms = cast(func.round(func.julianday(occurred_at) * 86400000), Integer)
    return ms, days * 86400000


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


def repeat_rows(
    window: Select[Any], count: int, days: int, listed: int = LISTED, shown: int | None = None
) -> list[Any]:
    """Repeats for one person: the same person and category at least `count` times
    within any `days` days, overlapping windows joined (as the rule always did: a
    row is in a repeat when some `count` or more of the person's incidents of that
    category within `days` days hold it, and two rows next to each other in time
    are in the same repeat when some such set holds both).

    Each person and category's rows are sorted once, by when they happened. A set
    of `count` within `days` holding a row is then `count` rows next to each other
    in that order: the row is held when, for some k below `count`, the row k
    before it and the row `count` - 1 - k after it are within `days` (a `lag` and
    a `lead`, all in that one order; the repeats and their places in it too).
    Two kinds of rows come back, with each repeat's `cluster` number: its first
    `listed` rows (`rn` from 1; at least the first; the first only, beyond the
    first `shown` repeats when given), and per branch its rows' count `n`, first
    and last moment (`rn` 0); each with its repeat's `place` in the page's order."""
    moment, span = _moment_and_span(Incident.occurred_at, days)
    b = (
        window.with_only_columns(*LISTED_COLUMNS, moment.label("t"))
        .where(Incident.person_id.is_not(None))
        .subquery()
    )
    in_order: dict[str, Any] = {
        "partition_by": (b.c.person_id, b.c.category),
        "order_by": (b.c.occurred_at, b.c.id),
    }

    def moment_of(offset: int) -> Any:
        """The moment of the row `offset` rows after this one (before: negative)."""
        if offset == 0:
            return b.c.t
        step = func.lead if offset > 0 else func.lag
        return step(b.c.t, abs(offset)).over(**in_order)

    def held_by(size: int, first: range) -> ColumnElement[int]:
        """1 when some `size` rows side by side, the first of them k rows before
        this one (k in `first`), happened within `days` days."""
        within = [moment_of(size - 1 - k) - moment_of(-k) <= span for k in first]
        return case((or_(*within), 1), else_=0)

    # Two rows side by side are held together by a set of at least two.
    pair = max(count, 2)
    l1 = db.select(
        b,
        held_by(count, range(count)).label("held"),
        held_by(pair, range(1, pair)).label("joined"),
        func.row_number().over(**in_order).label("prn"),
    ).subquery()
    starts = case((l1.c.joined == 1, 0), else_=1)
    until_now: dict[str, Any] = {
        "partition_by": (l1.c.person_id, l1.c.category),
        "order_by": (l1.c.occurred_at, l1.c.id),
        "rows": (None, 0),
    }
    repeats = (
        db.select(
            *(l1.c[column.key] for column in LISTED_COLUMNS),
            func.sum(starts).over(**until_now).label("cluster"),
            (l1.c.prn - func.max(case((starts == 1, l1.c.prn))).over(**until_now) + 1).label("rn"),
        )
        .where(l1.c.held == 1)
        .cte("repeats")
    )
    first = db.select(
        *(repeats.c[column.key] for column in LISTED_COLUMNS),
        repeats.c.cluster,
        repeats.c.rn,
        literal(1).label("n"),
        repeats.c.occurred_at.label("last_at"),
    ).where(repeats.c.rn <= max(listed, 1))
    per_branch = db.select(
        *(
            func.min(repeats.c.occurred_at)
            if column.key == "occurred_at"
            else repeats.c[column.key]
            if column.key in {"person_id", "category", "branch_id"}
            else null()
            for column in LISTED_COLUMNS
        ),
        repeats.c.cluster,
        literal(0),
        func.count(),
        func.max(repeats.c.occurred_at),
    ).group_by(repeats.c.person_id, repeats.c.category, repeats.c.cluster, repeats.c.branch_id)
    u = union_all(first, per_branch).subquery()
    in_page_order = (PersonSupported.ref, u.c.person_id, u.c.category, u.c.cluster)
    found = (
        db.select(
            u,
            PersonSupported.ref,
            func.dense_rank().over(order_by=in_page_order).label("place"),
        )
        .outerjoin(PersonSupported, PersonSupported.id == u.c.person_id)
        .subquery()
    )
    # Only the first `shown` repeats (`place`) list their incidents; the rest
    # keep their first (the pattern's identity).
    stmt = db.select(found).order_by(
        found.c.ref, found.c.person_id, found.c.category, found.c.cluster, found.c.rn
    )
    if shown is not None:
        stmt = stmt.where(or_(found.c.rn <= 1, found.c.place <= shown))
    return list(db.session.execute(stmt))


def reviewed_rows(window: Select[Any]) -> list[Any]:
    """The window's incidents that reviews looked at: a row per incident and review,
    with the review's contributing conditions as the JSON list's text (unnested
    in the database, a list's rows are estimated at a hundred and the plan goes
    wrong; as text, the few different lists are each read once) and the
    person's ref."""
    return list(
        db.session.execute(
            window.with_only_columns(
                *LISTED_COLUMNS,
                PersonSupported.ref,
                cast(LearningReview.conditions, Text).label("conditions"),
            )
            .join(review_incidents, review_incidents.c.incident_id == Incident.id)
            .join(LearningReview, LearningReview.id == review_incidents.c.review_id)
            .outerjoin(PersonSupported, PersonSupported.id == Incident.person_id)
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
        db.select(review_incidents.c.incident_id, cast(LearningReview.conditions, Text))
        .join(LearningReview, LearningReview.id == review_incidents.c.review_id)
        .where(review_incidents.c.incident_id.in_(incident_ids))
    )
    found: dict[str, set[str]] = defaultdict(set)
    for incident_id, conditions in rows:
        found[incident_id].update(named_conditions(conditions))
    return found


@functools.lru_cache(maxsize=1024)
def named_conditions(listed: str | None) -> tuple[str, ...]:
    """A review's conditions from their JSON list's text (the few different lists
    each read once)."""
    return tuple(json.loads(listed or "null") or ())
