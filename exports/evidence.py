"""The CQC evidence pack's contents for a period and branches, organised by the
quality statements incidents speak to (exports.cqc maps them): for each, its
figures, the actions verified, the re-audits that checked them and anonymised
case studies. Anonymised throughout: counts, system words, and free text only
as the anonymiser (learning.anonymise) has cleaned it; no names, no person
references, no incident references."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_

from actions import queries
from actions.models import Action, ActionSource, ActionStatus
from audits.models import Audit
from core import scoping
from core.dates import UK, Period
from core.models import Branch, User
from core.permissions import has_role
from exports.cqc import STATEMENTS, statements_for
from extensions import db
from incidents.models import Incident, Kind
from learning import anonymise
from learning.case_studies import CASE_STUDY_SECTIONS
from learning.models import CaseStudy, LearningReview, ReviewStatus, review_incidents
from learning.permissions import MANAGERS

JUDGED = (ActionStatus.VERIFIED_EFFECTIVE.value, ActionStatus.NOT_EFFECTIVE.value)


def _month(moment: datetime | None) -> str:
    return moment.astimezone(UK).strftime("%B %Y") if moment is not None else ""


def _incidents(user: User, branch_ids: list[int], period: Period) -> Any:
    return (
        scoping.scoped(db.select(Incident.id), user, Incident)
        .where(Incident.branch_id.in_(branch_ids))
        .where(Incident.occurred_at >= period.starts_at, Incident.occurred_at < period.ends_at)
    )


def _reviews(ids: Any) -> tuple[dict[str, set[int]], dict[int, list[str]]]:
    """Each incident's completed reviews, and each review's conditions."""
    rows = db.session.execute(
        db.select(review_incidents.c.incident_id, LearningReview.id, LearningReview.conditions)
        .join(LearningReview, LearningReview.id == review_incidents.c.review_id)
        .where(review_incidents.c.incident_id.in_(ids.scalar_subquery()))
        .where(LearningReview.status == ReviewStatus.COMPLETED.value)
    ).all()
    of_incident: dict[str, set[int]] = defaultdict(set)
    conditions: dict[int, list[str]] = {}
    for incident_id, review_id, named in rows:
        of_incident[incident_id].add(review_id)
        conditions[review_id] = list(named or [])
    return of_incident, conditions


def _judged_actions(user: User, ids: Any, review_ids: set[int]) -> list[tuple[Action, str, str]]:
    """Actions judged by a manager (verified effective or not), raised on the
    period's incidents or on their reviews, with their source."""
    actions = db.session.scalars(
        queries.visible_actions(user)
        .where(Action.status.in_(JUDGED))
        .where(
            or_(
                (Action.source_type == ActionSource.INCIDENT.value)
                & Action.source_id.in_(ids.scalar_subquery()),
                (Action.source_type == ActionSource.REVIEW.value)
                & Action.source_id.in_([str(r) for r in review_ids]),
            )
        )
        .order_by(Action.verified_at, Action.id)
    ).all()
    return [(a, a.source_type, a.source_id) for a in actions]


def _reaudits(user: User, action_ids: list[int]) -> dict[int, list[Audit]]:
    found: dict[int, list[Audit]] = defaultdict(list)
    if not action_ids:
        return found
    for audit in db.session.scalars(
        scoping.scoped(db.select(Audit), user, Audit)
        .where(Audit.reaudit_of_action_id.in_(action_ids))
        .order_by(Audit.conducted_at)
    ):
        assert audit.reaudit_of_action_id is not None
        found[audit.reaudit_of_action_id].append(audit)
    return found


def cqc_evidence(user: User, branches: Sequence[Branch], period: Period) -> dict[str, Any]:
    """Per quality statement: figures, judged actions, re-audits, case studies."""
    ids_stmt = _incidents(user, [b.id for b in branches], period)
    incidents = db.session.scalars(
        db.select(Incident).where(Incident.id.in_(ids_stmt.scalar_subquery()))
    ).all()
    reviews_of, conditions = _reviews(ids_stmt)
    statements_of: dict[str, list[str]] = {}
    for incident in incidents:
        named = [c for r in reviews_of.get(incident.id, ()) for c in conditions[r]]
        statements_of[incident.id] = statements_for(
            incident.category,
            named,
            safeguarding=incident.may_be_safeguarding,
            reviewed=bool(reviews_of.get(incident.id)),
        )
    review_statements: dict[str, set[str]] = defaultdict(set)
    for incident_id, review_ids in reviews_of.items():
        for review_id in review_ids:
            review_statements[str(review_id)].update(statements_of.get(incident_id, ()))
    ids = anonymise.known_identifiers()
    judged = _judged_actions(user, ids_stmt, set(conditions))
    reaudits = _reaudits(user, [a.id for a, _, _ in judged])
    sections: dict[str, dict[str, Any]] = {
        s.key: {
            "statement": s,
            "incidents": 0,
            "near_misses": 0,
            "reviewed": 0,
            "actions": [],
            "case_studies": [],
        }
        for s in STATEMENTS
    }
    for incident in incidents:
        for key in statements_of[incident.id]:
            section = sections[key]
            section["incidents"] += 1
            section["near_misses"] += incident.kind == Kind.NEAR_MISS.value
            section["reviewed"] += bool(reviews_of.get(incident.id))
    for action, source_type, source_id in judged:
        keys = (
            statements_of.get(source_id, [])
            if source_type == ActionSource.INCIDENT.value
            else sorted(review_statements.get(source_id, set()))
        )
        row = {
            "title": anonymise.scrub(action.title, ids),
            "status": action.status_enum.label,
            "effective": action.status == ActionStatus.VERIFIED_EFFECTIVE.value,
            "verified": _month(action.verified_at),
            "reaudits": [
                {
                    "template": audit.template.title,
                    "month": _month(audit.conducted_at),
                    "score": audit.score,
                    "outcome": audit.outcome.replace("_", " "),
                }
                for audit in reaudits.get(action.id, [])
            ],
        }
        for key in keys:
            sections[key]["actions"].append(row)
    if has_role(user, MANAGERS):
        _add_case_studies(user, ids_stmt, statements_of, sections, ids)
    return {
        "statements": list(sections.values()),
        "incidents": len(incidents),
        "near_misses": sum(1 for i in incidents if i.kind == Kind.NEAR_MISS.value),
        "reviewed": sum(1 for i in incidents if reviews_of.get(i.id)),
        "case_studies_included": has_role(user, MANAGERS),
    }


def _add_case_studies(
    user: User,
    ids_stmt: Any,
    statements_of: dict[str, list[str]],
    sections: dict[str, dict[str, Any]],
    ids: anonymise.Identifiers,
) -> None:
    """Case studies of the period's incidents, each section cleaned again by the
    anonymiser (a manager may have typed a name back in since the draft)."""
    studies = db.session.scalars(
        scoping.scoped(db.select(CaseStudy), user, CaseStudy)
        .where(CaseStudy.incident_id.in_(ids_stmt.scalar_subquery()))
        .order_by(CaseStudy.id)
    ).all()
    for study in studies:
        cleaned = {
            "title": anonymise.scrub(study.title, ids),
            "sections": [
                (heading, anonymise.scrub(getattr(study, key), ids))
                for key, heading in CASE_STUDY_SECTIONS
                if getattr(study, key).strip()
            ],
        }
        for key in statements_of.get(study.incident_id, []):
            if key != "learning_culture":
                sections[key]["case_studies"].append(cleaned)
