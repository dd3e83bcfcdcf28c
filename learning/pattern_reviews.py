"""A pattern and its thematic reviews: which review covers most of a pattern's
incidents (counted without loading them), and a pattern's incidents found again
from its identity (key and window) when a thematic review starts from it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select
from sqlalchemy.orm import lazyload

from core import scoping
from core.models import Branch, PersonSupported, User
from extensions import db
from incidents.models import Incident
from incidents.services import visible_incidents
from learning import pattern_sql
from learning.models import LearningReview, ReviewMethod, review_incidents

if TYPE_CHECKING:
    from learning.patterns import Pattern


def _links(user: User, window: Select[Any]) -> list[Any]:
    """(review, its start, incident and the incident's buckets) for every thematic
    review in scope of any incident of the look-back."""
    reviews = (
        scoping.scoped(
            db.select(LearningReview.id, LearningReview.started_at), user, LearningReview
        )
        .where(LearningReview.method == ReviewMethod.THEMATIC.value)
        .subquery()
    )
    stmt = (
        window.with_only_columns(
            reviews.c.id.label("review_id"),
            reviews.c.started_at,
            Incident.id,
            Incident.category,
            Incident.branch_id,
            Incident.team_id,
            Incident.person_id,
            Incident.occurred_at,
            pattern_sql.time_band_of(Incident.occurred_at, Incident.occurred_offset).label("band"),
            pattern_sql.local_weekday(Incident.occurred_at, Incident.occurred_offset).label(
                "weekday"
            ),
        )
        .join(review_incidents, review_incidents.c.incident_id == Incident.id)
        .join(reviews, reviews.c.id == review_incidents.c.review_id)
        .order_by(reviews.c.started_at.desc(), reviews.c.id.desc())
    )
    return list(db.session.execute(stmt))


def _matches(link: Any, conditions: Mapping[str, set[str]]) -> list[tuple[Any, ...]]:
    """The selectors a linked incident falls under."""
    c = link.category
    keys: list[tuple[Any, ...]] = [
        ("branch", c, link.branch_id),
        ("team", c, link.team_id),
        ("time_of_day", c, int(link.band)),
        ("weekday", c, int(link.weekday)),
        ("repeat", c, link.person_id),
    ]
    keys += [("condition", c, condition) for condition in conditions.get(link.id, ())]
    return keys


def attach_reviews(
    user: User, patterns: Sequence[Pattern], window: Select[Any], conditions: Mapping[str, set[str]]
) -> None:
    """Link each pattern to the thematic review (within scope) that covers most
    of its incidents, the latest first on a tie, so managers see what is already
    being looked at. One statement for the links, one for the reviews chosen."""
    by_selector: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for n, pattern in enumerate(patterns):
        by_selector[pattern.selector].append(n)
    covered: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    order: list[int] = []
    for link in _links(user, window):
        if not order or order[-1] != link.review_id:
            order.append(link.review_id)
        for selector in _matches(link, conditions):
            for n in by_selector.get(selector, ()):
                pattern = patterns[n]
                if pattern.kind == "repeat" and not (
                    pattern.start <= link.occurred_at <= pattern.end
                ):
                    continue
                covered[n][link.review_id] += 1
    best: dict[int, tuple[int, int]] = {}
    for n, counts in covered.items():
        top = max(counts.values())
        best[n] = (next(r for r in order if counts.get(r) == top), top)
    chosen = {r for r, _ in best.values()}
    # Asked whether or not any was chosen: a page's statements stay the same.
    loaded = {
        r.id: r
        for r in db.session.scalars(
            db.select(LearningReview)
            .options(lazyload(LearningReview.incidents))
            .where(LearningReview.id.in_(chosen))
        )
    }
    for n, pattern in enumerate(patterns):
        review_id, count = best.get(n, (0, 0))
        pattern.review, pattern.covered = loaded.get(review_id), count


# --- a pattern's incidents again, from its identity ------------------------------------------


def pattern_incidents(user: User, key: str, start: datetime, end: datetime) -> list[Incident]:
    """The incidents in `user`'s scope of the pattern `key` that happened between
    `start` and `end`: what a thematic review started from the pattern covers.
    Empty for a key that names no pattern."""
    kind, _, rest = key.partition(":")
    window = visible_incidents(user).where(
        Incident.occurred_at >= start, Incident.occurred_at <= end
    )
    stmt: Select[Any] | None
    value = ""
    try:
        if kind == "repeat":
            ref, category, _ = rest.rsplit(":", 2)
            person = db.select(PersonSupported.id).where(PersonSupported.ref == ref)
            stmt = window.where(Incident.person_id.in_(person))
        else:
            category, value = rest.split(":", 1)
            stmt = _bucket(window, kind, category, value)
    except ValueError:
        return []
    if stmt is None:
        return []
    found = list(
        db.session.scalars(
            stmt.where(Incident.category == category).order_by(Incident.occurred_at, Incident.id)
        )
    )
    if kind == "condition":
        named = pattern_sql.conditions_by_incident([i.id for i in found])
        found = [i for i in found if value in named.get(i.id, ())]
    return found


def _bucket(stmt: Select[Any], kind: str, category: str, value: str) -> Select[Any] | None:
    if kind == "condition":
        return stmt
    if kind == "branch":
        return stmt.where(Incident.branch_id.in_(db.select(Branch.id).where(Branch.code == value)))
    kinds = {"team": "team", "time": "time_of_day", "weekday": "weekday"}
    if kind not in kinds:
        return None
    return stmt.where(pattern_sql.hotspot_condition(kinds[kind], int(value)))
