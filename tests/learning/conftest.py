"""Helpers for the learning tests: incidents made through the real service at
chosen times, and reviews and actions made through the learning services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from actions import records
from actions.models import Action
from core import dates
from core.models import User
from extensions import db
from incidents import services as incident_services
from incidents.models import Incident
from incidents.schemas import IncidentInSchema
from learning import reviews
from learning.models import LearningReview
from tests.factories import incident_payload

NOW = datetime.now(UTC).replace(microsecond=0)


def make_incident(author: User, occurred_at: datetime | None = None, **changes: Any) -> Incident:
    """An incident reported a minute after it happened, through the service."""
    occurred = occurred_at or NOW - timedelta(hours=2)
    body = incident_payload(
        occurred_at=occurred.isoformat(),
        reported_at=(occurred + timedelta(minutes=1)).isoformat(),
        people_informed=[],
        **changes,
    )
    if body["category"] != "medication":
        body["medication_error"] = None
        body["time_critical"] = False
    receipt = incident_services.create_incident(author, IncidentInSchema().load(body))
    return receipt.incident


@pytest.fixture
def report(staff: dict[str, User]) -> Callable[..., Incident]:
    def _report(
        key: str = "carer1", occurred_at: datetime | None = None, **changes: Any
    ) -> Incident:
        return make_incident(staff[key], occurred_at, **changes)

    return _report


def complete_review(
    user: User,
    incidents: list[Incident],
    method: str = "huddle",
    conditions: list[str] | None = None,
    **answers: Any,
) -> LearningReview:
    review = reviews.start_review(user, method, [i.id for i in incidents])
    return complete_review_answers(user, review, conditions, **answers)


def complete_review_answers(
    user: User,
    review: LearningReview,
    conditions: list[str] | None = None,
    **answers: Any,
) -> LearningReview:
    """Answer every question of any method, and complete the review."""
    filled = {
        "what_happened": "A dose was missed at the change of shift.",
        "expected": "The next carer gives the dose on time.",
        "why_difference": "The handover was verbal only.",
        "keep_doing": "Calling the on-call manager straight away.",
        "why": "Nothing written passed the time-critical dose on.",
        "findings": "Handovers rely on memory.",
        "conditions": conditions if conditions is not None else ["handover"],
        "lessons": "Verbal handovers lose time-critical details.",
        "changes": "A written handover checklist for time-critical medicines.",
        **answers,
    }
    return reviews.save_review(user, review, filled, complete=True)


def add_action(
    user: User,
    source_type: str,
    source_id: str,
    *,
    title: str = "Introduce a handover checklist",
    owner: User | None = None,
    due: date | None = None,
    **changes: Any,
) -> Action:
    data: dict[str, Any] = {
        "title": title,
        "detail": "",
        "owner_id": (owner or user).id,
        "due": due or dates.uk_today() + timedelta(days=14),
        "source_type": source_type,
        "source_id": source_id,
        "branch_id": None,
        "verification": "none",
        "sample_size": 1,
        "sample_template": None,
        "trend_category": None,
        "trend_days": None,
        "trend_person_ref": None,
        **changes,
    }
    return records.new_action(user, data)


def count(model: Any, *conditions: Any) -> int:
    return int(
        db.session.scalar(db.select(db.func.count()).select_from(model).where(*conditions)) or 0
    )
