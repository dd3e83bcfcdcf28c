"""A manager adds teams to their branches and puts staff in them, on the staff
page; anything outside the manager's branches or the user's is refused and
nothing changes; every change is on the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core import demo
from core.models import Branch, Team, TrailEvent, User
from extensions import db
from tests.conftest import Client, sign_in_new_account

WRONG_TEAM = "Choose one of the teams of their branches, or no team."


@pytest.fixture
def teams(app: Flask, seeded: dict[str, Any]) -> dict[str, int]:
    """The demo teams ("Town centre", "Moorside round" in NORTH; "Harbour and
    seafront", "Villages round" in SOUTH), with the demo staff placed in them."""
    with app.app_context():
        demo.seed_teams()
        ids = {t.name: t.id for t in db.session.scalars(db.select(Team))}
        db.session.remove()
    return ids


def _branch_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Branch.id).where(Branch.code == code))


def _team_of(app: Flask, user_id: int) -> int | None:
    with app.app_context():
        return db.session.get_one(User, user_id).team_id


def _events(app: Flask, record_type: str) -> list[dict[str, Any]]:
    """Changes to records of this type on the trail (sign-ins left out)."""
    with app.app_context():
        rows = db.session.scalars(
            db.select(TrailEvent)
            .where(TrailEvent.record_type == record_type)
            .where(TrailEvent.action.in_(["create", "update"]))
            .order_by(TrailEvent.id)
        )
        return [
            {"action": e.action, "id": e.record_id, "actor": e.actor_id, **e.detail} for e in rows
        ]


def _south_manager(app: Flask) -> Client:
    """A second registered manager who holds only SOUTH, signed in."""
    return sign_in_new_account(app, "south.manager@example.com", "Sol South", "manager", ["SOUTH"])


# --- the page ---------------------------------------------------------------------


def test_the_staff_page_lists_teams_and_offers_each_person_their_branches_teams(
    sign_in, teams, seeded
):
    html = sign_in("manager").get("/users").get_data(as_text=True)
    for name in ("Town centre", "Moorside round", "Harbour and seafront", "Villages round"):
        assert name in html
    assert f'action="/users/{seeded["carer1"].id}/team"' in html
    assert 'action="/users/teams"' in html


@pytest.mark.parametrize("key", ["carer1", "supervisor", "office"])
def test_only_managers_add_teams(app: Flask, sign_in, key):
    response = sign_in(key).post_form(
        "/users/teams", {"team_name": "Night team", "team_branch_id": _branch_id(app, "NORTH")}
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(Team.id)) is None


@pytest.mark.parametrize("key", ["carer1", "supervisor", "office"])
def test_only_managers_set_teams(app: Flask, sign_in, teams, seeded, key):
    response = sign_in(key).post_form(
        f"/users/{seeded['carer2'].id}/team", {"team_id": teams["Town centre"]}
    )
    assert response.status_code == 403
    assert _team_of(app, seeded["carer2"].id) == teams["Moorside round"]


# --- adding a team -------------------------------------------------------------------


def test_manager_adds_a_team_to_their_branch_and_it_is_audited(app: Flask, sign_in, seeded):
    response = sign_in("manager").post_form(
        "/users/teams", {"team_name": "  Night   team ", "team_branch_id": _branch_id(app, "NORTH")}
    )
    assert response.status_code == 302
    with app.app_context():
        team = db.session.scalar(db.select(Team))
        assert (team.name, team.branch.code, team.active) == ("Night team", "NORTH", True)
        team_id = team.id
    assert _events(app, "team") == [
        {
            "action": "create",
            "id": str(team_id),
            "actor": seeded["manager"].id,
            "branch": "NORTH",
            "name": "Night team",
        }
    ]


def test_a_team_in_a_branch_the_manager_does_not_hold_is_refused(app: Flask, sign_in):
    with app.app_context():
        db.session.add(Branch(code="EAST", name="East branch"))
        db.session.commit()
    response = sign_in("manager").post_form(
        "/users/teams", {"team_name": "East round", "team_branch_id": _branch_id(app, "EAST")}
    )
    assert response.status_code == 422
    assert "Choose one of your branches." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Team.id)) is None
    assert _events(app, "team") == []


def test_a_team_name_is_unique_within_its_branch_whatever_the_case(app: Flask, sign_in, teams):
    manager = sign_in("manager")
    response = manager.post_form(
        "/users/teams", {"team_name": "town CENTRE", "team_branch_id": _branch_id(app, "NORTH")}
    )
    assert response.status_code == 422
    assert "North branch already has a team called town CENTRE." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Team.id))) == len(teams)


def test_the_same_team_name_may_be_used_in_another_branch(app: Flask, sign_in, teams):
    response = sign_in("manager").post_form(
        "/users/teams", {"team_name": "Town centre", "team_branch_id": _branch_id(app, "SOUTH")}
    )
    assert response.status_code == 302
    with app.app_context():
        codes = db.session.scalars(
            db.select(Branch.code)
            .join(Team, Team.branch_id == Branch.id)
            .where(Team.name == "Town centre")
        )
        assert sorted(codes) == ["NORTH", "SOUTH"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"team_name": "   "}, "Enter a team name of up to 80 characters."),
        ({"team_name": "x" * 81}, "Enter a team name of up to 80 characters."),
        ({"team_branch_id": ""}, "Choose which branch the team belongs to."),
    ],
)
def test_a_team_needs_a_name_and_a_branch(app: Flask, sign_in, form, message):
    body = {"team_name": "Night team", "team_branch_id": _branch_id(app, "NORTH"), **form}
    response = sign_in("manager").post_form("/users/teams", body)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "There is a problem" in html
    with app.app_context():
        assert db.session.scalar(db.select(Team.id)) is None


