"""A manager manages only accounts whose branches are all among their own
(issue 12, finding 1: a SOUTH-only manager took over a NORTH and SOUTH manager's
account; a NORTH-only manager demoted and switched it off). An account with no
branch is managed only by a manager of every branch."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core.models import Branch, Invitation, Role, Team, User
from core.passwords import hash_password
from extensions import db
from tests.conftest import PASSWORD, Client


def _account(app: Flask, email: str, role: Role, codes: list[str]) -> int:
    with app.app_context():
        branches = list(db.session.scalars(db.select(Branch).where(Branch.code.in_(codes))))
        user = User(
            email=email,
            name=email.split("@")[0].replace(".", " ").title(),
            role=role.value,
            password_hash=hash_password(PASSWORD),
            branches=branches,
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def _signed_in(app: Flask, email: str) -> Client:
    client = Client(app.test_client())
    assert client.sign_in(email).status_code == 302
    return client


@pytest.fixture
def managers(app: Flask, seeded: dict[str, Any]) -> dict[str, Client]:
    """Two single-branch managers besides the demo's manager of both branches."""
    _account(app, "north.manager@example.com", Role.MANAGER, ["NORTH"])
    _account(app, "south.manager@example.com", Role.MANAGER, ["SOUTH"])
    return {
        "north": _signed_in(app, "north.manager@example.com"),
        "south": _signed_in(app, "south.manager@example.com"),
    }


def _state(app: Flask, user_id: int) -> tuple[str, bool, str, list[str]]:
    with app.app_context():
        user = db.session.get_one(User, user_id)
        return user.role, user.active, user.password_hash, [b.code for b in user.branches]


def _branch_id(app: Flask, code: str) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(Branch.id).where(Branch.code == code)))


@pytest.mark.parametrize("who", ["north", "south"])
@pytest.mark.parametrize("target", ["manager", "office"])
def test_a_single_branch_manager_cannot_open_an_account_of_both_branches(
    managers, seeded, who, target
):
    assert managers[who].get(f"/users/{seeded[target].id}").status_code == 404


def test_a_south_manager_cannot_reset_the_password_of_a_manager_of_both_branches(
    app: Flask, managers, seeded
):
    target = seeded["manager"].id
    before = _state(app, target)
    response = managers["south"].post_form(f"/users/{target}/reset-password")
    assert response.status_code == 404
    assert _state(app, target) == before
    assert Client(app.test_client()).sign_in(seeded["manager"].email).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_a_north_manager_cannot_demote_or_switch_off_a_manager_of_both_branches(
    app: Flask, managers, seeded
):
    target = seeded["manager"].id
    before = _state(app, target)
    response = managers["north"].post_form(
        f"/users/{target}",
        {"name": "Morgan Manager", "role": "carer", "branch_ids": [_branch_id(app, "NORTH")]},
    )
    assert response.status_code == 404
    assert _state(app, target) == before


@pytest.mark.parametrize("target", ["manager", "office", "carer1"])
def test_the_staff_page_leaves_out_accounts_beyond_the_managers_branches(managers, seeded, target):
    html = managers["south"].get("/users").get_data(as_text=True)
    assert f">{seeded[target].email}<" not in html
    assert f">{seeded['carer3'].email}<" in html


def test_a_single_branch_manager_still_manages_their_own_branchs_staff(
    app: Flask, managers, seeded
):
    response = managers["south"].post_form(
        f"/users/{seeded['carer3'].id}",
        {
            "name": "Chloe Carer",
            "role": "supervisor",
            "branch_ids": [_branch_id(app, "SOUTH")],
            "active": "true",
        },
    )
    assert response.status_code == 302
    assert _state(app, seeded["carer3"].id)[0] == "supervisor"


def test_a_south_manager_cannot_place_an_account_of_both_branches_in_a_team(
    app: Flask, managers, seeded
):
    with app.app_context():
        south = db.session.scalar(db.select(Branch).where(Branch.code == "SOUTH"))
        team = Team(branch=south, name="Harbour")
        db.session.add(team)
        db.session.commit()
        team_id = team.id
    response = managers["south"].post_form(
        f"/users/{seeded['office'].id}/team", {"team_id": team_id}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get_one(User, seeded["office"].id).team_id is None


def test_a_single_branch_manager_cannot_make_an_office_account_of_both_branches(
    app: Flask, managers
):
    response = managers["south"].post_form(
        "/users",
        {
            "name": "Oz Office",
            "email": "oz@example.com",
            "role": "office",
            "branch_ids": [_branch_id(app, "SOUTH"), _branch_id(app, "NORTH")],
        },
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "oz@example.com")) is None


@pytest.mark.parametrize("who", ["north", "south"])
def test_an_account_with_no_branch_is_beyond_a_single_branch_manager(app: Flask, managers, who):
    lonely = _account(app, "lonely@example.com", Role.CARER, [])
    assert managers[who].get(f"/users/{lonely}").status_code == 404


def test_a_manager_of_every_branch_manages_an_account_with_no_branch(app: Flask, sign_in):
    lonely = _account(app, "lonely@example.com", Role.CARER, [])
    assert sign_in("manager").get(f"/users/{lonely}").status_code == 200
