"""Who may do what with an incident beyond reporting it, for routes and services alike."""

from __future__ import annotations

from core.models import Role, User
from incidents.models import Incident


def can_triage(user: User) -> bool:
    return user.role == Role.MANAGER.value


def can_add_details(user: User) -> bool:
    """Administrative detail (location, person, notes): office staff and managers."""
    return user.role in {Role.OFFICE.value, Role.MANAGER.value}


def can_chase(user: User) -> bool:
    return user.role in {Role.OFFICE.value, Role.MANAGER.value}


def can_filter(user: User) -> bool:
    """Carers see their own reports; everyone else reviews a filterable list."""
    return user.role != Role.CARER.value


def sees_as_reporter(user: User) -> bool:
    """Carers see a record as its reporter: their report and its history for them,
    without the duties or who has looked at it."""
    return user.role == Role.CARER.value


def may_write_feedback(user: User, incident: Incident) -> bool:
    """Managers, and the reviewer assigned to the incident."""
    return can_triage(user) or (
        incident.reviewer_id is not None and incident.reviewer_id == user.id
    )


def may_add_photos(user: User, incident: Incident) -> bool:
    """Its reporter, and who adds the office's details (office staff, managers)."""
    return incident.author_id == user.id or can_add_details(user)
