"""An incident's learning in one place: its reviews, actions, what still stops it
closing, and its case studies."""

from __future__ import annotations

from dataclasses import dataclass

from actions.models import Action
from actions.queries import visible_actions
from core.models import User
from extensions import db
from incidents.models import Incident, Status
from incidents.timeline import TimelineEntry
from learning.case_studies import visible_case_studies
from learning.closing import close_blockers
from learning.incident_links import actions_for_incident
from learning.models import CaseStudy, LearningReview
from learning.permissions import MANAGERS
from learning.reviews import reviews_of


@dataclass
class IncidentLearning:
    incident: Incident
    reviews: list[LearningReview]
    actions: list[Action]
    close_blockers: list[str]
    case_studies: list[CaseStudy]


def incident_learning(user: User, incident: Incident) -> IncidentLearning:
    case_studies: list[CaseStudy] = []
    if user.role in MANAGERS:
        case_studies = list(
            db.session.scalars(
                visible_case_studies(user).where(CaseStudy.incident_id == incident.id)
            )
        )
    actions = actions_for_incident(incident)
    # Of the incident's actions, those this user may see (one query on their ids,
    # not every action in scope).
    visible = set(
        db.session.scalars(
            visible_actions(user)
            .with_only_columns(Action.id)
            .where(Action.id.in_([a.id for a in actions]))
        )
    )
    return IncidentLearning(
        incident=incident,
        reviews=reviews_of(user, incident),
        actions=[a for a in actions if a.id in visible],
        close_blockers=close_blockers(incident) if incident.status != Status.CLOSED.value else [],
        case_studies=case_studies,
    )


def actions_on_record(incident: Incident) -> list[Action]:
    """The actions an incident's record lists: raised on it or on a review of
    it, in the order they were agreed."""
    return sorted(actions_for_incident(incident), key=lambda a: (a.created_at, a.id))


def action_timeline(incident: Incident) -> list[TimelineEntry]:
    """When each of the incident's actions was agreed, done and checked, for the
    record's timeline (staff only)."""
    entries: list[TimelineEntry] = []
    for action in actions_on_record(incident):
        entries.append(
            TimelineEntry(
                action.created_at,
                f"Action agreed: {action.title}",
                who=action.owner.name,
                details=(f"Due: {action.due.strftime('%d %b %Y')}",),
                kind="action",
            )
        )
        if action.done_at is not None:
            entries.append(
                TimelineEntry(action.done_at, f"Action done: {action.title}", kind="action")
            )
        if action.verified_at is not None:
            entries.append(
                TimelineEntry(action.verified_at, f"Action checked: {action.title}", kind="action")
            )
    return entries
