"""An incident keeps the team its reporter was in when it arrived, so history
does not move when someone changes team."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core import demo
from core.models import Team, User
from extensions import db
from tests.factories import incident_form, incident_payload


@pytest.fixture
def teams(app: Flask, seeded: dict[str, Any]) -> dict[str, int]:
    """Demo teams: carer1 and the supervisor in "Town centre", carer2 in
    "Moorside round" (NORTH), carer3 in "Harbour and seafront" (SOUTH)."""
    with app.app_context():
        demo.seed_teams()
        ids = {t.name: t.id for t in db.session.scalars(db.select(Team))}
        db.session.remove()
    return ids


def _move(app: Flask, user_id: int, team_id: int | None) -> None:
    with app.app_context():
        db.session.get_one(User, user_id).team_id = team_id
        db.session.commit()


def _team_of(read_incident, incident_id: str) -> int | None:
    return read_incident(incident_id, lambda i: i.team_id)


def test_an_incident_keeps_its_reporters_team(make_incident, read_incident, teams):
    incident_id = make_incident("carer1")
    assert _team_of(read_incident, incident_id) == teams["Town centre"]


def test_changing_team_later_does_not_move_earlier_incidents(
    app: Flask, make_incident, read_incident, teams, seeded
):
    before = make_incident("carer1")
    _move(app, seeded["carer1"].id, teams["Moorside round"])
    after = make_incident("carer1")
    assert _team_of(read_incident, before) == teams["Town centre"]
    assert _team_of(read_incident, after) == teams["Moorside round"]


def test_a_reporter_with_no_team_leaves_it_empty(make_incident, read_incident, teams):
    # The manager works across both branches in no team.
    incident_id = make_incident("manager")
    assert _team_of(read_incident, incident_id) is None


def test_a_reporter_with_no_teams_at_all_leaves_it_empty(make_incident, read_incident):
    assert _team_of(read_incident, make_incident("carer1")) is None


def test_an_incident_in_another_branch_than_the_reporters_team_has_no_team(
    app: Flask, make_incident, read_incident, teams, seeded
):
    # The manager joins a NORTH team, then reports for someone supported in SOUTH.
    _move(app, seeded["manager"].id, teams["Town centre"])
    incident_id = make_incident("manager", person_ref="P-0012")
    assert read_incident(incident_id, lambda i: (i.branch.code, i.team_id)) == ("SOUTH", None)


def test_a_replay_after_a_team_change_keeps_the_first_team(
    app: Flask, sign_in, read_incident, teams, seeded
):
    carer = sign_in("carer1")
    body = incident_payload()
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    _move(app, seeded["carer1"].id, teams["Moorside round"])
    assert carer.post_json("/api/v1/incidents", body).status_code == 200
    assert _team_of(read_incident, body["id"]) == teams["Town centre"]


def test_the_sync_api_records_the_reporters_team(sign_in, read_incident, teams):
    body = incident_payload(person_ref="P-0014")
    response = sign_in("carer3").post_json("/api/v1/incidents", body)
    assert response.status_code == 201
    assert _team_of(read_incident, body["id"]) == teams["Harbour and seafront"]


def test_the_report_form_records_the_reporters_team(sign_in, read_incident, teams):
    fields = incident_form()
    assert sign_in("carer2").post_form("/incidents/new", fields).status_code == 303
    assert _team_of(read_incident, fields["entry_id"]) == teams["Moorside round"]
