"""Whether an action is proved to work: a sample of re-audits or spot checks linked to
it, or fewer incidents after it than before; and a manager's judgement on that
evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func

from actions.models import Action, ActionStatus, VerificationKind
from actions.queries import get_action
from audits.models import Audit, Outcome
from core import trail
from core.dates import UK, uk_today, utcnow
from core.errors import Invalid
from core.models import User
from core.permissions import require_role
from core.saving import check_version, commit
from extensions import db
from incidents.models import Incident
from learning.permissions import MANAGERS


@dataclass(frozen=True)
class SampleResult:
    """One re-audit or spot check linked to an action."""

    at: datetime
    passed: bool
    score: float | None = None
    label: str = ""
    audit_id: str | None = None


@dataclass(frozen=True)
class TrendResult:
    category: str
    days: int
    before: int
    after: int
    before_from: date
    after_to: date
    complete: bool  # the "after" period has ended

    @property
    def improved(self) -> bool:
        return self.after < self.before or (self.before == 0 and self.after == 0)


@dataclass(frozen=True)
class Evidence:
    kind: str | None
    sample_required: int = 0
    samples: tuple[SampleResult, ...] = ()
    trend: TrendResult | None = None

    @property
    def samples_passed(self) -> int:
        return sum(1 for s in self.samples if s.passed)


def sample_blockers(required: int, samples: Sequence[SampleResult]) -> list[str]:
    """A re-audit or spot-check sample proves the change when the latest
    `required` checks linked to it all passed (an earlier failure followed by
    more support and passing checks does not count against it for ever)."""
    latest = sorted(samples, key=lambda s: s.at)[-required:] if required else []
    problems = []
    if len(latest) < required:
        problems.append(
            f"It needs {required} re-audit{'s' if required != 1 else ''} or spot check"
            f"{'s' if required != 1 else ''} linked to this action; {len(latest)} so far."
        )
    failed = [s for s in latest if not s.passed]
    if failed:
        problems.append(
            f"{len(failed)} of the latest {len(latest)} check{'s' if len(latest) != 1 else ''} "
            "did not pass: the change is not shown to work yet (mark it not effective, or "
            "re-audit after more support)."
        )
    return problems


def trend_blockers(trend: TrendResult) -> list[str]:
    """A trend proves the change when the "after" period is over and there were
    fewer incidents than before (or none either side)."""
    if not trend.complete:
        return [
            f"The trend can be judged after {trend.after_to:%d %b %Y}, when the "
            f"{trend.days} days after the change are over."
        ]
    if not trend.improved:
        return [
            f"Incidents did not fall: {trend.before} in the {trend.days} days before, "
            f"{trend.after} after."
        ]
    return []


def can_judge(action: Action, evidence: Evidence) -> bool:
    """Whether a manager may record an outcome now: a done action; or an open one
    checked by a re-audit sample, since the re-audit shows whether it is in place."""
    if action.status == ActionStatus.DONE.value:
        return True
    return (
        action.status == ActionStatus.OPEN.value
        and action.requires_verification
        and evidence.kind != VerificationKind.TREND.value
    )


def reaudit_shows(action: Action, evidence: Evidence) -> bool:
    """Whether a re-audit now would count towards verifying `action`: an open or
    done action checked by a sample (not an incident trend)."""
    return (
        action.requires_verification
        and evidence.kind != VerificationKind.TREND.value
        and action.status in (ActionStatus.OPEN.value, ActionStatus.DONE.value)
    )


def verification_blockers(action: Action, evidence: Evidence) -> list[str]:
    """Why `action` cannot be marked verified effective yet (empty: it can).

    A passing re-audit sample shows the change is in place, so an action checked
    by a sample may be verified straight from open; any other action is marked
    done first."""
    if not can_judge(action, evidence):
        if action.status == ActionStatus.OPEN.value:
            return ["Only an action marked done can be verified."]
        return [f"This action is already {action.status_enum.label.lower()}."]
    if not action.requires_verification:
        return []
    if evidence.kind == VerificationKind.TREND.value:
        if evidence.trend is None:
            return ["The trend has no start yet: mark the action done first."]
        return trend_blockers(evidence.trend)
    return sample_blockers(evidence.sample_required, evidence.samples)


def trend_for(action: Action, today: date) -> TrendResult | None:
    """Incidents of the chosen kind in the branch (or for the person) in the
    days before the action was done against the same number of days after."""
    if action.done_at is None or not action.trend_category or not action.trend_days:
        return None
    return count_trend(
        branch_id=action.branch_id,
        category=action.trend_category,
        person_id=action.trend_person_id,
        pivot=action.done_at,
        days=action.trend_days,
        today=today,
    )


def count_trend(
    *,
    branch_id: int,
    category: str,
    person_id: int | None,
    pivot: datetime,
    days: int,
    today: date,
) -> TrendResult:
    window = timedelta(days=days)
    stmt = db.select(func.count(Incident.id)).where(Incident.category == category)
    stmt = stmt.where(
        Incident.person_id == person_id
        if person_id is not None
        else Incident.branch_id == branch_id
    )
    before = db.session.scalar(
        stmt.where(Incident.occurred_at >= pivot - window, Incident.occurred_at < pivot)
    )
    after = db.session.scalar(
        stmt.where(Incident.occurred_at >= pivot, Incident.occurred_at < pivot + window)
    )
    after_to = (pivot + window).astimezone(UK).date()
    return TrendResult(
        category=category,
        days=days,
        before=int(before or 0),
        after=int(after or 0),
        before_from=(pivot - window).astimezone(UK).date(),
        after_to=after_to,
        complete=today >= after_to,
    )


def sample_passed(action: Action, check: Audit) -> bool:
    """A re-audit of an action raised by a failed item passes when that item is
    met this time; any other check passes when every standard was met."""
    if action.source_item:
        answer = check.answer_for(action.source_item)
        if answer is not None and answer.answer != "na":
            return not answer.failed
    return check.outcome == Outcome.MET.value


def linked_samples(action: Action) -> list[SampleResult]:
    """The re-audits and spot checks linked to the action (Audit.reaudit_of_action),
    oldest first. They are evidence about the action, so they count whoever may
    see them."""
    checks = db.session.scalars(
        db.select(Audit)
        .where(Audit.reaudit_of_action_id == action.id)
        .order_by(Audit.conducted_at, Audit.id)
    )
    return [
        SampleResult(
            at=c.conducted_at,
            passed=sample_passed(action, c),
            score=c.score,
            label=c.template.title,
            audit_id=c.id,
        )
        for c in checks
    ]


def verification_evidence(action: Action, today: date) -> Evidence:
    if not action.requires_verification:
        return Evidence(kind=None)
    kind = action.verification_kind or VerificationKind.SAMPLE.value
    if kind == VerificationKind.TREND.value:
        return Evidence(kind=kind, trend=trend_for(action, today))
    return Evidence(
        kind=kind,
        sample_required=action.sample_size or 1,
        samples=tuple(linked_samples(action)),
    )


def verify_action(
    user: User,
    action: Action,
    outcome: str,
    note: str,
    *,
    version: int | None = None,
    today: date | None = None,
) -> Action:
    """A manager judges an action: verified effective (only when its
    verification rule is met) or not effective (with a reason)."""
    require_role(user, MANAGERS)
    check_version(action, version)
    today = today or uk_today()
    note = note.strip()
    evidence = verification_evidence(action, today)
    if outcome == "effective":
        blockers = verification_blockers(action, evidence)
        if blockers:
            raise Invalid({"outcome": blockers})
        status = ActionStatus.VERIFIED_EFFECTIVE
    elif outcome == "not_effective":
        if not can_judge(action, evidence):
            raise Invalid({"outcome": verification_blockers(action, evidence)})
        if not note:
            raise Invalid({"note": ["Say what showed it did not work, and what happens next."]})
        status = ActionStatus.NOT_EFFECTIVE
    else:
        raise Invalid({"outcome": ["Choose whether it worked."]})
    return _record_judgement(user, action, status, note, outcome=status.value, note=note[:200])


def verify_by_reaudit(user: User, audit: Audit, effective: bool, note: str) -> Action:
    """A manager's judgement, on the evidence of this re-audit, of whether the
    action it checks worked."""
    require_role(user, MANAGERS)
    if audit.reaudit_of_action_id is None:
        raise Invalid({"effective": ["This spot check is not a re-audit of an action."]})
    action = get_action(user, audit.reaudit_of_action_id)
    if effective:
        blockers = verification_blockers(action, verification_evidence(action, uk_today()))
        if blockers:
            raise Invalid({"effective": blockers})
    outcome = audit.outcome_enum.label.lower()
    score = "not scored" if audit.score is None else f"{audit.score:g}%"
    return _record_judgement(
        user,
        action,
        ActionStatus.VERIFIED_EFFECTIVE if effective else ActionStatus.NOT_EFFECTIVE,
        f"Re-audit on {audit.conducted_at.astimezone(UK):%d %b %Y}: {score}, {outcome}."
        + (f" {note.strip()}" if note.strip() else ""),
        effective=effective,
        reaudit=audit.id,
        previous_status=action.status,
    )


def _record_judgement(
    user: User, action: Action, status: ActionStatus, verification_note: str, **detail: Any
) -> Action:
    """Keep a manager's judgement of an action, with the trail, and commit it
    (409 if the action changed meanwhile)."""
    now = utcnow()
    action.status = status.value
    if action.done_at is None:
        action.done_at = now
    action.verified_at = now
    action.verified_by_id = user.id
    action.verification_note = verification_note
    trail.record(user, "verify", "action", action.id, **detail)
    commit()
    return action