# --- putting someone in a team ---------------------------------------------------------


def test_manager_moves_a_carer_to_another_team_of_their_branch(app: Flask, sign_in, teams, seeded):
    response = sign_in("manager").post_form(
        f"/users/{seeded['carer1'].id}/team", {"team_id": teams["Moorside round"]}
    )
    assert response.status_code == 302
    assert _team_of(app, seeded["carer1"].id) == teams["Moorside round"]
    assert _events(app, "user") == [
        {
            "action": "update",
            "id": str(seeded["carer1"].id),
            "actor": seeded["manager"].id,
            "changes": {"team": ["Town centre", "Moorside round"]},
        }
    ]


def test_manager_takes_someone_out_of_every_team(app: Flask, sign_in, teams, seeded):
    response = sign_in("manager").post_form(f"/users/{seeded['carer1'].id}/team", {"team_id": ""})
    assert response.status_code == 302
    assert _team_of(app, seeded["carer1"].id) is None
    (event,) = _events(app, "user")
    assert event["changes"] == {"team": ["Town centre", None]}


def test_a_team_of_another_of_the_managers_branches_is_refused_and_nothing_changes(
    app: Flask, sign_in, teams, seeded
):
    # carer1 works in NORTH only; the manager holds both branches.
    response = sign_in("manager").post_form(
        f"/users/{seeded['carer1'].id}/team", {"team_id": teams["Harbour and seafront"]}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert WRONG_TEAM in html
    assert f'href="#field-team-id-{seeded["carer1"].id}"' in html
    assert _team_of(app, seeded["carer1"].id) == teams["Town centre"]
    assert _events(app, "user") == []


@pytest.mark.parametrize("team_id", ["999999", "not-a-number"])
def test_an_unknown_team_is_refused(app: Flask, sign_in, teams, seeded, team_id):
    response = sign_in("manager").post_form(
        f"/users/{seeded['carer1'].id}/team", {"team_id": team_id}
    )
    assert response.status_code == 422
    assert WRONG_TEAM in response.get_data(as_text=True)
    assert _team_of(app, seeded["carer1"].id) == teams["Town centre"]


def test_a_manager_outside_the_users_branch_gets_404_and_nothing_changes(app: Flask, teams, seeded):
    south_manager = _south_manager(app)
    response = south_manager.post_form(
        f"/users/{seeded['carer1'].id}/team", {"team_id": teams["Moorside round"]}
    )
    assert response.status_code == 404
    assert _team_of(app, seeded["carer1"].id) == teams["Town centre"]
    assert _events(app, "user") == []


def test_a_manager_may_only_give_teams_of_branches_they_hold(app: Flask, teams, seeded):
    # carer3 works in SOUTH only; this manager holds only SOUTH. (An account of
    # both branches, like the office's, is beyond this manager altogether: issue
    # 12, tests/core/test_managing_across_branches.py.)
    south_manager = _south_manager(app)
    carer3 = seeded["carer3"].id
    refused = south_manager.post_form(f"/users/{carer3}/team", {"team_id": teams["Town centre"]})
    assert refused.status_code == 422
    assert _team_of(app, carer3) == teams["Harbour and seafront"]
    allowed = south_manager.post_form(f"/users/{carer3}/team", {"team_id": teams["Villages round"]})
    assert allowed.status_code == 302
    assert _team_of(app, carer3) == teams["Villages round"]


# --- switching a team off, and branches changing ------------------------------------------


def test_switching_a_team_off_leaves_its_people_with_no_team(app: Flask, sign_in, teams, seeded):
    manager = sign_in("manager")
    response = manager.post_form(f"/users/teams/{teams['Town centre']}/active", {"active": "false"})
    assert response.status_code == 302
    assert _team_of(app, seeded["carer1"].id) is None
    assert _team_of(app, seeded["supervisor"].id) is None
    (event,) = _events(app, "team")
    assert event["changes"] == {"active": [True, False]}
    assert sorted(event["members_removed"]) == sorted(
        [seeded["carer1"].id, seeded["supervisor"].id]
    )
    # No longer offered, and refused if sent anyway.
    again = manager.post_form(
        f"/users/{seeded['carer1'].id}/team", {"team_id": teams["Town centre"]}
    )
    assert again.status_code == 422


def test_a_manager_outside_the_teams_branch_cannot_switch_it_off(app: Flask, teams):
    south_manager = _south_manager(app)
    response = south_manager.post_form(
        f"/users/teams/{teams['Town centre']}/active", {"active": "false"}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get_one(Team, teams["Town centre"]).active is True


def test_leaving_the_teams_branch_leaves_the_team(app: Flask, sign_in, teams, seeded):
    response = sign_in("manager").post_form(
        f"/users/{seeded['carer1'].id}",
        {
            "name": "Amina Carer",
            "role": "carer",
            "branch_ids": [_branch_id(app, "SOUTH")],
            "active": "true",
        },
    )
    assert response.status_code == 302
    assert _team_of(app, seeded["carer1"].id) is None
    (event,) = _events(app, "user")
    assert event["changes"]["team"] == ["Town centre", None]
