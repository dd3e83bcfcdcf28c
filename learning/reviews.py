"""Proportionate learning reviews (huddle note, after action review, simple root cause,
thematic): starting one, answering it, completing it, and actions carried into it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from actions.models import Action, ActionSource, ActionStatus
from actions.permissions import ACTION_ROLES
from actions.queries import visible_actions
from actions.sources import SourceInfo
from core import scoping, trail
from core.dates import utcnow
from core.errors import Invalid, OutOfScope
from core.forms import record_id
from core.models import User
from core.permissions import require_role
from core.saving import check_version, commit
from extensions import db
from incidents import permissions
from incidents.models import Incident, Status
from learning import pattern_reviews
from learning.incident_links import (
    BEFORE_REVIEW,
    FEEDBACK_LIMIT,
    _move_status,
    _timeline,
    give_feedback,
    incidents_in_scope,
)
from learning.models import Condition, LearningReview, ReviewMethod, ReviewStatus
from learning.permissions import REVIEW_ROLES

# What each method must answer before it is complete.
REQUIRED_ANSWERS: dict[str, dict[str, str]] = {
    ReviewMethod.HUDDLE.value: {
        "what_happened": "Say briefly what happened.",
        "lessons": "Say what the team learned.",
        "changes": "Say what will change (or why nothing needs to).",
    },
    ReviewMethod.AFTER_ACTION.value: {
        "expected": "Say what was expected to happen.",
        "what_happened": "Say what actually happened.",
        "why_difference": "Say why there was a difference.",
        "keep_doing": "Say what to keep doing.",
        "changes": "Say what to change.",
        "lessons": "Say what we learned.",
    },
    ReviewMethod.ROOT_CAUSE.value: {
        "what_happened": "Say what happened.",
        "why": "Say why it happened.",
        "conditions": "Choose the conditions that made it more likely, or describe them.",
        "changes": "Say what changes are needed to stop it happening again.",
        "lessons": "Say what we learned.",
    },
    ReviewMethod.THEMATIC.value: {
        "what_happened": "Say what the incidents have in common.",
        "findings": "Say what the review found.",
        "conditions": "Choose the conditions they share, or describe them.",
        "changes": "Say what changes are needed.",
        "lessons": "Say what we learned.",
    },
}


ANSWER_FIELDS = [
    "what_happened",
    "expected",
    "why_difference",
    "keep_doing",
    "why",
    "findings",
    "conditions_detail",
    "lessons",
    "changes",
]


def visible_reviews(user: User) -> Select[Any]:
    return scoping.scoped(db.select(LearningReview), user, LearningReview)


def get_review(user: User, review_id: int) -> LearningReview:
    return scoping.one_in_scope(visible_reviews(user), LearningReview, review_id)


def list_reviews(user: User, status: str | None = None) -> list[LearningReview]:
    stmt = visible_reviews(user).order_by(
        LearningReview.started_at.desc(), LearningReview.id.desc()
    )
    if status:
        stmt = stmt.where(LearningReview.status == status)
    return list(db.session.scalars(stmt))


def reviews_of(user: User, incident: Incident) -> list[LearningReview]:
    stmt = (
        visible_reviews(user)
        .where(LearningReview.incidents.any(Incident.id == incident.id))
        .order_by(LearningReview.started_at)
    )
    return list(db.session.scalars(stmt))


def start_from_pattern(
    user: User, key: str, start: datetime, end: datetime, title: str = ""
) -> LearningReview:
    """A thematic review of a pattern's incidents, found again from its identity
    (key and window) within the caller's scope: the form posts the pattern, not
    its (possibly thousands of) incident ids."""
    require_role(user, REVIEW_ROLES)
    incidents = pattern_reviews.pattern_incidents(user, key, start, end)
    if len(incidents) < 2:
        raise Invalid(
            {
                "incident_ids": [
                    "That pattern's incidents were not found. Choose them from the list."
                ]
            }
        )
    return start_review(user, ReviewMethod.THEMATIC.value, [i.id for i in incidents], title)


def start_review(
    user: User, method: str, incident_ids: Sequence[str], title: str = ""
) -> LearningReview:
    """Open a review of one incident or (thematic) several. Each incident's
    timeline records it, and incidents not yet under review move on."""
    require_role(user, REVIEW_ROLES)
    try:
        incidents = incidents_in_scope(user, incident_ids)
    except OutOfScope:
        raise Invalid({"incident_ids": ["Choose incidents from the list."]}) from None
    if not incidents:
        raise Invalid({"incident_ids": ["Choose at least one incident."]})
    if method == ReviewMethod.THEMATIC.value and len(incidents) < 2:
        raise Invalid({"incident_ids": ["A thematic review looks at two or more incidents."]})
    incidents.sort(key=lambda i: i.occurred_at)
    method_label = ReviewMethod(method).label
    if not title.strip():
        refs = ", ".join(i.reference for i in incidents[:3])
        more = f" and {len(incidents) - 3} more" if len(incidents) > 3 else ""
        title = f"{method_label}: {refs}{more}"
    review = LearningReview(
        method=method,
        title=title.strip()[:200],
        branch_id=incidents[0].branch_id,
        author_id=user.id,
        incidents=incidents,
        conditions=[],
    )
    db.session.add(review)
    db.session.flush()
    trail.record(
        user,
        "create",
        "learning_review",
        review.id,
        method=method,
        incidents=[i.reference for i in incidents],
    )
    for incident in incidents:
        changes: dict[str, list[Any]] = dict(
            _move_status(incident, Status.UNDER_REVIEW, BEFORE_REVIEW)
        )
        if incident.reviewer_id is None:
            # Whoever starts the review leads it, unless a reviewer was assigned.
            incident.reviewer_id = user.id
            changes["reviewer"] = [None, user.name]
        _timeline(
            user,
            incident,
            "review_started",
            review=review.title,
            method=method_label,
            review_id=review.id,
            **({"changes": changes} if changes else {}),
        )
    db.session.commit()
    return review


def missing_answers(review: LearningReview) -> dict[str, list[str]]:
    """What the review's method still needs before it can be completed."""
    errors: dict[str, list[str]] = {}
    for name, message in REQUIRED_ANSWERS[review.method].items():
        if name == "conditions":
            if not review.conditions and not review.conditions_detail.strip():
                errors["conditions"] = [message]
        elif not str(getattr(review, name) or "").strip():
            errors[name] = [message]
    return errors


