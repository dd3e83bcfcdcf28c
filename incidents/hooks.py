"""What the packages above do when an incident arrives or a manager opens it
(notifications: escalation and its acknowledgement), registered at start-up so
that incidents imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app

from core.models import User
from incidents.models import Incident

# Called inside the transaction that saves a new incident (never for a re-send),
# so what it adds commits with the incident or not at all.
CreatedHook = Callable[[Incident], None]
# Called when a member of staff opens the record's page.
OpenedHook = Callable[[User, Incident, datetime], None]


def add_created_hook(app: Flask, hook: CreatedHook) -> None:
    app.extensions.setdefault("candour_incident_created", []).append(hook)


def add_opened_hook(app: Flask, hook: OpenedHook) -> None:
    app.extensions.setdefault("candour_incident_opened", []).append(hook)


def incident_created(incident: Incident) -> None:
    for hook in current_app.extensions.get("candour_incident_created", []):
        hook(incident)


def incident_opened(user: User, incident: Incident, now: datetime) -> None:
    for hook in current_app.extensions.get("candour_incident_opened", []):
        hook(user, incident, now)
