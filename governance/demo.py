"""Demo denominators: plausible visits, people supported and care hours for each
demo branch in each of the 12 months before this one (so the 12-month dashboard
shows rates per 1,000 visits). Deterministic; running it again adds nothing that
is already there."""

from __future__ import annotations

import calendar
import random
from datetime import date

from core.dates import add_months, uk_today
from core.models import Branch, PersonSupported, User
from extensions import db
from governance.models import Denominator

DEMO_MONTHS = 12
VISITS_PER_PERSON_PER_DAY = 3.2  # breakfast, lunch, tea and some bedtime calls
HOURS_PER_VISIT = 0.55  # mostly 30-minute calls, some longer


def seed_denominators(today: date | None = None) -> list[str]:
    manager = db.session.scalar(db.select(User).where(User.email == "manager@example.com"))
    if manager is None:
        return []
    first = (today or uk_today()).replace(day=1)
    added = 0
    for branch in db.session.scalars(db.select(Branch).order_by(Branch.code)):
        people = db.session.scalar(
            db.select(db.func.count(PersonSupported.id))
            .where(PersonSupported.branch_id == branch.id)
            .where(PersonSupported.active.is_(True))
        )
        if not people:
            continue
        existing = set(
            db.session.scalars(
                db.select(Denominator.month).where(Denominator.branch_id == branch.id)
            )
        )
        for back in range(1, DEMO_MONTHS + 1):
            month = add_months(first, -back)
            key = month.strftime("%Y-%m")
            if key in existing:
                continue
            rng = random.Random(f"candour-demo-denominators:{branch.code}:{key}")  # noqa: S311
            days = calendar.monthrange(month.year, month.month)[1]
            visits = round(people * VISITS_PER_PERSON_PER_DAY * days * rng.uniform(0.94, 1.04))
            db.session.add(
                Denominator(
                    branch_id=branch.id,
                    month=key,
                    visits=visits,
                    people_supported=people,
                    care_hours=round(visits * HOURS_PER_VISIT),
                    updated_by_id=manager.id,
                )
            )
            added += 1
    db.session.commit()
    return [f"Demo visits and people supported: {added} branch-months added."]
