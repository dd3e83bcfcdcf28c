"""The audit trail's world: an incident in each branch (made through the real
service, so their "create" events are on the trail) and a manager of SOUTH only."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import Client, StaffRef, report_as, sign_in_new_account
from tests.factories import incident_payload

SOUTH_MANAGER = "south.manager@example.com"


@pytest.fixture
def make_incident(app: Flask, seeded: dict[str, StaffRef]) -> Any:
    """make_incident("carer1", **payload changes) -> (id, reference)."""

    def make(author: str = "carer1", **changes: Any) -> tuple[str, str]:
        body = incident_payload(**changes)
        return report_as(app, seeded[author].id, body)

    return make


@pytest.fixture
def incidents(make_incident: Any) -> dict[str, tuple[str, str]]:
    """One incident of NORTH (carer1, P-0001) and one of SOUTH (carer3, P-0011)."""
    return {
        "north": make_incident("carer1"),
        "south": make_incident("carer3", person_ref="P-0011"),
    }


@pytest.fixture
def south_manager(app: Flask, seeded: dict[str, StaffRef]) -> Client:
    return sign_in_new_account(app, SOUTH_MANAGER, "Sol South", "manager", ["SOUTH"])
