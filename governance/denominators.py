"""Monthly denominators and rates: what each branch delivered in a UK calendar
month (visits, people supported, optionally care hours), entered by its
managers, and incidents per 1,000 visits worked out from them.

The rules, in one place:

- A month's rate for a set of branches is (reports in those branches that month)
  / (their visits that month) x 1,000, only when *every* branch in the set has
  figures for the month and the visits add up to more than zero. Otherwise the
  month has no rate (None), never a division by zero and never a rate that mixes
  one branch's reports with another's visits.
- Trends use rates when every whole month of the chart has one; otherwise they
  stay counts (the months that do have a rate still show it in the table,
  labelled). See `rates_cover`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from core import dates, scoping, trail
from core.dates import month_key, month_label
from core.errors import Invalid, Stale
from core.models import Branch, Role, User
from core.permissions import require_role
from core.saving import check_version, commit
from extensions import db
from governance.models import Denominator
from incidents.models import Incident

# The caller's session: Flask-SQLAlchemy's `db.session` or a plain one.
AnySession = Session | scoped_session[Any]

PER = 1000  # rates are per 1,000 visits
# The months the denominators page lists (this one and the 12 before it: every
# month the dashboard's longest period can show).
PAGE_MONTHS = 13


@dataclass(frozen=True)
class Totals:
    """A month's figures added up over a set of branches."""

    visits: int
    people_supported: int
    care_hours: int | None  # None unless every branch gave them


@dataclass(frozen=True)
class MonthFigure:
    """One month of a set of branches: its reports (incidents and near misses),
    its denominators when every branch has them, and the rate."""

    month: str  # YYYY-MM
    label: str  # "Nov 2026"
    count: int
    visits: int | None
    people_supported: int | None
    care_hours: int | None
    rate_per_1000_visits: float | None


def rate_per_1000(count: int, visits: int | None) -> float | None:
    """Reports per 1,000 visits; None with no visits (unknown or zero), never a
    division error."""
    if not visits:
        return None
    return count * PER / visits


def totals_by_month(
    session: AnySession, branch_ids: Sequence[int], months: Sequence[str]
) -> dict[str, Totals | None]:
    """Each month's figures summed over the branches; None for a month that some
    branch has no figures for."""
    wanted = set(branch_ids)
    rows = session.scalars(
        db.select(Denominator)
        .where(Denominator.branch_id.in_(wanted))
        .where(Denominator.month.in_(list(months)))
    ).all()
    found: dict[str, list[Denominator]] = {m: [] for m in months}
    for row in rows:
        found[row.month].append(row)
    result: dict[str, Totals | None] = {}
    for month, entries in found.items():
        if not wanted or {e.branch_id for e in entries} != wanted:
            result[month] = None
            continue
        hours = [e.care_hours for e in entries]
        result[month] = Totals(
            visits=sum(e.visits for e in entries),
            people_supported=sum(e.people_supported for e in entries),
            care_hours=None if any(h is None for h in hours) else sum(h or 0 for h in hours),
        )
    return result


def _counts(
    session: AnySession, branch_ids: Sequence[int], months: Sequence[str], user: User | None
) -> Counter[str]:
    keys = sorted(months)
    period = dates.Period(
        date.fromisoformat(f"{keys[0]}-01"),
        dates.add_months(date.fromisoformat(f"{keys[-1]}-01"), 1) - timedelta(days=1),
    )
    stmt = (
        db.select(Incident.occurred_at)
        .where(Incident.branch_id.in_(list(branch_ids)))
        .where(Incident.occurred_at >= period.starts_at, Incident.occurred_at < period.ends_at)
    )
    if user is not None:
        stmt = scoping.scoped(stmt, user, Incident)
    wanted = set(months)
    return Counter(k for k in map(month_key, session.scalars(stmt)) if k in wanted)


