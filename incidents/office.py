"""Office work on an incident: adding missing details or a note, and asking the
reporter a question."""

from __future__ import annotations

from typing import Any

from core import scoping, trail
from core.errors import NotAllowed
from core.models import PersonSupported, User
from core.saving import check_version, saving
from extensions import db
from incidents.errors import InvalidChange, stale_incident
from incidents.models import Incident, IncidentNote, IncidentNoteKind
from incidents.permissions import can_add_details, can_chase


def add_details(
    actor: User,
    incident: Incident,
    *,
    version: int,
    location: str,
    person_ref: str | None,
    note: str,
) -> Incident:
    """Fill in what is missing (location, the person supported) and add an
    administrative note. Never touches what happened, harm or the thresholds."""
    if not can_add_details(actor):
        raise NotAllowed()
    location, note = location.strip(), note.strip()
    errors: dict[str, list[str]] = {}
    changes: dict[str, list[Any]] = {}
    if location:
        if incident.location:
            errors["location"] = ["The location is already recorded."]
        else:
            changes["location"] = [None, location]
    person: PersonSupported | None = None
    if person_ref:
        person, problem = _person_to_add(actor, incident, person_ref)
        if person is None:
            errors["person_ref"] = [problem]
        else:
            changes["person"] = [None, person.ref]
    if not changes and not note and not errors:
        errors["note"] = ["Add a missing detail or a note."]
    if errors:
        raise InvalidChange(errors)
    if changes:
        check_version(incident, version, stale_incident(incident))
    with saving(stale_incident(incident)):
        _save_details(actor, incident, changes, location, person, note)
    return incident


def _person_to_add(
    actor: User, incident: Incident, person_ref: str
) -> tuple[PersonSupported | None, str]:
    """The person supported named by the office, or why they cannot be added: an
    incident's person is added once, and only someone of its branch."""
    if incident.person_id is not None:
        return None, "The person supported is already recorded."
    person = scoping.person_by_ref(actor, person_ref)
    if person is None or person.branch_id != incident.branch_id:
        return None, "Choose someone supported by this branch."
    return person, ""


def _save_details(
    actor: User,
    incident: Incident,
    changes: dict[str, list[Any]],
    location: str,
    person: PersonSupported | None,
    note: str,
) -> None:
    if "location" in changes:
        incident.location = location
    if person is not None:
        incident.person_id = person.id
    if changes:
        trail.record(actor, "details_added", "incident", incident.id, changes=changes)
    if note:
        incident.notes.append(
            IncidentNote(kind=IncidentNoteKind.ADMIN.value, body=note, author_id=actor.id)
        )
        trail.record(actor, "note", "incident", incident.id, note=note)


def chase_reporter(actor: User, incident: Incident, *, message: str) -> IncidentNote:
    """Ask the reporter for something missing; they see it on their list."""
    if not can_chase(actor):
        raise NotAllowed()
    message = message.strip()
    if not message:
        raise InvalidChange({"message": ["Say what you need from the reporter."]})
    chase = IncidentNote(kind=IncidentNoteKind.CHASE.value, body=message, author_id=actor.id)
    incident.notes.append(chase)
    trail.record(actor, "chase", "incident", incident.id, message=message)
    db.session.commit()
    return chase
