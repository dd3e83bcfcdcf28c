"""Governance: the dashboard's figures for a period and some branches, the
statistical process control (SPC) rules that tell a real change from the month to
month wobble, and governance meetings with a frozen copy of those figures.

The maths at the top is pure (no database, no request) so it is tested on its own.
The figures reuse the other packages' rules: duties are `IncidentDecision`s and
their `is_overdue`, actions are judged by `learning.services.is_overdue` and
`action_strength`, bulletin readership by `learning.services.read_counts`, patterns
by `learning.patterns.find_patterns`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_

from actions import due, reading, strength
from actions.models import Action, ActionSource, ActionStatus
from actions.sources import SourceInfo
from audits.models import Audit, AuditTemplate
from core import scoping, trail
from core.dates import UK, Period, month_key, month_label, utcnow
from core.errors import Invalid, OutOfScope
from core.forms import record_id
from core.models import Branch, Role, User
from core.permissions import require_role
from extensions import db
from governance.models import GovernanceMeeting
from incidents.models import (
    Category,
    DecisionStatus,
    Harm,
    Incident,
    IncidentDecision,
    Kind,
    label,
)
from learning import bulletins as bulletins_
from learning import patterns as pattern_rules
from learning.models import Bulletin, Condition, LearningReview, ReviewStatus

PERIOD_CHOICES = (3, 6, 12)
DEFAULT_MONTHS = 12
# Fewer complete months than this and the limits would mean little.
MIN_SPC_MONTHS = 6
# This many months in a row on one side of the centre line is "a run".
RUN_LENGTH = 8
SNAPSHOT_VERSION = 1
MAX_PERIOD_DAYS = 731


def count_by_month(moments: Iterable[datetime], period: Period) -> dict[str, int]:
    """How many moments fall in each UK month of the period (every month listed,
    moments outside the period left out)."""
    counts = dict.fromkeys(period.months, 0)
    for moment in moments:
        if period.contains(moment):
            counts[month_key(moment)] += 1
    return counts


# --- statistical process control (pure) ------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    centre: float
    upper: float
    lower: float


def c_chart_limits(counts: Sequence[int]) -> Limits | None:
    """A c-chart for counts per month: centre line the mean, limits three
    standard deviations (the square root of the mean, for counts) either side,
    the lower one never below zero. None with too few months to mean anything."""
    if len(counts) < MIN_SPC_MONTHS:
        return None
    mean = sum(counts) / len(counts)
    spread = 3 * math.sqrt(mean)
    return Limits(centre=mean, upper=mean + spread, lower=max(0.0, mean - spread))


@dataclass(frozen=True)
class Signal:
    kind: str  # above | below | run_above | run_below
    first: int  # index of the first month in it
    last: int
    text: str


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def spc_signals(
    labels: Sequence[str], counts: Sequence[int], limits: Limits | None
) -> list[Signal]:
    """What the chart says, in plain English: a month beyond a limit, or a run of
    `RUN_LENGTH` or more months in a row on one side of the centre line (a month
    exactly on the line ends a run). Anything else is ordinary variation."""
    if limits is None:
        return []
    signals: list[Signal] = []
    for index, count in enumerate(counts):
        if count > limits.upper:
            signals.append(
                Signal(
                    "above",
                    index,
                    index,
                    f"{labels[index]}: {count} reports, above the upper limit of "
                    f"{_n(limits.upper)}. More than chance would explain: worth looking at "
                    "what was different that month.",
                )
            )
        elif count < limits.lower:
            signals.append(
                Signal(
                    "below",
                    index,
                    index,
                    f"{labels[index]}: {count} reports, below the lower limit of "
                    f"{_n(limits.lower)}. Fewer than chance would explain: check whether "
                    "reporting fell rather than harm.",
                )
            )
    side_of = [1 if c > limits.centre else -1 if c < limits.centre else 0 for c in counts]
    start = 0
    for index in range(1, len(counts) + 1):
        if index == len(counts) or side_of[index] != side_of[start] or side_of[index] == 0:
            length = index - start
            if side_of[start] != 0 and length >= RUN_LENGTH:
                above = side_of[start] > 0
                signals.append(
                    Signal(
                        "run_above" if above else "run_below",
                        start,
                        index - 1,
                        f"A run: {length} months in a row {'above' if above else 'below'} the "
                        f"average of {_n(limits.centre)} ({labels[start]} to {labels[index - 1]}). "
                        "A sustained shift, not chance"
                        + (
                            ": what changed?"
                            if above
                            else ": check it is real, not less reporting."
                        ),
                    )
                )
            start = index
    signals.sort(key=lambda s: (s.first, s.kind))
    return signals


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- the chart, drawn on the server (pure) -----------------------------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 240
CHART_LEFT = 40
CHART_RIGHT = 16
CHART_TOP = 16
CHART_BOTTOM = 40


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str
    value: int
    complete: bool
    signal: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: list[ChartPoint]
    line: str  # the polyline's points
    centre_y: float | None
    upper_y: float | None
    lower_y: float | None
    ticks: list[tuple[float, int]]  # (y, value) for the axis
    bottom: float
    left: float
    right: float


def spc_chart(figures: dict[str, Any]) -> Chart:
    """Coordinates for an inline SVG of the monthly counts and their limits."""
    months = figures["incidents"]["months"]
    spc = figures["spc"]
    values = [m["total"] for m in months]
    top_value = max([*values, spc.get("upper") or 0, 1])
    scale_max: int = max(1, math.ceil(float(top_value)))
    plot_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bottom = CHART_TOP + plot_h

    def y_of(value: float) -> float:
        return round(bottom - plot_h * float(value) / scale_max, 1)

    step = plot_w / max(1, len(months) - 1) if len(months) > 1 else 0
    flagged = {i for s in spc.get("signal_months", []) for i in s}
    points = [
        ChartPoint(
            round(CHART_LEFT + (step * i if len(months) > 1 else plot_w / 2), 1),
            y_of(m["total"]),
            m["label"],
            m["total"],
            m["complete"],
            i in flagged,
        )
        for i, m in enumerate(months)
    ]
    tick_step = max(1, math.ceil(scale_max / 4))
    ticks = [(y_of(v), v) for v in range(0, scale_max + 1, tick_step)]
    enough = spc.get("enough")
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        points=points,
        line=" ".join(f"{p.x},{p.y}" for p in points),
        centre_y=y_of(spc["centre"]) if enough else None,
        upper_y=y_of(spc["upper"]) if enough else None,
        lower_y=y_of(spc["lower"]) if enough else None,
        ticks=ticks,
        bottom=bottom,
        left=CHART_LEFT,
        right=CHART_WIDTH - CHART_RIGHT,
    )


# --- which branches ---------------------------------------------------------------------------


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


# --- the figures --------------------------------------------------------------------------------


def _incident_figures(
    user: User, branch_ids: list[int], period: Period, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    rows = db.session.execute(
        scoping.scoped(
            db.select(Incident.occurred_at, Incident.kind, Incident.harm, Incident.category),
            user,
            Incident,
        )
        .where(Incident.branch_id.in_(branch_ids))
        .where(Incident.occurred_at >= period.starts_at, Incident.occurred_at < period.ends_at)
    ).all()
    complete = set(period.complete_months(now))
    by_month: dict[str, Counter[str]] = {key: Counter() for key in period.months}
    harm: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for occurred_at, kind, harm_level, category in rows:
        by_month[month_key(occurred_at)][kind] += 1
        harm[harm_level] += 1
        categories[category] += 1
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
    near = sum(m["near_misses"] for m in months)
    total = len(rows)
    incidents = {
        "months": months,
        "total": total,
        "near_misses": near,
        "near_miss_share": share(near, total),
        "harm": [{"value": h.value, "label": label(h.value), "count": harm[h.value]} for h in Harm],
        "categories": [
            {"value": c.value, "label": label(c.value), "count": categories[c.value]}
            for c in sorted(Category, key=lambda c: -categories[c.value])
            if categories[c.value]
        ],
    }
    used = [m for m in months if m["complete"]]
    limits = c_chart_limits([m["total"] for m in used])
    signals = spc_signals([m["label"] for m in used], [m["total"] for m in used], limits)
    index_of = {m["month"]: i for i, m in enumerate(months)}
    spc: dict[str, Any] = {
        "enough": limits is not None,
        "months_used": len(used),
        "min_months": MIN_SPC_MONTHS,
        "centre": limits.centre if limits else None,
        "upper": limits.upper if limits else None,
        "lower": limits.lower if limits else None,
        "signals": [s.text for s in signals],
        "signal_months": [
            [index_of[used[i]["month"]] for i in range(s.first, s.last + 1)]
            for s in signals
            if s.kind in ("above", "below")
        ],
    }
    return incidents, spc


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
    decisions = db.session.scalars(
        db.select(IncidentDecision)
        .where(IncidentDecision.incident_id.in_(incident_ids))
        .where(IncidentDecision.status != DecisionStatus.DOES_NOT_APPLY.value)
        .where(
            IncidentDecision.due_at >= period.starts_at, IncidentDecision.due_at < period.ends_at
        )
    ).all()
    figures = {"due": len(decisions), "on_time": 0, "late": 0, "overdue": 0, "not_yet_due": 0}
    for decision in decisions:
        assert decision.due_at is not None
        if decision.done_at is not None:
            figures["on_time" if decision.done_at <= decision.due_at else "late"] += 1
        elif decision.is_overdue(now):
            figures["overdue"] += 1
        else:
            figures["not_yet_due"] += 1
    return figures


def _actions(user: User, branch_ids: list[int], period: Period, today: date) -> dict[str, Any]:
    start, end = period.starts_at, period.ends_at
    actions = db.session.scalars(
        reading.visible_actions(user)
        .where(Action.branch_id.in_(branch_ids))
        .where(
            or_(
                (Action.created_at >= start) & (Action.created_at < end),
                (Action.done_at >= start) & (Action.done_at < end),
                (Action.verified_at >= start) & (Action.verified_at < end),
                (Action.status == ActionStatus.OPEN.value) & (Action.created_at < end),
            )
        )
    ).all()
    figures = dict.fromkeys(
        ("raised", "weaker", "done", "verified_effective", "not_effective", "overdue"), 0
    )

    def within(moment: datetime | None) -> bool:
        return moment is not None and period.contains(moment)

    for action in actions:
        if within(action.created_at):
            figures["raised"] += 1
            if strength.action_strength(action.title, action.detail).is_weak:
                figures["weaker"] += 1
        if within(action.done_at):
            figures["done"] += 1
        if within(action.verified_at):
            if action.status == ActionStatus.VERIFIED_EFFECTIVE.value:
                figures["verified_effective"] += 1
            elif action.status == ActionStatus.NOT_EFFECTIVE.value:
                figures["not_effective"] += 1
        if action.created_at < end and due.is_overdue(action, today):
            figures["overdue"] += 1
    return figures


def _spot_checks(user: User, branch_ids: list[int], period: Period) -> list[dict[str, Any]]:
    rows = db.session.execute(
        scoping.scoped(
            db.select(AuditTemplate.slug, AuditTemplate.title, Audit.conducted_at, Audit.score)
            .select_from(Audit)
            .join(AuditTemplate, Audit.template_id == AuditTemplate.id),
            user,
            Audit,
        )
        .where(Audit.branch_id.in_(branch_ids))
        .where(Audit.conducted_at >= period.starts_at, Audit.conducted_at < period.ends_at)
        .order_by(Audit.conducted_at)
    ).all()
    titles: dict[str, str] = {}
    groups: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    for slug, title, conducted_at, score in rows:
        titles[slug] = title  # the latest version's title, as rows are in time order
        groups[(slug, month_key(conducted_at))].append(score)
    result = []
    for (slug, month), scores in groups.items():
        scored = [s for s in scores if s is not None]
        result.append(
            {
                "template": slug,
                "title": titles[slug],
                "month": month,
                "label": month_label(month),
                "count": len(scores),
                "average": round(sum(scored) / len(scored), 1) if scored else None,
            }
        )
    result.sort(key=lambda r: (r["title"], r["month"]))
    return result


def _bulletins(user: User, branch_ids: list[int], period: Period) -> dict[str, Any]:
    bulletins = list(
        db.session.scalars(
            bulletins_.visible_bulletins(user)
            .where(Bulletin.branches.any(Branch.id.in_(branch_ids)))
            .where(
                Bulletin.published_at >= period.starts_at, Bulletin.published_at < period.ends_at
            )
            .order_by(Bulletin.published_at)
        )
    )
    counts = bulletins_.read_counts(bulletins, branch_ids)
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
    report = pattern_rules.find_patterns(user, settings, now)
    return [
        {
            "key": p.key,
            "title": p.title,
            "detail": p.detail,
            "incidents": len(p.incidents),
            "review_id": p.review.id if p.review is not None else None,
            "review_title": p.review.title if p.review is not None else None,
        }
        for p in report.all
        if not p.fully_reviewed and any(i.branch_id in wanted for i in p.incidents)
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
    incidents, spc = _incident_figures(user, branch_ids, period, now)
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


# --- governance meetings ---------------------------------------------------------------------


def visible_meetings(user: User) -> Any:
    return scoping.scoped(db.select(GovernanceMeeting), user, GovernanceMeeting)


def get_meeting(user: User, meeting_id: int) -> GovernanceMeeting:
    meeting: GovernanceMeeting | None = db.session.scalar(
        visible_meetings(user).where(GovernanceMeeting.id == meeting_id)
    )
    if meeting is None:
        raise OutOfScope(meeting_id)
    return meeting


def meeting_title(meeting_id: str) -> str | None:
    """A meeting's title (its date and branches) for an action it agreed, shown to
    people who may see the action but not the meeting. Nothing else of it."""
    key = record_id(meeting_id)
    meeting = db.session.get(GovernanceMeeting, key) if key is not None else None
    return meeting.title if meeting is not None else None


def list_meetings(user: User) -> list[GovernanceMeeting]:
    require_role(user, {Role.MANAGER})
    return list(
        db.session.scalars(
            visible_meetings(user).order_by(
                GovernanceMeeting.held_on.desc(), GovernanceMeeting.id.desc()
            )
        )
    )


def meeting_problems(data: dict[str, Any], today: date) -> dict[str, list[str]]:
    """The rules a meeting's dates must meet (the form's shape is the schema's)."""
    errors: dict[str, list[str]] = {}
    start, end, held = data["period_start"], data["period_end"], data["held_on"]
    if end < start:
        errors["period_end"] = ["The end of the period must be the same as or after its start."]
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["period_end"] = ["A meeting can look back over two years at most."]
    if start > today:
        errors["period_start"] = ["The period cannot start in the future."]
    for name, message in (("attendees", "Say who attended."), ("minutes", "Write the minutes.")):
        if not str(data.get(name) or "").strip():
            errors[name] = [message]
    if held > today:
        errors["held_on"] = [
            "Record a meeting once it has been held: the date cannot be in the future."
        ]
    return errors