def monthly_rates(
    session: AnySession,
    branch_ids: Sequence[int],
    months: Sequence[str],
    *,
    user: User | None = None,
) -> list[MonthFigure]:
    """For each month ("YYYY-MM", in the order given): the reports (incidents and
    near misses, by when they happened, UK time) in these branches, their visits
    and people supported summed over the branches, and reports per 1,000 visits
    (None when a branch has no figures for the month or there were no visits).
    With `user`, only the reports that user may see are counted, as on their
    dashboard; without, every report in the branches (the caller scopes)."""
    if not months:
        return []
    counts = _counts(session, branch_ids, months, user)
    totals = totals_by_month(session, branch_ids, months)
    figures = []
    for month in months:
        found = totals[month]
        figures.append(
            MonthFigure(
                month=month,
                label=month_label(month),
                count=counts[month],
                visits=found.visits if found else None,
                people_supported=found.people_supported if found else None,
                care_hours=found.care_hours if found else None,
                rate_per_1000_visits=rate_per_1000(counts[month], found.visits if found else None),
            )
        )
    return figures


def rates_cover(months: Sequence[dict[str, Any]]) -> bool:
    """Whether a chart of these months (the dashboard's month rows) can show rates:
    every whole month has one. The month not yet over is not asked (its visits
    are usually entered after it ends)."""
    whole = [m for m in months if m["complete"]]
    return bool(whole) and all(m.get("rate") is not None for m in whole)


# --- the page ---------------------------------------------------------------------------------


def page_months(today: date) -> list[str]:
    """The months a manager may enter figures for, newest first: this month and
    the 12 before it."""
    first = today.replace(day=1)
    return [dates.add_months(first, -n).strftime("%Y-%m") for n in range(PAGE_MONTHS)]


def branch_of(user: User, code: str | None) -> Branch:
    """One of the manager's branches by code (the first of theirs without one)."""
    mine = scoping.branches_for(user)
    if not mine:
        raise Invalid({"branch": ["You have no branches to enter figures for."]})
    if not code:
        return mine[0]
    for branch in mine:
        if branch.code == code:
            return branch
    raise Invalid({"branch": ["Choose one of your branches."]})


def months_for_page(branch: Branch, today: date) -> list[dict[str, Any]]:
    """Each month the page lists, with the branch's figures if entered."""
    keys = page_months(today)
    found = {
        row.month: row
        for row in db.session.scalars(
            db.select(Denominator)
            .where(Denominator.branch_id == branch.id)
            .where(Denominator.month.in_(keys))
        )
    }
    return [{"month": key, "label": month_label(key), "row": found.get(key)} for key in keys]


def save(user: User, data: dict[str, Any], today: date) -> Denominator:
    """Enter or correct one branch's figures for one month (a manager of that
    branch; a month on the page). A correction needs the version the form was
    opened at (none for a month that had no figures): someone else's save in
    between is `Stale`, and nothing is saved."""
    require_role(user, {Role.MANAGER})
    branch = branch_of(user, data["branch"])
    if data["month"] not in page_months(today):
        raise Invalid({"month": ["Choose a month from the list."]})
    row: Denominator | None = db.session.scalar(
        db.select(Denominator)
        .where(Denominator.branch_id == branch.id)
        .where(Denominator.month == data["month"])
    )
    values = {k: data.get(k) for k in ("visits", "people_supported", "care_hours")}
    if row is None:
        if data.get("version") is not None:
            raise Stale  # the form was opened on a record that is gone
        row = Denominator(branch_id=branch.id, month=data["month"], updated_by_id=user.id, **values)
        db.session.add(row)
        try:
            db.session.flush()
        except IntegrityError:  # someone else entered this month meanwhile
            db.session.rollback()
            raise Stale from None
        trail.record(
            user, "create", "denominator", row.id, branch=branch.code, month=row.month, **values
        )
    else:
        # The page always sends the version its form was opened at: none means
        # the month was empty then, so someone else has entered it since.
        if data.get("version") is None:
            raise Stale
        check_version(row, data["version"])
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            before = {k: getattr(row, k) for k in changed}
            for key, value in changed.items():
                setattr(row, key, value)
            row.updated_by_id = user.id
            row.updated_at = dates.utcnow()
            trail.record(
                user, "update", "denominator", row.id, branch=branch.code, month=row.month,
                before=before, after=changed,
            )  # fmt: skip
    commit()
    return row
