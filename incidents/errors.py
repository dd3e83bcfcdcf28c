"""What changing an incident can raise, beyond core.errors."""

from __future__ import annotations

from collections.abc import Callable

from core.errors import Invalid, Stale
from extensions import db
from incidents.models import Incident


class StaleIncident(Stale):
    """The record changed since the form was opened (409): nothing was saved."""

    def __init__(self, incident: Incident):
        super().__init__(incident.id)
        self.incident = incident


class InvalidChange(Invalid):
    """What was sent breaks a rule (422); messages per field."""


def stale_incident(incident: Incident) -> Callable[[], StaleIncident]:
    """The 409 for a triage or office change that lost a race: it carries the
    record as it is now, for the page to show beside what was sent."""

    def stale() -> StaleIncident:
        db.session.refresh(incident)
        return StaleIncident(incident)

    return stale