def record_meeting(
    user: User,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
    pattern_settings: pattern_rules.PatternSettings | None = None,
) -> GovernanceMeeting:
    require_role(user, {Role.MANAGER})
    now = now or utcnow()
    errors = meeting_problems(data, now.astimezone(UK).date())
    try:
        branches = choose_branches(user, data.get("branch"))
    except Invalid as err:
        errors.update(err.errors)
        branches = []
    if not branches and "branch" not in errors:
        errors["branch"] = ["You have no branches to hold a meeting for."]
    if errors:
        raise Invalid(errors)
    period = Period(data["period_start"], data["period_end"])
    meeting = GovernanceMeeting(
        period_start=period.start,
        period_end=period.end,
        held_on=data["held_on"],
        attendees=data["attendees"].strip(),
        minutes=data["minutes"].strip(),
        decisions=(data.get("decisions") or "").strip(),
        snapshot=dashboard_figures(
            user,
            branches,
            period,
            now=now,
            pattern_settings=pattern_settings,
        ),
        author_id=user.id,
        created_at=now,
    )
    meeting.branches = list(branches)
    db.session.add(meeting)
    db.session.flush()
    trail.record(
        user,
        "create",
        "governance_meeting",
        meeting.id,
        branches=[b.code for b in branches],
        period_start=period.start.isoformat(),
        period_end=period.end.isoformat(),
        held_on=meeting.held_on.isoformat(),
    )
    db.session.commit()
    return meeting


