"""Demo learning, so `make run` shows the loop working: a root cause review of a
recent medication incident, its actions (one checked by a re-audit sample, one
a weaker reminder), and a bulletin for the branch. Idempotent; needs incidents."""

from __future__ import annotations

from datetime import timedelta

from actions import records
from core.dates import uk_today
from core.models import Branch, User
from extensions import db
from incidents.models import Incident
from learning import bulletins, reviews
from learning.models import LearningReview


def seed_learning() -> list[str]:
    if db.session.scalar(db.select(LearningReview.id).limit(1)) is not None:
        return ["Demo learning: already there."]
    manager = db.session.scalar(db.select(User).where(User.email == "manager@example.com"))
    supervisor = db.session.scalar(db.select(User).where(User.email == "supervisor@example.com"))
    north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
    incident = db.session.scalar(
        db.select(Incident)
        .where(Incident.branch_id == (north.id if north else None))
        .where(Incident.category == "medication")
        .order_by(Incident.occurred_at.desc())
        .limit(1)
    )
    if manager is None or supervisor is None or north is None or incident is None:
        return ["Demo learning: no medication incident to learn from yet."]

    review = reviews.start_review(
        manager, "root_cause", [incident.id], "Medication at the change of carer"
    )
    reviews.save_review(
        manager,
        review,
        {
            "what_happened": "A dose was missed or late when one carer handed over to the next.",
            "why": "The handover was by word of mouth; nothing written carried the dose time.",
            "conditions": ["handover", "communication", "documentation"],
            "conditions_detail": "Back-to-back calls left little time for a handover.",
            "lessons": "Verbal handovers lose time-critical details.",
            "changes": "A written handover checklist for time-critical medicines, checked by "
            "supervisors' spot checks for two weeks.",
        },
        complete=True,
    )
    due = uk_today() + timedelta(days=14)
    common = {
        "detail": "",
        "due": due,
        "source_type": "review",
        "source_id": str(review.id),
        "branch_id": None,
        "sample_template": None,
        "trend_category": None,
        "trend_days": None,
        "trend_person_ref": None,
        "sample_size": 1,
    }
    records.new_action(
        manager,
        {
            **common,
            "title": "Written handover checklist for time-critical medicines",
            "owner_id": manager.id,
            "verification": "sample",
            "sample_size": 2,
            "sample_template": "handover-quality",
        },
    )
    records.new_action(
        manager,
        {
            **common,
            "title": "Remind staff to hand over time-critical doses",
            "owner_id": supervisor.id,
            "verification": "none",
        },
    )
    bulletins.new_bulletin(
        manager,
        {
            "title": "Safer handovers for time-critical medicines",
            "what_happened": "A time-critical dose was missed at a change of carer.",
            "what_learned": "Handovers by word of mouth lose details.",
            "what_changes": "Use the written handover checklist at every change of carer.",
            "branch_ids": [north.id],
            "roles": [],
            "review_ids": [review.id],
        },
    )
    return [f"Demo learning: a review of {incident.reference}, two actions and a bulletin."]
