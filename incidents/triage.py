"""Triage by a manager: correcting what the reporter recorded (with a reason), the
status, the reviewer, closing (by the closing rule the learning package sets), and
feedback for the reporter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from core import trail
from core.dates import utcnow
from core.errors import NotAllowed
from core.models import Role, User
from core.saving import check_version, saving
from extensions import db
from incidents import decisions
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
THRESHOLD_FIELDS = ("safeguarding", "clinical_escalation", "family_contact", "police_involved")


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
    if not incident.may_be_safeguarding:
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
    safeguarding: str | None = None,
    clinical_escalation: str | None = None,
    family_contact: str | None = None,
    police_involved: bool | None = None,
) -> Incident:
    """A manager confirms or changes the classification, sets the status, assigns a
    reviewer and (when closing) writes what was learned back to the reporter.

    Changing a clinical field or a threshold answer (or recording that the police
    became involved) needs a reason; the values before and after go to the audit
    trail, so the original report stays in the history. Changing what triggers
    duties opens any new ones, never removing one already there nor changing a
    decision already recorded (incidents/decisions.py open_decisions).
    """
    if not can_triage(actor):
        raise NotAllowed()
    check_version(incident, version, stale_incident(incident))
    reason = reason.strip()
    feedback = feedback.strip()
    new_values: dict[str, Any] = {
        "kind": kind,
        "category": category,
        # Only a medication event has a medication error.
        "medication_error": medication_error if category == Category.MEDICATION.value else None,
        "harm": harm,
        # The threshold answers and police involvement (None: left as they are).
        "safeguarding": safeguarding or incident.safeguarding,
        "clinical_escalation": clinical_escalation or incident.clinical_escalation,
        "family_contact": family_contact or incident.family_contact,
        "police_involved": incident.police_involved if police_involved is None else police_involved,
    }
    clinical_changes = {
        name: [getattr(incident, name), value]
        for name, value in new_values.items()
        if getattr(incident, name) != value
    }
    reviewer = _chosen_reviewer(incident, reviewer_id)
    errors = {
        **_classification_errors(kind, category, medication_error, harm),
        **_status_errors(status),
        **_reviewer_errors(reviewer_id, reviewer),
        **_closing_errors(incident, status, no_review_reason, feedback),
        **_reason_errors(clinical_changes, reason),
    }
    if errors:
        raise InvalidChange(errors)

    changes: dict[str, list[Any]] = dict(clinical_changes)
    now = utcnow()
    with saving(stale_incident(incident)):
        changes.update(_assign_reviewer(incident, reviewer_id, reviewer))
        for name, value in new_values.items():
            setattr(incident, name, value)
        changes.update(_set_status(actor, incident, status, no_review_reason, now))
        changes.update(_give_feedback(incident, feedback, now))
        if incident.triaged_at is None:
            incident.triaged_at = now
        detail: dict[str, Any] = {"changes": changes}
        if reason:
            detail["reason"] = reason
        trail.record(actor, "triage", "incident", incident.id, **detail)
        if clinical_changes:
            decisions.open_decisions(incident)
    return incident


# --- what triage checks, each by field ------------------------------------------------

REASON_NEEDED = "Say why you are changing what the reporter recorded."


def _classification_errors(
    kind: str, category: str, medication_error: str | None, harm: str
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if category == Category.MEDICATION.value and not medication_error:
        errors["medication_error"] = ["Choose what went wrong with the medicine."]
    if kind == Kind.NEAR_MISS.value and harm != Harm.NONE.value:
        errors["harm"] = ["A near miss caused no harm. If the person was harmed, choose incident."]
    return errors


def _status_errors(status: str) -> dict[str, list[str]]:
    if status not in TRIAGE_STATUSES:
        return {"status": ["Choose a status."]}
    return {}


def _chosen_reviewer(incident: Incident, reviewer_id: int | None) -> User | None:
    """The reviewer chosen, if they may review this incident (`reviewers_for`)."""
    if reviewer_id is None:
        return None
    return next((u for u in reviewers_for(incident) if u.id == reviewer_id), None)


def _reviewer_errors(reviewer_id: int | None, reviewer: User | None) -> dict[str, list[str]]:
    if reviewer_id is not None and reviewer is None:
        return {"reviewer_id": ["Choose a manager or supervisor of this branch."]}
    return {}


def _closing_errors(
    incident: Incident, status: str, no_review_reason: str, feedback: str
) -> dict[str, list[str]]:
    """Closing now: what the closing rule still needs (see ClosingRule)."""
    if status != Status.CLOSED.value or incident.status == Status.CLOSED.value:
        return {}
    problems = closing_rule().problems(incident, no_review_reason, feedback)
    return {("status" if key == "actions" else key): messages for key, messages in problems.items()}


def _reason_errors(clinical_changes: dict[str, list[Any]], reason: str) -> dict[str, list[str]]:
    """Changing what the reporter recorded needs a reason."""
    if clinical_changes and not reason:
        return {"reason": [REASON_NEEDED]}
    return {}


# --- what triage changes, for the trail ----------------------------------------------


def _assign_reviewer(
    incident: Incident, reviewer_id: int | None, reviewer: User | None
) -> dict[str, list[Any]]:
    if incident.reviewer_id == reviewer_id:
        return {}
    before = incident.reviewer.name if incident.reviewer else None
    incident.reviewer_id = reviewer_id
    return {"reviewer": [before, reviewer.name if reviewer else None]}


def _set_status(
    actor: User, incident: Incident, status: str, no_review_reason: str, now: datetime
) -> dict[str, list[Any]]:
    """The new status; closing records what the closing rule keeps."""
    if incident.status == status:
        return {}
    changes: dict[str, list[Any]] = {"status": [incident.status, status]}
    incident.status = status
    if status == Status.CLOSED.value:
        changes.update(closing_rule().record(actor, incident, no_review_reason))
        incident.closed_at = now
    elif incident.closed_at is not None:
        incident.closed_at = None
    return changes


def _give_feedback(incident: Incident, feedback: str, now: datetime) -> dict[str, list[Any]]:
    """What was learned, for the reporter (kept when none is written)."""
    if not feedback or feedback == incident.feedback:
        return {}
    changes: dict[str, list[Any]] = {"feedback": [incident.feedback or None, feedback]}
    incident.feedback = feedback
    incident.feedback_at = now
    return changes


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
