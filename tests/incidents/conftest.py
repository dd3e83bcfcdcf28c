"""Making incidents for review tests: through the real service (validation,
reference numbers, duties), in a short app context of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from core.models import User
from extensions import db
from incidents import services
from incidents.models import Incident
from incidents.schemas import IncidentInSchema
from tests.factories import incident_payload


@pytest.fixture
def make_incident(app: Flask, seeded: dict[str, Any]) -> Any:
    """make_incident("carer1", received_at=..., **payload changes) -> incident id."""

    def make(author: str = "carer1", received_at: datetime | None = None, **changes: Any) -> str:
        body = incident_payload(**changes)
        with app.app_context():
            user = db.session.get_one(User, seeded[author].id)
            services.create_incident(user, IncidentInSchema().load(body), received_at=received_at)
            db.session.remove()
        return str(body["id"])

    return make


@pytest.fixture
def read_incident(app: Flask) -> Any:
    """read_incident(id, lambda incident: ...) -> the callback's answer, from a fresh session."""

    def read(incident_id: str, pick: Any = lambda i: i) -> Any:
        with app.app_context():
            incident = db.session.get_one(Incident, incident_id)
            value = pick(incident)
            db.session.remove()
        return value

    return read
