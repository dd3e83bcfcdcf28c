"""SQL statements per request must not grow with the number of incidents: a
list that loads a relation per row (N+1) would show up here. Counts, not times,
so this is exact on any machine (timings live in `make bench`)."""

from __future__ import annotations

import pytest
from flask import Flask

from core import demo
from core.models import Team
from extensions import db
from incidents.demo import seed_incidents
from tests.helpers import statements_at_two_volumes, statements_for


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("manager", "/incidents"),
        ("manager", "/incidents?category=fall"),
        ("manager", "/api/v1/incidents?limit=50"),
        ("carer1", "/incidents"),
        ("manager", "/"),
    ],
)
def test_statements_per_request_do_not_grow_with_volume(app: Flask, sign_in, who, url):
    client = sign_in(who)
    few, many = statements_at_two_volumes(app, client, url)
    assert many <= few + 1, (few, many)


def _seed_teams(app: Flask) -> int:
    """The demo teams; returns the id of "Town centre" (carer1 and the supervisor)."""
    with app.app_context():
        demo.seed_teams()
        team_id = db.session.scalar(db.select(Team.id).where(Team.name == "Town centre"))
        db.session.remove()
    assert team_id is not None
    return team_id


def test_the_team_choices_cost_the_same_however_many_teams(app: Flask, sign_in):
    # The list always asks for the teams in scope (one statement), so adding teams
    # adds options to the select, never statements.
    client = sign_in("manager")
    with app.app_context():
        seed_incidents(10, seed=3)
        db.session.commit()
    without_teams = statements_for(app, client, "/incidents")
    _seed_teams(app)
    assert statements_for(app, client, "/incidents") == without_teams


@pytest.mark.parametrize("who", ["manager", "supervisor", "office"])
def test_a_team_filtered_list_does_not_grow_with_volume(app: Flask, sign_in, who):
    team_id = _seed_teams(app)
    client = sign_in(who)
    url = f"/incidents?team={team_id}"
    few, many = statements_at_two_volumes(app, client, url)
    assert many <= few + 1, (few, many)