def completion_problems(user: User, review: LearningReview) -> dict[str, list[str]]:
    """Completing a review tells each reporter what was learned: only someone who
    may write that feedback (a manager, or the incident's reviewer) completes it,
    and it must fit in what the reporter can be told."""
    others = [i.reference for i in review.incidents if not permissions.may_write_feedback(user, i)]
    if others:
        return {
            "_schema": [
                "A manager, or the reviewer assigned to "
                + ", ".join(others)
                + ", completes this review: completing it tells the reporter what was learned."
            ]
        }
    if len(feedback_text(review)) > FEEDBACK_LIMIT:
        return {
            "lessons": [
                f"What we learned and what will change go to the reporter together: keep them "
                f"to {FEEDBACK_LIMIT:,} characters between them."
            ]
        }
    return {}


def feedback_text(review: LearningReview) -> str:
    """What the reporter is told: what we learned and what will change."""
    return (
        f"What we learned: {review.lessons.strip()}\n\nWhat will change: {review.changes.strip()}"
    )


def save_review(
    user: User,
    review: LearningReview,
    answers: dict[str, Any],
    *,
    complete: bool = False,
    version: int | None = None,
) -> LearningReview:
    """Save the answers; with `complete`, check the method's questions are all
    answered, then complete it: each incident's timeline records it, incidents
    move to "changes agreed" and their reporters get the feedback."""
    require_role(user, REVIEW_ROLES)
    if review.is_completed:
        raise Invalid({"_schema": ["This review is complete; start a new review to add to it."]})
    check_version(review, version)
    changed = _apply_answers(review, answers)
    if complete:
        errors = missing_answers(review) or completion_problems(user, review)
        if errors:
            db.session.rollback()
            raise Invalid(errors)
    if changed:
        trail.record(user, "update", "learning_review", review.id, fields=changed)
    if complete:
        _complete(user, review)
    commit()
    return review


def _apply_answers(review: LearningReview, answers: dict[str, Any]) -> list[str]:
    """Set the answers given (stripped) on the review; the names of those that changed."""
    changed = []
    for name in ANSWER_FIELDS:
        if name in answers:
            value = (answers[name] or "").strip()
            if value != getattr(review, name):
                setattr(review, name, value)
                changed.append(name)
    if "conditions" in answers:
        chosen = [c.value for c in Condition if c.value in set(answers["conditions"] or [])]
        if chosen != list(review.conditions or []):
            review.conditions = chosen
            changed.append("conditions")
    return changed


def _complete(user: User, review: LearningReview) -> None:
    """Mark the review complete: each incident's timeline records it, incidents move
    to "changes agreed" and their reporters get the feedback (the caller commits)."""
    review.status = ReviewStatus.COMPLETED.value
    review.completed_at = utcnow()
    review.completed_by_id = user.id
    trail.record(user, "complete", "learning_review", review.id)
    for incident in review.incidents:
        changes = _move_status(
            incident, Status.ACTIONS_AGREED, BEFORE_REVIEW | {Status.UNDER_REVIEW.value}
        )
        _timeline(
            user,
            incident,
            "review_completed",
            review=review.title,
            method=review.method_enum.label,
            review_id=review.id,
            conditions=review.condition_labels,
            **({"changes": changes} if changes else {}),
        )
        give_feedback(user, incident, feedback_text(review))


def carried_into(user: User, review: LearningReview) -> list[Action]:
    """The open actions (within scope) carried into this review."""
    stmt = visible_actions(user).where(
        Action.status == ActionStatus.OPEN.value, Action.carried_to_review_id == review.id
    )
    return list(db.session.scalars(stmt.order_by(Action.due, Action.id)))


def carry_into_review(
    user: User, action: Action, review_id: int, version: int | None = None
) -> Action:
    """An open action taken over by another review (often thematic): that review
    now follows it, so it no longer holds up closing the incident."""
    require_role(user, ACTION_ROLES)
    check_version(action, version)
    if action.status != ActionStatus.OPEN.value:
        raise Invalid({"review_id": ["Only an open action can be carried into a review."]})
    try:
        review = get_review(user, review_id)
    except OutOfScope:
        raise Invalid({"review_id": ["Choose a review from the list."]}) from None
    if action.source_type == ActionSource.REVIEW.value and action.source_id == str(review.id):
        raise Invalid({"review_id": ["Choose a different review from the one it came from."]})
    action.carried_to_review_id = review.id
    trail.record(user, "carry", "action", action.id, review_id=review.id)
    commit()
    return action


def review_source(user: User, review_id: str) -> SourceInfo:
    """A learning review as the source of an action (actions.sources)."""
    number = record_id(review_id)
    if number is None:
        raise OutOfScope(review_id)
    review = get_review(user, number)
    return SourceInfo(
        ActionSource.REVIEW.value,
        str(review.id),
        review.title,
        review.branch_id,
        tuple(review.incidents),
    )
