"""The branches page: a manager sees the branches they manage with what is in
each, adds a branch (and then manages it), renames one and archives one with no
work left in it; archiving is refused with the reason while a branch has open
incidents or active carers and supervisors. An archived branch is offered
nowhere and its records stay. Nothing outside the manager's branches is seen or
changed; every bad input is a 422 with an error summary and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from core.models import Branch, Role, TrailEvent, User
from core.passwords import hash_password
from extensions import db
from incidents import services as incident_services
from incidents.models import Incident, Status
from incidents.schemas import IncidentInSchema
from tests.conftest import PASSWORD, Client, sign_in_new_account
from tests.factories import incident_payload

SUMMARY = "There is a problem"


def _branch(app: Flask, code: str) -> dict[str, Any]:
    with app.app_context():
        branch = db.session.scalar(db.select(Branch).where(Branch.code == code))
        assert branch is not None, code
        return {"id": branch.id, "name": branch.name, "archived": branch.archived}


def _branch_count(app: Flask) -> int:
    with app.app_context():
        return len(list(db.session.scalars(db.select(Branch))))


def _events(app: Flask, record_type: str, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(TrailEvent)
            .where(TrailEvent.record_type == record_type, TrailEvent.action == action)
            .order_by(TrailEvent.id)
        )
        return [{"id": e.record_id, "actor": e.actor_id, **e.detail} for e in rows]


def _south_manager(app: Flask) -> Client:
    return sign_in_new_account(app, "south.manager@example.com", "Sol South", "manager", ["SOUTH"])


def _add_branch(manager: Client, code: str = "EAST", name: str = "East Leeds") -> Any:
    return manager.post_form("/branches", {"code": code, "name": name})


def _add_carer(app: Flask, code: str, *, active: bool = True) -> int:
    with app.app_context():
        branch = db.session.scalar(db.select(Branch).where(Branch.code == code))
        carer = User(
            email=f"carer.{code.lower()}@example.com",
            name=f"Carer of {code}",
            role=Role.CARER.value,
            password_hash=hash_password(PASSWORD),
            branches=[branch],
            active=active,
        )
        db.session.add(carer)
        db.session.commit()
        return carer.id


def _open_incident(app: Flask, carer_id: int) -> str:
    """A report by this carer (of a branch with no people supported: none named)."""
    with app.app_context():
        carer = db.session.get_one(User, carer_id)
        body = incident_payload(person_ref=None, branch=carer.branches[0].code)
        incident = incident_services.create_incident(carer, IncidentInSchema().load(body)).incident
        return str(incident.id)


def _switch_off(app: Flask, user_id: int) -> None:
    with app.app_context():
        db.session.get_one(User, user_id).active = False
        db.session.commit()


def _close(app: Flask, incident_id: str) -> None:
    with app.app_context():
        db.session.get_one(Incident, incident_id).status = Status.CLOSED.value
        db.session.commit()


def _row(html: str, code: str) -> str:
    match = re.search(rf'<tr[^>]*data-branch="{code}".*?</tr>', html, re.S)
    assert match is not None, code
    return match.group(0)


def _count(row: str, key: str) -> int:
    match = re.search(rf'data-count="{key}"><span[^>]*>[^<]*</span>(\d+)', row)
    assert match is not None, key
    return int(match.group(1))


# --- the list ------------------------------------------------------------------------


def test_the_manager_sees_each_branch_with_its_open_incidents_staff_and_people(app, sign_in):
    carer = sign_in("carer1")
    assert carer.post_json("/api/v1/incidents", incident_payload()).status_code == 201
    html = sign_in("manager").get("/branches").get_data(as_text=True)
    north, south = _row(html, "NORTH"), _row(html, "SOUTH")
    assert [_count(north, k) for k in ("open_incidents", "active_staff", "people")] == [1, 3, 10]
    assert [_count(south, k) for k in ("open_incidents", "active_staff", "people")] == [0, 1, 10]


def test_a_manager_of_one_branch_sees_only_that_branch(app, seeded):
    html = _south_manager(app).get("/branches").get_data(as_text=True)
    assert 'data-branch="SOUTH"' in html
    assert 'data-branch="NORTH"' not in html


@pytest.mark.parametrize("key", ["carer1", "supervisor", "office"])
def test_only_managers_have_the_branches_page(sign_in, key):
    assert sign_in(key).get("/branches").status_code == 403


# --- adding ------------------------------------------------------------------------------


def test_a_manager_adds_a_branch_and_then_manages_it(app, sign_in, seeded):
    manager = sign_in("manager")
    response = _add_branch(manager, code=" east-2 ", name="  East   Leeds ")
    assert response.status_code == 302
    branch = _branch(app, "EAST-2")
    assert branch == {"id": branch["id"], "name": "East Leeds", "archived": False}
    with app.app_context():
        codes = [b.code for b in db.session.get_one(User, seeded["manager"].id).branches]
    assert "EAST-2" in codes
    assert 'data-branch="EAST-2"' in manager.get("/branches").get_data(as_text=True)
    created = _events(app, "branch", "create")
    assert created == [
        {
            "id": str(branch["id"]),
            "actor": seeded["manager"].id,
            "code": "EAST-2",
            "name": "East Leeds",
        }
    ]
    assert _events(app, "user", "update")[-1]["changes"] == {"branches_added": ["EAST-2"]}


def test_a_code_in_use_is_refused_even_when_the_branch_is_not_the_managers(app, seeded):
    south_manager = _south_manager(app)
    before = _branch_count(app)
    response = _add_branch(south_manager, code="north", name="Another north")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert SUMMARY in html
    assert "There is already a branch with the code NORTH" in html
    assert "North branch" not in html  # nothing about the branch that has it
    assert _branch_count(app) == before


@pytest.mark.parametrize(
    ("code", "name", "message"),
    [
        ("", "East", "Enter a code of up to 20 capital letters"),
        ("EAST SIDE", "East", "Enter a code of up to 20 capital letters"),
        ("-EAST", "East", "Enter a code of up to 20 capital letters"),
        ("EAST!", "East", "Enter a code of up to 20 capital letters"),
        ("E" * 21, "East", "Enter a code of up to 20 capital letters"),
        ("ÉAST", "East", "Enter a code of up to 20 capital letters"),
        ("EAST", "", "Enter a name of up to 120 characters"),
        ("EAST", "   ", "Enter a name of up to 120 characters"),
        ("EAST", "E" * 121, "Enter a name of up to 120 characters"),
    ],
)
def test_a_bad_branch_is_refused_and_nothing_is_added(app, sign_in, code, name, message):
    before = _branch_count(app)
    response = _add_branch(sign_in("manager"), code=code, name=name)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert SUMMARY in html
    assert message in html
    assert _branch_count(app) == before


# --- renaming -------------------------------------------------------------------------------


def test_a_manager_renames_a_branch(app, sign_in, seeded):
    north = _branch(app, "NORTH")
    response = sign_in("manager").post_form(f"/branches/{north['id']}", {"name": "Leeds North"})
    assert response.status_code == 302
    assert _branch(app, "NORTH")["name"] == "Leeds North"
    assert _events(app, "branch", "update")[-1]["changes"] == {
        "name": ["North branch", "Leeds North"]
    }


@pytest.mark.parametrize("name", ["", " ", "x" * 121])
def test_a_bad_name_is_refused_and_the_branch_keeps_its_name(app, sign_in, name):
    north = _branch(app, "NORTH")
    response = sign_in("manager").post_form(f"/branches/{north['id']}", {"name": name})
    assert response.status_code == 422
    assert SUMMARY in response.get_data(as_text=True)
    assert _branch(app, "NORTH")["name"] == north["name"]


@pytest.mark.parametrize("action", ["", "/archive", "/restore"])
def test_a_branch_beyond_the_managers_is_not_found_and_not_changed(app, seeded, action):
    north = _branch(app, "NORTH")
    south_manager = _south_manager(app)
    assert south_manager.get(f"/branches/{north['id']}").status_code == 404
    response = south_manager.post_form(f"/branches/{north['id']}{action}", {"name": "Mine now"})
    assert response.status_code == 404
    assert _branch(app, "NORTH") == north


# --- archiving ---------------------------------------------------------------------------------


def test_an_empty_branch_is_archived_and_offered_nowhere(app, sign_in, seeded):
    manager = sign_in("manager")
    _add_branch(manager)
    east = _branch(app, "EAST")
    assert manager.post_form(f"/branches/{east['id']}/archive").status_code == 302
    assert _branch(app, "EAST")["archived"] is True
    assert _events(app, "branch", "archive") == [
        {"id": str(east["id"]), "actor": seeded["manager"].id, "code": "EAST"}
    ]
    # Still listed for the manager, as archived; no longer a choice on the staff
    # page, the people page or the report form.
    assert "Archived" in _row(manager.get("/branches").get_data(as_text=True), "EAST")
    assert "East Leeds (EAST)" not in manager.get("/users").get_data(as_text=True)
    assert "East Leeds (EAST)" not in manager.get("/people").get_data(as_text=True)
    assert 'value="EAST"' not in manager.get("/incidents/new").get_data(as_text=True)


def test_archiving_is_refused_while_carers_or_supervisors_are_active(app, sign_in):
    manager = sign_in("manager")
    _add_branch(manager)
    east = _branch(app, "EAST")
    _add_carer(app, "EAST")
    response = manager.post_form(f"/branches/{east['id']}/archive")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert SUMMARY in html
    assert "EAST still has 1 carer or supervisor whose accounts are switched on" in html
    assert _branch(app, "EAST")["archived"] is False
    assert _events(app, "branch", "archive") == []


def test_archiving_is_refused_while_incidents_are_open_then_allowed_once_closed(app, sign_in):
    manager = sign_in("manager")
    _add_branch(manager)
    east = _branch(app, "EAST")
    carer_id = _add_carer(app, "EAST")
    incident_id = _open_incident(app, carer_id)
    _switch_off(app, carer_id)
    page = manager.get(f"/branches/{east['id']}").get_data(as_text=True)
    assert "EAST has 1 incident that is not closed yet" in page
    response = manager.post_form(f"/branches/{east['id']}/archive")
    assert response.status_code == 422
    assert "EAST has 1 incident that is not closed yet" in response.get_data(as_text=True)
    assert _branch(app, "EAST")["archived"] is False

    _close(app, incident_id)
    assert manager.post_form(f"/branches/{east['id']}/archive").status_code == 302
    assert _branch(app, "EAST")["archived"] is True
    # Its records stay, and the manager still sees them.
    assert manager.get(f"/incidents/{incident_id}").status_code == 200


def test_the_people_of_an_archived_branch_leave_the_phones_reference_list(app, sign_in):
    manager = sign_in("manager")
    _add_branch(manager)
    east = _branch(app, "EAST")
    added = manager.post_form(
        "/people", {"ref": "E-0001", "initials": "EL", "branch_id": east["id"]}
    )
    assert added.status_code == 302
    people = [p["ref"] for p in manager.get("/api/v1/reference").get_json()["people"]]
    assert "E-0001" in people
    assert manager.post_form(f"/branches/{east['id']}/archive").status_code == 302
    people = [p["ref"] for p in manager.get("/api/v1/reference").get_json()["people"]]
    assert "E-0001" not in people
    assert "P-0001" in people


def test_an_archived_branch_is_used_again(app, sign_in, seeded):
    manager = sign_in("manager")
    _add_branch(manager)
    east = _branch(app, "EAST")
    manager.post_form(f"/branches/{east['id']}/archive")
    assert manager.post_form(f"/branches/{east['id']}/restore").status_code == 302
    assert _branch(app, "EAST")["archived"] is False
    assert _events(app, "branch", "restore")[0]["code"] == "EAST"
    assert "East Leeds (EAST)" in manager.get("/users").get_data(as_text=True)


def test_saving_an_account_keeps_its_archived_branch(app, sign_in, seeded):
    """The staff form does not offer an archived branch, so saving an account
    must not take it away (its holder would stop seeing its records)."""
    manager = sign_in("manager")
    _add_branch(manager)
    east = _branch(app, "EAST")
    manager.post_form(f"/branches/{east['id']}/archive")
    with app.app_context():
        ids = [
            b.id for b in db.session.get_one(User, seeded["manager"].id).branches if not b.archived
        ]
    form = {"name": "Morgan Manager", "role": "manager", "branch_ids": ids, "active": "true"}
    assert manager.post_form(f"/users/{seeded['manager'].id}", form).status_code == 302
    with app.app_context():
        codes = [b.code for b in db.session.get_one(User, seeded["manager"].id).branches]
    assert "EAST" in codes
