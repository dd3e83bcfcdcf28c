"""Schedules of spot checks ("N checks of template T for branch B, or one colleague, by
date D"): what is due, overdue and done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from audits.models import Audit, AuditSchedule, AuditTemplate
from audits.permissions import CONDUCTING_ROLES, MANAGERS
from audits.recording import observable_staff
from audits.template_versions import current_template
from core import scoping, trail
from core.dates import UK, uk_midnight, utcnow
from core.errors import Invalid, OutOfScope
from core.models import Role, User
from core.permissions import require_role
from extensions import db

DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class ScheduleStatus:
    schedule: AuditSchedule
    done: int
    state: str  # complete, completed_late, overdue, due_soon, due, cancelled
    title: str

    @property
    def label(self) -> str:
        return {
            "complete": "Complete",
            "completed_late": "Completed late",
            "overdue": "Overdue",
            "due_soon": "Due soon",
            "due": "Due",
            "cancelled": "Cancelled",
        }[self.state]

    @property
    def tag(self) -> str:
        return {
            "complete": "green",
            "completed_late": "green",
            "overdue": "red",
            "due_soon": "yellow",
            "due": "blue",
            "cancelled": "grey",
        }[self.state]

    @property
    def outstanding(self) -> bool:
        return self.state in {"overdue", "due_soon", "due"}


def schedule_state(
    target: int, due_on: date, done_dates: Sequence[date], today: date, cancelled: bool = False
) -> str:
    """Where a schedule stands: the target-th check's date decides complete or
    late; otherwise the due date decides due, due soon or overdue."""
    if cancelled:
        return "cancelled"
    ordered = sorted(done_dates)
    if len(ordered) >= target:
        return "complete" if ordered[target - 1] <= due_on else "completed_late"
    if today > due_on:
        return "overdue"
    if (due_on - today).days <= DUE_SOON_DAYS:
        return "due_soon"
    return "due"


def _schedule_dates(schedule: AuditSchedule) -> list[date]:
    stmt = (
        db.select(Audit.conducted_at)
        .join(AuditTemplate, Audit.template_id == AuditTemplate.id)
        .where(AuditTemplate.slug == schedule.template_slug)
        .where(Audit.branch_id == schedule.branch_id)
        .where(Audit.conducted_at >= uk_midnight(schedule.starts_on))
        .order_by(Audit.conducted_at)
        .limit(schedule.target)
    )
    if schedule.observed_user_id is not None:
        stmt = stmt.where(Audit.observed_user_id == schedule.observed_user_id)
    return [moment.astimezone(UK).date() for moment in db.session.scalars(stmt)]


def status_of(schedule: AuditSchedule, today: date) -> ScheduleStatus:
    dates = _schedule_dates(schedule)
    state = schedule_state(
        schedule.target, schedule.due_on, dates, today, schedule.cancelled_at is not None
    )
    template = current_template(schedule.template_slug)
    title = template.title if template is not None else schedule.template_slug
    return ScheduleStatus(schedule, len(dates), state, title)


_STATE_ORDER = {
    "overdue": 0,
    "due_soon": 1,
    "due": 2,
    "completed_late": 3,
    "complete": 4,
    "cancelled": 5,
}


def schedules_for(user: User, today: date, outstanding_only: bool = False) -> list[ScheduleStatus]:
    """Schedules in the user's branches, the most pressing first."""
    if user.role not in CONDUCTING_ROLES and user.role != Role.OFFICE:
        return []
    stmt = db.select(AuditSchedule).where(scoping.branch_scope(user, AuditSchedule.branch_id))
    if outstanding_only:
        stmt = stmt.where(AuditSchedule.cancelled_at.is_(None))
    statuses = [
        status_of(s, today) for s in db.session.scalars(stmt.order_by(AuditSchedule.due_on))
    ]
    if outstanding_only:
        statuses = [s for s in statuses if s.outstanding]
    return sorted(statuses, key=lambda s: (_STATE_ORDER[s.state], s.schedule.due_on))


def create_schedule(manager: User, data: dict[str, Any], today: date) -> AuditSchedule:
    require_role(manager, MANAGERS)
    errors: dict[str, list[str]] = {}
    if current_template(data["template"]) is None:
        errors["template"] = ["Choose a published template."]
    branch = next((b for b in scoping.branches_for(manager) if b.id == data["branch_id"]), None)
    if branch is None:
        errors["branch_id"] = ["Choose one of your branches."]
    observed_id = data.get("observed_user_id")
    if observed_id is not None:
        observed = next((u for u in observable_staff(manager) if u.id == observed_id), None)
        if observed is None or (branch is not None and branch.id not in observed.branch_ids):
            errors["observed_user_id"] = ["Choose someone who works in that branch."]
    starts = data.get("starts_on") or today
    if data["due_on"] < today:
        errors["due_on"] = ["The due date cannot be in the past."]
    if errors:
        raise Invalid(errors)
    assert branch is not None
    schedule = AuditSchedule(
        template_slug=data["template"],
        branch_id=branch.id,
        observed_user_id=observed_id,
        target=data["target"],
        starts_on=starts,
        due_on=data["due_on"],
        reason=(data.get("reason") or "").strip(),
        author_id=manager.id,
    )
    db.session.add(schedule)
    db.session.flush()
    trail.record(
        manager,
        "create",
        "audit_schedule",
        schedule.id,
        template=schedule.template_slug,
        target=schedule.target,
        due_on=schedule.due_on.isoformat(),
    )
    db.session.commit()
    return schedule


def cancel_schedule(manager: User, schedule_id: int) -> None:
    require_role(manager, MANAGERS)
    schedule: AuditSchedule | None = db.session.scalar(
        db.select(AuditSchedule)
        .where(AuditSchedule.id == schedule_id)
        .where(scoping.branch_scope(manager, AuditSchedule.branch_id))
    )
    if schedule is None:
        raise OutOfScope(schedule_id)
    if schedule.cancelled_at is None:
        schedule.cancelled_at = utcnow()
        trail.record(manager, "cancel", "audit_schedule", schedule.id)
        db.session.commit()
