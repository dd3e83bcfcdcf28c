"""A commissioner's quarterly report: every figure in one function
(`commissioner_figures`), so that rates per 1,000 visits can join the counts in
one place once monthly denominators exist (governance.denominators): counts,
themes, actions completed and verified, and repeat incidents per person.

Anonymised throughout: people supported appear only as "Person 1", "Person 2"
(numbered afresh in each report, exports.pseudonyms), never by name or
reference; no free text at all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_

from actions import queries
from actions.models import Action, ActionStatus
from core import scoping
from core.dates import Period, month_key, month_label
from core.models import Branch, PersonSupported, User
from exports.pseudonyms import Pseudonyms
from extensions import db
from governance.denominators import monthly_rates
from incidents.models import Category, Harm, Incident, Kind, label
from learning.models import Condition, LearningReview, ReviewStatus

# Two or more incidents for one person in the period make a repeat.
REPEAT_AT = 2


def commissioner_figures(user: User, branches: Sequence[Branch], period: Period) -> dict[str, Any]:
    """Every figure of the commissioner's report, within the caller's scope."""
    branch_ids = [b.id for b in branches]
    incidents = db.session.execute(
        scoping.scoped(
            db.select(
                Incident.occurred_at,
                Incident.kind,
                Incident.harm,
                Incident.category,
                Incident.person_id,
            ),
            user,
            Incident,
        )
        .where(Incident.branch_id.in_(branch_ids))
        .where(Incident.occurred_at >= period.starts_at, Incident.occurred_at < period.ends_at)
        .order_by(Incident.occurred_at)
    ).all()
    months: dict[str, Counter[str]] = {key: Counter() for key in period.months}
    harm: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    per_person: dict[int, Counter[str]] = {}
    for occurred_at, kind, harm_level, category, person_id in incidents:
        months[month_key(occurred_at)][kind] += 1
        harm[harm_level] += 1
        categories[category] += 1
        if person_id is not None:
            per_person.setdefault(person_id, Counter())[category] += 1
    # Visits and rates per 1,000 visits, month by month, where the branches'
    # managers entered them (governance.denominators: the same rule as the dashboard).
    rates = {
        m.month: m for m in monthly_rates(db.session, branch_ids, list(period.months), user=user)
    }
    names = Pseudonyms()
    people = {
        p.id: p
        for p in db.session.scalars(
            db.select(PersonSupported).where(PersonSupported.id.in_(list(per_person)))
        )
    }
    repeats = [
        {
            "person": names.person(people.get(person_id)),
            "incidents": counts.total(),
            "kinds": ", ".join(
                f"{label(c).lower()} {n}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1])
            ),
        }
        for person_id, counts in sorted(per_person.items(), key=lambda kv: -kv[1].total())
        if counts.total() >= REPEAT_AT
    ]
    conditions: Counter[str] = Counter()
    reviews = db.session.scalars(
        scoping.scoped(db.select(LearningReview.conditions), user, LearningReview)
        .where(LearningReview.branch_id.in_(branch_ids))
        .where(LearningReview.status == ReviewStatus.COMPLETED.value)
        .where(
            LearningReview.completed_at >= period.starts_at,
            LearningReview.completed_at < period.ends_at,
        )
    ).all()
    for named in reviews:
        conditions.update(set(named or []))
    actions = db.session.scalars(
        queries.visible_actions(user)
        .where(Action.branch_id.in_(branch_ids))
        .where(
            or_(
                (Action.done_at >= period.starts_at) & (Action.done_at < period.ends_at),
                (Action.verified_at >= period.starts_at) & (Action.verified_at < period.ends_at),
            )
        )
    ).all()
    return {
        "total": len(incidents),
        "incidents": sum(1 for r in incidents if r.kind == Kind.INCIDENT.value),
        "near_misses": sum(1 for r in incidents if r.kind == Kind.NEAR_MISS.value),
        "months": [
            {
                "month": key,
                "label": month_label(key),
                "incidents": c[Kind.INCIDENT.value],
                "near_misses": c[Kind.NEAR_MISS.value],
                "total": c.total(),
                "visits": rates[key].visits if key in rates else None,
                "rate": rates[key].rate_per_1000_visits if key in rates else None,
            }
            for key, c in months.items()
        ],
        "harm": [{"label": label(h.value), "count": harm[h.value]} for h in Harm],
        "categories": [
            {"label": label(c.value), "count": categories[c.value]}
            for c in sorted(Category, key=lambda c: -categories[c.value])
            if categories[c.value]
        ],
        "reviews": len(reviews),
        "themes": [
            {"label": c.label, "count": conditions[c.value]}
            for c in sorted(Condition, key=lambda c: -conditions[c.value])
            if conditions[c.value]
        ],
        "actions_done": sum(1 for a in actions if a.done_at and period.contains(a.done_at)),
        "actions_verified": sum(
            1
            for a in actions
            if a.verified_at
            and period.contains(a.verified_at)
            and a.status == ActionStatus.VERIFIED_EFFECTIVE.value
        ),
        "actions_not_effective": sum(
            1
            for a in actions
            if a.verified_at
            and period.contains(a.verified_at)
            and a.status == ActionStatus.NOT_EFFECTIVE.value
        ),
        "people_with_incidents": len(per_person),
        "repeat_at": REPEAT_AT,
        "repeats": repeats,
        # Whether any month has a rate per 1,000 visits (the table shows the column then).
        "rates": any(m.rate_per_1000_visits is not None for m in rates.values()),
    }
