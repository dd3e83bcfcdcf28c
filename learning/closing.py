"""Closing an incident: a completed review or a recorded reason why none is needed, its
actions done or carried into a review, and feedback for the reporter. Every way of
closing an incident checks `close_problems`."""

from __future__ import annotations

from typing import Any

from actions.models import Action, ActionStatus
from core.dates import utcnow
from core.errors import Invalid
from core.models import User
from core.permissions import require_role
from core.saving import check_version, commit
from extensions import db
from incidents.models import Incident, Status
from learning.incident_links import _timeline, actions_for_incident, give_feedback
from learning.models import LearningReview, ReviewStatus
from learning.permissions import MANAGERS


def open_actions_for(incident: Incident) -> list[Action]:
    """Actions that still hold up closing: open, and not carried into a review."""
    return [
        a
        for a in actions_for_incident(incident)
        if a.status == ActionStatus.OPEN.value and a.carried_to_review_id is None
    ]


def completed_reviews_of(incident: Incident) -> list[LearningReview]:
    return list(
        db.session.scalars(
            db.select(LearningReview)
            .where(LearningReview.incidents.any(Incident.id == incident.id))
            .where(LearningReview.status == ReviewStatus.COMPLETED.value)
        )
    )


NO_REVIEW = "Complete a learning review first, or record why no review is needed."


NO_FEEDBACK = (
    "Before closing, write what was learned and what will change: the reporter reads this."
)


def close_problems(
    incident: Incident, no_review_reason: str | None = None, feedback: str | None = None
) -> dict[str, list[str]]:
    """Why the incident cannot be closed yet, by what would put it right (empty:
    it can). Closing needs a completed learning review, or a recorded reason why
    none is needed; its actions done, or carried into a review; and feedback for
    the reporter. Every way of closing an incident checks this."""
    problems: dict[str, list[str]] = {}
    reason = (no_review_reason or incident.no_review_reason or "").strip()
    if not completed_reviews_of(incident) and not reason:
        problems["no_review_reason"] = [NO_REVIEW]
    still_open = open_actions_for(incident)
    if still_open:
        n = len(still_open)
        problems["actions"] = [
            f"{n} action{' is' if n == 1 else 's are'} still open: mark "
            f"{'it' if n == 1 else 'them'} done, or carry {'it' if n == 1 else 'them'} "
            "into a review."
        ]
    if not (feedback or incident.feedback or "").strip():
        problems["feedback"] = [NO_FEEDBACK]
    return problems


def close_blockers(incident: Incident) -> list[str]:
    """What must happen before closing, apart from writing the feedback."""
    problems = close_problems(incident)
    return [m for key in ("no_review_reason", "actions") for m in problems.get(key, [])]


def record_no_review_reason(
    actor: User, incident: Incident, no_review_reason: str | None
) -> dict[str, list[Any]]:
    """Keep the reason no review is needed (only when there is no review)."""
    reason = (no_review_reason or "").strip()
    if not reason or reason == incident.no_review_reason:
        return {}
    # Callers may be part-way through changing the incident: one flush, one version.
    with db.session.no_autoflush:
        if completed_reviews_of(incident):
            return {}
    old = incident.no_review_reason
    incident.no_review_reason = reason
    return {"no_review_reason": [old, reason]}


def close_incident(
    user: User,
    incident: Incident,
    no_review_reason: str | None = None,
    feedback: str | None = None,
    version: int | None = None,
) -> Incident:
    """A manager closes the incident (the same rule holds at triage)."""
    require_role(user, MANAGERS)
    check_version(incident, version)
    if incident.status == Status.CLOSED.value:
        raise Invalid({"_schema": ["This incident is already closed."]})
    problems = close_problems(incident, no_review_reason, feedback)
    if problems:
        raise Invalid({("_schema" if k == "actions" else k): v for k, v in problems.items()})
    changes: dict[str, list[Any]] = record_no_review_reason(user, incident, no_review_reason)
    changes["status"] = [incident.status, Status.CLOSED.value]
    incident.status = Status.CLOSED.value
    incident.closed_at = utcnow()
    _timeline(user, incident, "close", changes=changes)
    give_feedback(user, incident, feedback or "")
    commit()
    return incident
