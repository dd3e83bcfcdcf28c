"""Office staff see the branches on their account, and only those (issue 12,
finding 2: an office account given only SOUTH read NORTH's incidents)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core import scoping
from core.models import Branch, Role, User
from core.passwords import hash_password
from extensions import db
from incidents import services
from incidents.schemas import IncidentInSchema
from learning.models import Bulletin
from tests.conftest import PASSWORD, Client
from tests.factories import incident_payload

SOUTH_OFFICE = "south.office@example.com"


@pytest.fixture
def south_office(app: Flask, seeded: dict[str, Any]) -> int:
    """An office account given SOUTH only."""
    with app.app_context():
        south = db.session.scalar(db.select(Branch).where(Branch.code == "SOUTH"))
        user = User(
            email=SOUTH_OFFICE,
            name="Sade South-Office",
            role=Role.OFFICE.value,
            password_hash=hash_password(PASSWORD),
            branches=[south],
        )
        db.session.add(user)
        db.session.commit()
        return user.id


@pytest.fixture
def client_of_south_office(app: Flask, south_office: int) -> Client:
    client = Client(app.test_client())
    assert client.sign_in(SOUTH_OFFICE).status_code == 302
    return client


def _incident(app: Flask, author_id: int, **changes: Any) -> str:
    body = incident_payload(**changes)
    with app.app_context():
        author = db.session.get_one(User, author_id)
        services.create_incident(author, IncidentInSchema().load(body))
        db.session.remove()
    return str(body["id"])


@pytest.fixture
def north_and_south(app: Flask, seeded: dict[str, Any]) -> dict[str, str]:
    return {
        "NORTH": _incident(app, seeded["carer1"].id, person_ref="P-0001"),
        "SOUTH": _incident(app, seeded["carer3"].id, person_ref="P-0011"),
    }


@pytest.mark.parametrize(
    "url", ["/incidents/{}", "/api/v1/incidents/{}", "/incidents/{}/details", "/incidents/{}/chase"]
)
def test_office_of_one_branch_cannot_open_another_branchs_incident(
    client_of_south_office, north_and_south, url
):
    assert client_of_south_office.get(url.format(north_and_south["NORTH"])).status_code == 404
    assert client_of_south_office.get(url.format(north_and_south["SOUTH"])).status_code == 200


@pytest.mark.parametrize("url", ["/incidents", "/incidents?branch=NORTH", "/api/v1/incidents"])
def test_office_of_one_branch_lists_only_its_branch(client_of_south_office, north_and_south, url):
    text = client_of_south_office.get(url).get_data(as_text=True)
    assert north_and_south["NORTH"] not in text
    if "branch=NORTH" not in url:
        assert north_and_south["SOUTH"] in text


def _user(user_id: int) -> User:
    return db.session.get_one(User, user_id)


def test_office_of_one_branch_has_its_branchs_people_teams_and_branches(
    app_ctx: Flask, south_office: int
):
    office = _user(south_office)
    assert [b.code for b in scoping.branches_for(office)] == ["SOUTH"]
    assert {p.ref for p in scoping.people_for(office)} == {f"P-{n:04d}" for n in range(11, 21)}
    assert scoping.person_by_ref(office, "P-0001") is None
    assert all(t.branch.code == "SOUTH" for t in scoping.teams_for(office))


def test_office_of_one_branch_has_only_its_branchs_colleagues(
    app_ctx: Flask, seeded: dict[str, Any], south_office: int
):
    emails = {u.email for u in scoping.staff_for(_user(south_office))}
    assert "carer1@example.com" not in emails
    assert "carer3@example.com" in emails


def test_office_of_one_branch_does_not_see_another_branchs_bulletin(
    app_ctx: Flask, seeded: dict[str, Any], south_office: int
):
    north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
    bulletin = Bulletin(
        title="North only",
        what_happened="x",
        what_learned="y",
        what_changes="z",
        author_id=seeded["manager"].id,
        branches=[north],
    )
    db.session.add(bulletin)
    db.session.flush()
    visible = db.session.scalars(scoping.scoped(db.select(Bulletin), _user(south_office), Bulletin))
    assert bulletin not in list(visible)
