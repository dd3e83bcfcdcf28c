"""A manager adds, changes and deactivates staff accounts within their branches."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from core.models import Branch, TrailEvent, User
from extensions import db


def _branch_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Branch.id).where(Branch.code == code))


@pytest.mark.parametrize("key", ["carer1", "supervisor", "office"])
def test_only_managers_reach_the_staff_page(sign_in, key):
    assert sign_in(key).get("/users").status_code == 403


def test_manager_sees_staff_of_their_branches(sign_in):
    html = sign_in("manager").get("/users").get_data(as_text=True)
    for email in ("carer1@example.com", "carer3@example.com", "office@example.com"):
        assert email in html


def test_manager_adds_a_carer_who_then_chooses_a_password_and_signs_in(app: Flask, sign_in, client):
    manager = sign_in("manager")
    north = _branch_id(app, "NORTH")
    response = manager.post_form(
        "/users",
        {
            "name": "Dee Newcarer",
            "email": "Dee@Example.com",
            "role": "carer",
            "branch_ids": [north],
        },
    )
    assert response.status_code == 200
    match = re.search(
        r">http://localhost(/invitations/[^<]+)</textarea>", response.get_data(as_text=True)
    )
    assert match is not None
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "dee@example.com"))
        assert user is not None
        assert [b.code for b in user.branches] == ["NORTH"]
        event = db.session.scalar(
            db.select(TrailEvent).where(
                TrailEvent.record_type == "user", TrailEvent.action == "create"
            )
        )
        assert event.record_id == str(user.id)
        assert event.detail["role"] == "carer"
    chosen = "a-long-first-password"
    assert (
        client.post_form(
            match.group(1), {"new_password": chosen, "confirm_password": chosen}
        ).status_code
        == 302
    )
    assert client.sign_in("dee@example.com", chosen).status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter an email address like name@example.com."),
        ("email", "carer1@example.com", "Someone already has this email address."),
        ("role", "admin", "Choose a role."),
        ("name", "", "Enter a name of up to 120 characters."),
    ],
)
def test_bad_new_account_is_refused_with_a_reason(app: Flask, sign_in, field, value, message):
    manager = sign_in("manager")
    form = {
        "name": "Valid Name",
        "email": "valid@example.com",
        "role": "carer",
        "branch_ids": [_branch_id(app, "NORTH")],
    }
    form[field] = value
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(User.id)))
    response = manager.post_form("/users", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "There is a problem" in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == before


def test_manager_cannot_give_a_branch_they_do_not_hold(app: Flask, sign_in):
    with app.app_context():
        db.session.add(Branch(code="EAST", name="East branch"))
        db.session.commit()
    manager = sign_in("manager")
    response = manager.post_form(
        "/users",
        {
            "name": "Eve East",
            "email": "eve@example.com",
            "role": "carer",
            "branch_ids": [_branch_id(app, "EAST")],
        },
    )
    assert response.status_code == 422
    assert "Choose at least one of your branches." in response.get_data(as_text=True)


def test_staff_outside_the_managers_branches_are_404(app: Flask, sign_in, seeded):
    with app.app_context():
        east = Branch(code="EAST", name="East branch")
        outsider = User(
            email="east@example.com",
            name="East Carer",
            role="carer",
            password_hash="x",
            branches=[east],
        )
        db.session.add(outsider)
        db.session.commit()
        outsider_id = outsider.id
    manager = sign_in("manager")
    assert manager.get(f"/users/{outsider_id}").status_code == 404
    assert "east@example.com" not in manager.get("/users").get_data(as_text=True)


def test_manager_changes_a_role_and_the_trail_records_before_and_after(app: Flask, sign_in, seeded):
    manager = sign_in("manager")
    response = manager.post_form(
        f"/users/{seeded['carer2'].id}",
        {
            "name": "Ben Carer",
            "role": "supervisor",
            "branch_ids": [_branch_id(app, "NORTH")],
            "active": "true",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get_one(User, seeded["carer2"].id).role == "supervisor"
        event = db.session.scalar(db.select(TrailEvent).where(TrailEvent.action == "update"))
        assert event.detail["changes"]["role"] == ["carer", "supervisor"]


def test_manager_cannot_deactivate_themselves(app: Flask, sign_in, seeded):
    manager = sign_in("manager")
    response = manager.post_form(
        f"/users/{seeded['manager'].id}",
        {"name": "Morgan Manager", "role": "manager", "branch_ids": [_branch_id(app, "NORTH")]},
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get_one(User, seeded["manager"].id).active is True
