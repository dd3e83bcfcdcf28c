"""Triage by a manager: correcting what the reporter recorded (with a reason), the
status, the reviewer, closing (by the closing rule the learning package sets), and
feedback for the reporter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from core import trail
from core.dates import utcnow
from core.errors import NotAllowed
from core.models import Role, User
from core.saving import check_version, saving
from extensions import db
from incidents import duties
from incidents.errors import InvalidChange, stale_incident
from incidents.models import Category, Harm, Incident, Kind, Status
from incidents.permissions import can_triage, may_write_feedback

# Statuses a manager may set at triage ("sent" is only ever the starting point).
TRIAGE_STATUSES = [
    Status.TRIAGED.value,
    Status.UNDER_REVIEW.value,
    Status.ACTIONS_AGREED.value,
    Status.CLOSED.value,
]


CLINICAL_FIELDS = ("kind", "category", "medication_error", "harm")


@dataclass(frozen=True)
class ClosingRule:
    """What closing an incident needs beyond triage's own rules. The learning
    package sets it (a review or a reason why none is needed, actions done or
    carried into a review, feedback for the reporter); incidents alone close
    freely."""

    # Why it cannot close yet, by field ("actions" for the whole form).
    problems: Callable[[Incident, str | None, str | None], dict[str, list[str]]]
    # Keep what closing records (the reason no review is needed): changes for the trail.
    record: Callable[[User, Incident, str | None], dict[str, list[Any]]]


NO_CLOSING_RULE = ClosingRule(problems=lambda *_: {}, record=lambda *_: {})


def set_closing_rule(app: Flask, rule: ClosingRule) -> None:
    app.extensions["candour_closing_rule"] = rule


def closing_rule() -> ClosingRule:
    rule: ClosingRule = current_app.extensions.get("candour_closing_rule", NO_CLOSING_RULE)
    return rule


def reviewers_for(incident: Incident) -> list[User]:
    """Managers and supervisors of the incident's branch (only managers for a
    safeguarding record, which supervisors may not see)."""
    roles = [Role.MANAGER.value]
    if not incident.is_safeguarding:
        roles.append(Role.SUPERVISOR.value)
    stmt = (
        select(User)
        .where(User.active.is_(True), User.role.in_(roles))
        .where(User.branches.any(id=incident.branch_id))
        .order_by(User.name)
    )
    return list(db.session.scalars(stmt))


def triage(
    actor: User,
    incident: Incident,
    *,
    version: int,
    kind: str,
    category: str,
    medication_error: str | None,
    harm: str,
    reason: str,
    status: str,
    reviewer_id: int | None,
    feedback: str,
    no_review_reason: str = "",
) -> Incident:
    """A manager confirms or changes the classification, sets the status, assigns a
    reviewer and (when closing) writes what was learned back to the reporter.

    Changing a clinical field needs a reason; the values before and after go to the
    audit trail, so the original report stays in the history. Changing what
    triggers duties opens any new ones (never removing one already there).
    """
    if not can_triage(actor):
        raise NotAllowed()
    check_version(incident, version, stale_incident(incident))
    errors: dict[str, list[str]] = {}
    reason = reason.strip()
    feedback = feedback.strip()
    if category != Category.MEDICATION.value:
        medication_error = None
    elif not medication_error:
        errors["medication_error"] = ["Choose what went wrong with the medicine."]
    if kind == Kind.NEAR_MISS.value and harm != Harm.NONE.value:
        errors["harm"] = ["A near miss caused no harm. If the person was harmed, choose incident."]
    if status not in TRIAGE_STATUSES:
        errors["status"] = ["Choose a status."]
    reviewer: User | None = None
    if reviewer_id is not None:
        reviewer = next((u for u in reviewers_for(incident) if u.id == reviewer_id), None)
        if reviewer is None:
            errors["reviewer_id"] = ["Choose a manager or supervisor of this branch."]
    if status == Status.CLOSED.value and incident.status != Status.CLOSED.value:
        # One closing rule, the learning package's (see ClosingRule).
        for key, messages in closing_rule().problems(incident, no_review_reason, feedback).items():
            errors["status" if key == "actions" else key] = messages
    new_values: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "medication_error": medication_error,
        "harm": harm,
    }
    clinical_changes = {
        name: [getattr(incident, name), value]
        for name, value in new_values.items()
        if getattr(incident, name) != value
    }
    if clinical_changes and not reason:
        errors["reason"] = ["Say why you are changing what the reporter recorded."]
    if errors:
        raise InvalidChange(errors)

    changes: dict[str, list[Any]] = dict(clinical_changes)
    now = utcnow()
    with saving(stale_incident(incident)):
        if incident.reviewer_id != reviewer_id:
            before = incident.reviewer.name if incident.reviewer else None
            changes["reviewer"] = [before, reviewer.name if reviewer else None]
            incident.reviewer_id = reviewer_id
        for name, value in new_values.items():
            setattr(incident, name, value)
        if incident.status != status:
            changes["status"] = [incident.status, status]
            incident.status = status
            if status == Status.CLOSED.value:
                changes.update(closing_rule().record(actor, incident, no_review_reason))
                incident.closed_at = now
            elif incident.closed_at is not None:
                incident.closed_at = None
        if feedback and feedback != incident.feedback:
            changes["feedback"] = [incident.feedback or None, feedback]
            incident.feedback = feedback
            incident.feedback_at = now
        if incident.triaged_at is None:
            incident.triaged_at = now
        detail: dict[str, Any] = {"changes": changes}
        if reason:
            detail["reason"] = reason
        trail.record(actor, "triage", "incident", incident.id, **detail)
        if clinical_changes:
            duties.open_decisions(incident)
    return incident


def stage_feedback(actor: User, incident: Incident, feedback: str) -> None:
    """Check and set "what we learned and what will change" for the reporter,
    audited with the text before and after, for the caller to commit with the
    rest of its change (a learning review completes with every reporter's
    feedback, or not at all)."""
    if not may_write_feedback(actor, incident):
        raise NotAllowed()
    feedback = feedback.strip()
    if not feedback:
        raise InvalidChange({"feedback": ["Write what was learned and what will change."]})
    if len(feedback) > 5000:
        raise InvalidChange({"feedback": ["Write up to 5,000 characters."]})
    if feedback == incident.feedback:
        return
    trail.record(
        actor,
        "feedback",
        "incident",
        incident.id,
        changes={"feedback": [incident.feedback or None, feedback]},
    )
    incident.feedback = feedback
    incident.feedback_at = utcnow()