def meeting_actions(user: User, meeting: GovernanceMeeting) -> list[Action]:
    """The actions agreed at a meeting that `user` may see."""
    return list(
        db.session.scalars(
            reading.visible_actions(user)
            .where(Action.source_type == "meeting", Action.source_id == str(meeting.id))
            .order_by(Action.due, Action.id)
        )
    )


def record_pack_export(user: User, meeting: GovernanceMeeting, fmt: str) -> None:
    trail.record(user, "export", "governance_meeting", meeting.id, format=fmt)
    db.session.commit()


def meeting_source(user: User, source_id: str) -> SourceInfo:
    """A governance meeting as the source of an action (actions.sources): one
    recorded in Candour, by its id, or one held outside it (and every action
    raised before meetings were recorded), by its name as typed."""
    text = source_id.strip()
    if not text.isdigit():
        return SourceInfo(ActionSource.MEETING.value, text, text, None)
    meeting = get_meeting(user, int(text))
    branch_ids = tuple(b.id for b in meeting.branches)
    return SourceInfo(
        ActionSource.MEETING.value,
        str(meeting.id),
        meeting.title,
        branch_ids[0] if len(branch_ids) == 1 else None,
        branch_ids=branch_ids,
    )


def meeting_public_title(source_id: str) -> str:
    # Whoever may see an action may know which meeting agreed it (its title and
    # date, never its minutes): the carer who owns it, say.
    return meeting_title(source_id) or f"Meeting {source_id}"
