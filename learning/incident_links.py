"""How learning reaches the incidents it learns from: finding them within the caller's
scope, the actions agreed on them, moving their status on, writing to their timeline
and giving the reporter feedback."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_

from actions.models import Action, ActionSource
from core import trail
from core.errors import OutOfScope
from core.models import User
from extensions import db
from incidents import triage
from incidents.models import Incident, Status
from incidents.services import visible_incidents
from learning.models import LearningReview

# What the reporter can be told at once (Incident.feedback's limit).
FEEDBACK_LIMIT = 5000


# Statuses an incident moves on from when its review starts (never backwards).
BEFORE_REVIEW = {Status.SUBMITTED.value, Status.TRIAGED.value}


def incidents_in_scope(user: User, incident_ids: Sequence[object]) -> list[Incident]:
    """The incidents with these ids, each once and in the order given, in one
    query; OutOfScope for the first id that is not a UUID, unknown or outside
    the caller's scope (as incident_in_scope for each)."""
    keys = [_incident_key(raw) for raw in incident_ids]
    found = visible_among(user, keys)
    if None in keys or len(found) != len(set(keys)):
        raise OutOfScope(incident_ids)
    return found


def _incident_key(raw: object) -> str | None:
    """An incident id as stored (a UUID in its usual form), or None."""
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        return None


def visible_among(user: User, incident_ids: Sequence[object]) -> list[Incident]:
    """Those of these ids the caller may see, each once and in the order given, in
    one query; anything else (not a UUID, unknown, out of scope) is left out."""
    keys = list(dict.fromkeys(k for k in map(_incident_key, incident_ids) if k is not None))
    if not keys:
        return []
    found = {
        incident.id: incident
        for incident in db.session.scalars(visible_incidents(user).where(Incident.id.in_(keys)))
    }
    return [found[key] for key in keys if key in found]


def reviewable_incidents(user: User, limit: int = 200) -> list[Incident]:
    """Recent incidents still open, newest first: what a review can start from."""
    stmt = (
        visible_incidents(user)
        .where(Incident.status != Status.CLOSED.value)
        .order_by(Incident.occurred_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _timeline(actor: User, incident: Incident, action: str, **detail: Any) -> None:
    """An event on the incident's timeline (the incidents package shows every
    audit event recorded against the incident)."""
    trail.record(actor, action, "incident", incident.id, **detail)


def _move_status(incident: Incident, status: Status, allowed: set[str]) -> dict[str, list[Any]]:
    """Move the incident on (never backwards); the change, for the timeline."""
    if incident.status in allowed and incident.status != status.value:
        old = incident.status
        incident.status = status.value
        return {"status": [old, status.value]}
    return {}


def give_feedback(actor: User, incident: Incident, text: str) -> None:
    """Tell the reporter what was learned and what will change (they see it on
    their report), through the incidents package's feedback service. Learning
    from a later review is added to what they were told before, when it fits."""
    text = text.strip()
    old = incident.feedback or ""
    if not text or text in old:
        return
    combined = f"{old}\n\n{text}" if old else text
    triage.stage_feedback(actor, incident, combined if len(combined) <= FEEDBACK_LIMIT else text)


def actions_for_incident(incident: Incident) -> list[Action]:
    """Actions raised on the incident itself or on any review of it."""
    review_ids = [
        str(r)
        for r in db.session.scalars(
            db.select(LearningReview.id).where(
                LearningReview.incidents.any(Incident.id == incident.id)
            )
        )
    ]
    stmt = db.select(Action).where(
        or_(
            and_(
                Action.source_type == ActionSource.INCIDENT.value, Action.source_id == incident.id
            ),
            and_(Action.source_type == ActionSource.REVIEW.value, Action.source_id.in_(review_ids)),
        )
    )
    return list(db.session.scalars(stmt.order_by(Action.due, Action.id)))
