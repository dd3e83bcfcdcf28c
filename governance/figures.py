"""The governance dashboard's figures for a manager's branches and a period of whole UK
months: incidents and near misses, themes, duties, actions, spot checks, learning
shared and open patterns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func

from actions import queries, strength
from actions.models import Action, ActionStatus
from audits.models import Audit, AuditTemplate
from core import scoping
from core.buckets import month_of
from core.dates import UK, Period, add_months, month_label, uk_midnight, utcnow
from core.errors import Invalid
from core.models import Branch, Role, User
from core.permissions import require_role
from extensions import db
from governance import denominators, recalculation
from governance.spc import FIRM_SPC_MONTHS, MIN_SPC_MONTHS, analyse, share
from incidents import month_counts
from incidents.models import (
    PLACES,
    Category,
    DecisionStatus,
    Harm,
    Incident,
    IncidentDecision,
    Kind,
    label,
    place_label,
)
from learning import bulletins as bulletin_rules
from learning import patterns as pattern_rules
from learning.models import Bulletin, Condition, LearningReview, ReviewStatus

# The shape of the figures a meeting freezes (see meetings.record_meeting).
SNAPSHOT_VERSION = 1
PERIOD_CHOICES = (3, 6, 12)


DEFAULT_MONTHS = 12

# What the trend chart's vertical axis counts.
AXIS_LABELS = {"count": "Reports per month", "rate": "Reports per 1,000 visits"}


def choose_branches(user: User, code: str | None) -> list[Branch]:
    """The branches a dashboard or meeting covers: one of the manager's branches
    by code, or (no code) all of them."""
    mine = scoping.branches_for(user)
    if not code:
        return mine
    chosen = [b for b in mine if b.code == code]
    if not chosen:
        raise Invalid({"branch": ["Choose one of your branches."]})
    return chosen


def _incident_rows(user: User, branch_ids: list[int], period: Period) -> list[Any]:
    """(month, kind, harm, category, place, n) of the incidents of `period` the user
    may see. A manager sees every incident of their branches (safeguarding ones
    too), which is what the summary counts: its whole months come from there, a
    period's part-months (a meeting's own dates) from the incidents. Anyone else
    (whose scope the summary cannot express) gets every count from the incidents."""
    if user.role != Role.MANAGER:
        return _live_rows(user, branch_ids, period.months, period.starts_at, period.ends_at)
    mine = [b for b in branch_ids if b in set(user.branch_ids)]
    whole = period.whole_months
    if not whole:
        return _live_rows(user, mine, period.months, period.starts_at, period.ends_at)
    rows = month_counts.counted_rows(mine, whole)
    first = uk_midnight(date.fromisoformat(f"{whole[0]}-01"))
    after = uk_midnight(add_months(date.fromisoformat(f"{whole[-1]}-01"), 1))
    if period.starts_at < first:
        rows += _live_rows(user, mine, [period.months[0]], period.starts_at, first)
    if after < period.ends_at:
        rows += _live_rows(user, mine, [period.months[-1]], after, period.ends_at)
    return rows


def _live_rows(
    user: User, branch_ids: list[int], months: list[str], start: datetime, end: datetime
) -> list[Any]:
    """As _incident_rows, counted by the database from the incidents themselves."""
    month = month_of(Incident.occurred_at, months).label("month")
    return list(
        db.session.execute(
            scoping.scoped(
                db.select(
                    month,
                    Incident.kind,
                    Incident.harm,
                    Incident.category,
                    Incident.place,
                    func.count().label("n"),
                ),
                user,
                Incident,
            )
            .where(Incident.branch_id.in_(branch_ids))
            .where(Incident.occurred_at >= start, Incident.occurred_at < end)
            .group_by(month, Incident.kind, Incident.harm, Incident.category, Incident.place)
        ).all()
    )


def _incident_figures(
    user: User, branch_ids: list[int], period: Period, now: datetime, recalculate_from: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    # Counted per month, kind, harm, category and place (one row each).
    rows = _incident_rows(user, branch_ids, period)
    complete = set(period.complete_months(now))
    by_month: dict[str, Counter[str]] = {key: Counter() for key in period.months}
    harm: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    # Falls themed by where they happened (None: no place chosen).
    fall_places: Counter[str | None] = Counter()
    for key, kind, harm_level, category, place, n in rows:
        by_month[key][kind] += n
        harm[harm_level] += n
        categories[category] += n
        if category == Category.FALL.value:
            fall_places[place if place in PLACES else None] += n
    months: list[dict[str, Any]] = [
        {
            "month": key,
            "label": month_label(key),
            "incidents": counts[Kind.INCIDENT.value],
            "near_misses": counts[Kind.NEAR_MISS.value],
            "total": counts.total(),
            "complete": key in complete,
        }
        for key, counts in by_month.items()
    ]
    measure = _add_rates(months, branch_ids)
    near = sum(m["near_misses"] for m in months)
    total = sum(m["total"] for m in months)
    incidents = {
        "months": months,
        "measure": measure,
        "months_with_rate": sum(1 for m in months if m["rate"] is not None),
        "total": total,
        "near_misses": near,
        "near_miss_share": share(near, total),
        "harm": [{"value": h.value, "label": label(h.value), "count": harm[h.value]} for h in Harm],
        "categories": [
            {"value": c.value, "label": label(c.value), "count": categories[c.value]}
            for c in sorted(Category, key=lambda c: -categories[c.value])
            if categories[c.value]
        ],
        "fall_places": [
            {"value": p, "label": place_label(p), "count": fall_places[p]}
            for p in sorted(PLACES, key=lambda p: (-fall_places[p], PLACES.index(p)))
            if fall_places[p]
        ]
        + (
            [{"value": "", "label": "No place chosen", "count": fall_places[None]}]
            if fall_places[None]
            else []
        ),
    }
    spc = _spc(months, recalculate_from, measure)
    return incidents, spc


def _add_rates(months: list[dict[str, Any]], branch_ids: list[int]) -> str:
    """Each month's visits and reports per 1,000 visits (None without figures for
    every branch, or with no visits); returns what the trend shows: "rate" when
    every whole month has one, else "count" (governance.denominators)."""
    totals = denominators.totals_by_month(db.session, branch_ids, [m["month"] for m in months])
    for month in months:
        found = totals[month["month"]]
        month["visits"] = found.visits if found else None
        month["people_supported"] = found.people_supported if found else None
        month["rate"] = denominators.rate_per_1000(month["total"], month["visits"])
    return "rate" if denominators.rates_cover(months) else "count"


def _spc(
    months: list[dict[str, Any]], recalculate_from: list[str], measure: str = "count"
) -> dict[str, Any]:
    """The XmR chart of whole months (governance.spc): from the first month with
    data, stepped at each recalculation month, as JSON-ready data. XmR for
    counts and for rates per 1,000 visits alike (`measure`), as Making Data
    Count advises for both."""
    used = [m for m in months if m["complete"]]
    keys = [m["month"] for m in used]
    rates = measure == "rate"
    analysis = analyse(
        [m["label"] for m in used],
        [m["rate"] if rates else m["total"] for m in used],
        recalculate_from=[keys.index(k) for k in recalculate_from if k in keys],
        unit="reports per 1,000 visits" if rates else "reports",
    )
    index_of = {m["month"]: i for i, m in enumerate(months)}

    def at(i: int) -> int:
        return int(index_of[used[i]["month"]])

    latest = analysis.latest
    phases = [
        {
            "first": at(p.first),
            "last": at(p.last),
            "from_label": used[p.first]["label"],
            "months": p.size,
            "centre": p.limits.centre if p.limits else None,
            "upper": p.limits.upper if p.limits else None,
            "lower": p.limits.lower if p.limits else None,
            "provisional": p.provisional,
        }
        for p in analysis.phases
    ]
    return {
        "method": "xmr",
        "measure": measure,
        "axis_label": AXIS_LABELS[measure],
        "enough": analysis.enough,
        "months_used": analysis.months_used,
        "months_before_data": analysis.start if analysis.start is not None else len(used),
        "min_months": MIN_SPC_MONTHS,
        "firm_months": FIRM_SPC_MONTHS,
        "centre": latest.limits.centre if latest and latest.limits else None,
        "upper": latest.limits.upper if latest and latest.limits else None,
        "lower": latest.limits.lower if latest and latest.limits else None,
        "phases": phases,
        "recalculated_from": [p["from_label"] for p in phases[1:]],
        "signals": [s.text for s in analysis.signals],
        "signal_months": [[at(i) for i in s.points] for s in analysis.signals],
    }


def _themes(user: User, branch_ids: list[int], period: Period) -> dict[str, Any]:
    conditions = db.session.scalars(
        scoping.scoped(db.select(LearningReview.conditions), user, LearningReview)
        .where(LearningReview.branch_id.in_(branch_ids))
        .where(LearningReview.status == ReviewStatus.COMPLETED.value)
        .where(
            LearningReview.completed_at >= period.starts_at,
            LearningReview.completed_at < period.ends_at,
        )
    ).all()
    counts: Counter[str] = Counter()
    for named in conditions:
        counts.update(set(named or []))
    order = {c.value: i for i, c in enumerate(Condition)}
    return {
        "reviews": len(conditions),
        "conditions": [
            {"value": value, "label": Condition(value).label, "count": n}
            for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], 99)))
            if value in order
        ],
    }


def _duties(user: User, branch_ids: list[int], period: Period, now: datetime) -> dict[str, Any]:
    incident_ids = (
        scoping.scoped(db.select(Incident.id), user, Incident)
        .where(Incident.branch_id.in_(branch_ids))
        .scalar_subquery()
    )
    done, due_at = IncidentDecision.done_at, IncidentDecision.due_at
    counts = db.session.execute(
        db.select(
            func.count(),
            func.count(case((done <= due_at, 1))),
            func.count(case((done > due_at, 1))),
            # IncidentDecision.is_overdue (those that do not apply are left out above).
            func.count(case((done.is_(None) & (due_at < now), 1))),
        )
        .where(IncidentDecision.incident_id.in_(incident_ids))
        .where(IncidentDecision.status != DecisionStatus.DOES_NOT_APPLY.value)
        .where(due_at >= period.starts_at, due_at < period.ends_at)
    ).one()
    total, on_time, late, overdue = (int(n) for n in counts)
    return {
        "due": total,
        "on_time": on_time,
        "late": late,
        "overdue": overdue,
        "not_yet_due": total - on_time - late - overdue,
    }


def _actions(user: User, branch_ids: list[int], period: Period, today: date) -> dict[str, Any]:
    start, end = period.starts_at, period.ends_at

    def within(column: Any) -> Any:
        return (column >= start) & (column < end)

    mine = queries.visible_actions(user).where(Action.branch_id.in_(branch_ids)).order_by(None)
    verified = within(Action.verified_at)
    counts = db.session.execute(
        mine.with_only_columns(
            func.count(case((within(Action.done_at), 1))),
            func.count(case((verified & (Action.status == ActionStatus.VERIFIED_EFFECTIVE), 1))),
            func.count(case((verified & (Action.status == ActionStatus.NOT_EFFECTIVE), 1))),
            # due.is_overdue, for actions raised before the period ended.
            func.count(
                case(
                    (
                        (Action.created_at < end)
                        & (Action.status == ActionStatus.OPEN.value)
                        & (Action.due < today),
                        1,
                    )
                )
            ),
        )
    ).one()
    # Strength is a rule on the wording: each wording raised in the period, once.
    raised = db.session.execute(
        mine.with_only_columns(Action.title, Action.detail, func.count())
        .where(within(Action.created_at))
        .group_by(Action.title, Action.detail)
    ).all()
    figures = {
        "raised": sum(n for _, _, n in raised),
        "weaker": sum(
            n for title, detail, n in raised if strength.action_strength(title, detail).is_weak
        ),
    }
    for name, n in zip(
        ("done", "verified_effective", "not_effective", "overdue"), counts, strict=True
    ):
        figures[name] = int(n)
    return figures


def _spot_checks(user: User, branch_ids: list[int], period: Period) -> list[dict[str, Any]]:
    month = month_of(Audit.conducted_at, period.months).label("month")
    rows = db.session.execute(
        scoping.scoped(
            db.select(
                AuditTemplate.slug,
                month,
                func.count(),
                func.avg(Audit.score),
                func.max(Audit.conducted_at),
            )
            .select_from(Audit)
            .join(AuditTemplate, Audit.template_id == AuditTemplate.id),
            user,
            Audit,
        )
        .where(Audit.branch_id.in_(branch_ids))
        .where(Audit.conducted_at >= period.starts_at, Audit.conducted_at < period.ends_at)
        .group_by(AuditTemplate.slug, month)
    ).all()
    # Each checklist's title as its latest version used in the period has it.
    latest: dict[str, tuple[datetime, str]] = {}
    if rows:
        for slug, title, conducted_at in db.session.execute(
            scoping.scoped(
                db.select(AuditTemplate.slug, AuditTemplate.title, func.max(Audit.conducted_at))
                .select_from(Audit)
                .join(AuditTemplate, Audit.template_id == AuditTemplate.id),
                user,
                Audit,
            )
            .where(Audit.branch_id.in_(branch_ids))
            .where(Audit.conducted_at >= period.starts_at, Audit.conducted_at < period.ends_at)
            .group_by(AuditTemplate.slug, AuditTemplate.title)
        ):
            if slug not in latest or conducted_at > latest[slug][0]:
                latest[slug] = (conducted_at, title)
    result = [
        {
            "template": slug,
            "title": latest[slug][1],
            "month": key,
            "label": month_label(key),
            "count": int(count),
            "average": round(float(average), 1) if average is not None else None,
        }
        for slug, key, count, average, _ in rows
    ]
    result.sort(key=lambda r: (r["title"], r["month"]))
    return result


def _bulletins(user: User, branch_ids: list[int], period: Period) -> dict[str, Any]:
    bulletins = list(
        db.session.scalars(
            bulletin_rules.visible_bulletins(user)
            .where(Bulletin.branches.any(Branch.id.in_(branch_ids)))
            .where(
                Bulletin.published_at >= period.starts_at, Bulletin.published_at < period.ends_at
            )
            .order_by(Bulletin.published_at)
        )
    )
    counts = bulletin_rules.read_counts(bulletins, branch_ids)
    rows = [
        {
            "id": b.id,
            "title": b.title,
            "published": b.published_at.astimezone(UK).date().isoformat(),
            "read": counts[b.id][0],
            "audience": counts[b.id][1],
        }
        for b in bulletins
    ]
    read = sum(r["read"] for r in rows)
    audience = sum(r["audience"] for r in rows)
    return {
        "published": len(rows),
        "rows": rows,
        "read": read,
        "audience": audience,
        "share": share(read, audience),
    }


def _patterns(
    user: User, branch_ids: list[int], settings: pattern_rules.PatternSettings, now: datetime
) -> list[dict[str, Any]]:
    wanted = set(branch_ids)
    report = pattern_rules.find_patterns(user, settings, now, listed=0)
    return [
        {
            "key": p.key,
            "title": p.title,
            "detail": p.detail,
            "incidents": p.count,
            "review_id": p.review.id if p.review is not None else None,
            "review_title": p.review.title if p.review is not None else None,
        }
        for p in report.all
        if not p.fully_reviewed and p.branch_ids & wanted
    ]


def dashboard_figures(
    user: User,
    branches: Sequence[Branch],
    period: Period,
    *,
    now: datetime | None = None,
    pattern_settings: pattern_rules.PatternSettings | None = None,
) -> dict[str, Any]:
    """Every figure the dashboard shows, as plain JSON-ready data: the same
    structure is frozen into a meeting's snapshot and drawn by the same template."""
    require_role(user, {Role.MANAGER})
    now = now or utcnow()
    today = now.astimezone(UK).date()
    branch_ids = [b.id for b in branches]
    settings = pattern_settings or pattern_rules.PatternSettings()
    incidents, spc = _incident_figures(
        user, branch_ids, period, now, recalculation.months_for(branches)
    )
    return {
        "version": SNAPSHOT_VERSION,
        "computed_at": now.isoformat(),
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "months": period.months,
        },
        "branches": [b.code for b in branches],
        "incidents": incidents,
        "spc": spc,
        "themes": _themes(user, branch_ids, period),
        "duties": _duties(user, branch_ids, period, now),
        "actions": _actions(user, branch_ids, period, today),
        "spot_checks": _spot_checks(user, branch_ids, period),
        "bulletins": _bulletins(user, branch_ids, period),
        "patterns": _patterns(user, branch_ids, settings, now),
        "patterns_days": settings.lookback_days,
    }
