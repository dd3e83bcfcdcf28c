"""The people supported, kept by managers and office staff within their
branches: the list with search and pages, adding (a reference unique across the
service), correcting initials, moving, archiving with a reason and bringing
back. Out of the caller's branches is 404 and changes nothing; every bad input
is a 422 with an error summary and changes nothing; every change is on the trail."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from core.models import Branch, PersonSupported, TrailEvent
from extensions import db
from tests.conftest import Client, sign_in_new_account

SUMMARY = "There is a problem"
PRIVACY = "Candour keeps only a reference and initials for each person you support."


def _person(app: Flask, ref: str) -> dict[str, Any]:
    with app.app_context():
        person = db.session.scalar(db.select(PersonSupported).where(PersonSupported.ref == ref))
        assert person is not None, ref
        return {
            "id": person.id,
            "initials": person.initials,
            "branch": person.branch.code,
            "active": person.active,
            "reason": person.archive_reason,
            "note": person.archive_note,
        }


def _people_count(app: Flask) -> int:
    with app.app_context():
        return len(list(db.session.scalars(db.select(PersonSupported.id))))


def _branch_id(app: Flask, code: str) -> int:
    with app.app_context():
        return int(db.session.scalar(db.select(Branch.id).where(Branch.code == code)))


def _events(app: Flask, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(TrailEvent)
            .where(TrailEvent.record_type == "person_supported", TrailEvent.action == action)
            .order_by(TrailEvent.id)
        )
        return [{"id": e.record_id, "actor": e.actor_id, **e.detail} for e in rows]


def _listed(html: str) -> list[str]:
    return re.findall(r'data-person="([^"]+)"', html)


def _south(app: Flask, role: str) -> Client:
    email = f"south.{role}@example.com"
    return sign_in_new_account(app, email, f"South {role}", role, ["SOUTH"])


def _add(
    client: Client, app: Flask, ref: str = "P-0021", initials: str = "JS", code: str = "NORTH"
) -> Any:
    return client.post_form(
        "/people", {"ref": ref, "initials": initials, "branch_id": _branch_id(app, code)}
    )


# --- the list --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["manager", "office"])
def test_managers_and_office_see_the_people_of_their_branches_and_the_privacy_rule(sign_in, key):
    html = sign_in(key).get("/people").get_data(as_text=True)
    assert _listed(html) == [f"P-{n:04d}" for n in range(1, 21)]
    assert PRIVACY in html
    assert "Never enter a name, an address" in html


@pytest.mark.parametrize("key", ["carer1", "supervisor"])
def test_carers_and_supervisors_do_not_keep_the_list(sign_in, key):
    client = sign_in(key)
    assert client.get("/people").status_code == 403
    assert client.post_form("/people", {"ref": "P-0099", "initials": "AB"}).status_code == 403


@pytest.mark.parametrize("role", ["manager", "office"])
def test_staff_of_one_branch_see_only_its_people(app, seeded, role):
    html = _south(app, role).get("/people").get_data(as_text=True)
    assert _listed(html) == [f"P-{n:04d}" for n in range(11, 21)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("P-0003", ["P-0003"]),
        ("p-001", [f"P-{n:04d}" for n in range(10, 20)]),
        ("gh", ["P-0004"]),
        ("%", []),
    ],
)
def test_search_by_reference_or_initials(sign_in, text, found):
    html = sign_in("office").get("/people", query_string={"q": text}).get_data(as_text=True)
    assert _listed(html) == found


def test_a_long_list_comes_a_page_at_a_time_without_repeats(app, sign_in):
    manager = sign_in("manager")
    with app.app_context():
        north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
        for n in range(21, 81):
            db.session.add(PersonSupported(ref=f"P-{n:04d}", initials="AA", branch=north))
        db.session.commit()
    first = manager.get("/people").get_data(as_text=True)
    assert len(_listed(first)) == 50
    link = re.search(r'href="(/people\?[^"]*after=[^"]+)"', first)
    assert link is not None
    second = manager.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _listed(first) + _listed(second) == [f"P-{n:04d}" for n in range(1, 81)]
    assert "after=" not in second


@pytest.mark.parametrize(
    "query", [{"after": "not-a-cursor"}, {"after": "!!!"}, {"q": "x" * 41}, {"archived": "maybe"}]
)
def test_a_bad_list_address_is_a_422_with_a_message(sign_in, query):
    response = sign_in("manager").get("/people", query_string=query)
    assert response.status_code == 422
    assert SUMMARY in response.get_data(as_text=True)


# --- adding --------------------------------------------------------------------------------


def test_a_person_is_added_with_a_reference_and_initials(app, sign_in, seeded):
    response = _add(sign_in("office"), app, ref=" p-0021 ", initials="j.s.")
    assert response.status_code == 302
    assert _person(app, "P-0021") == {
        "id": _person(app, "P-0021")["id"],
        "initials": "JS",
        "branch": "NORTH",
        "active": True,
        "reason": None,
        "note": None,
    }
    assert _events(app, "create") == [
        {
            "id": str(_person(app, "P-0021")["id"]),
            "actor": seeded["office"].id,
            "ref": "P-0021",
            "branch": "NORTH",
        }
    ]


@pytest.mark.parametrize("taken", ["P-0001", "p-0001"])
def test_a_reference_in_use_elsewhere_is_refused_without_saying_whose_it_is(app, seeded, taken):
    """P-0001 is in NORTH, which the SOUTH-only office cannot see: it is told the
    reference is used, and nothing about the person who has it."""
    before = _people_count(app)
    response = _add(_south(app, "office"), app, ref=taken, initials="ZZ", code="SOUTH")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert SUMMARY in html
    assert "The reference P-0001 is already used by someone the service supports." in html
    assert "AB" not in re.sub(r"<[^>]+>", "", html).split()  # P-0001's initials
    assert "North branch" not in html
    assert _people_count(app) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ref", "", "Enter a reference of up to 20"),
        ("ref", "P 0021", "Enter a reference of up to 20"),
        ("ref", "P-0021!", "Enter a reference of up to 20"),
        ("ref", "-P21", "Enter a reference of up to 20"),
        ("ref", "P" * 21, "Enter a reference of up to 20"),
        ("initials", "", "Enter initials only"),
        ("initials", "J5", "Enter initials only"),
        ("initials", "Jonathan Smith", "Enter initials only"),
        ("branch_id", "", "Choose one of your branches."),
        ("branch_id", "abc", "Choose one of your branches."),
        ("branch_id", "99999999999", "Choose one of your branches."),
        ("branch_id", "SOUTH", "Choose one of your branches."),
    ],
)
def test_every_bad_answer_is_refused_and_nothing_is_added(app, seeded, field, value, message):
    """As an office account of NORTH only (SOUTH is not one of its branches)."""
    client = sign_in_new_account(app, "north.office@example.com", "N", "office", ["NORTH"])
    form = {"ref": "P-0021", "initials": "JS", "branch_id": str(_branch_id(app, "NORTH"))}
    form[field] = str(_branch_id(app, "SOUTH")) if value == "SOUTH" else value
    before = _people_count(app)
    response = client.post_form("/people", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert SUMMARY in html
    assert message in html
    assert _people_count(app) == before
    assert _events(app, "create") == []


# --- one person ---------------------------------------------------------------------------


def test_initials_are_corrected(app, sign_in, seeded):
    person = _person(app, "P-0002")
    response = sign_in("office").post_form(f"/people/{person['id']}", {"initials": "xy"})
    assert response.status_code == 302
    assert _person(app, "P-0002")["initials"] == "XY"
    assert _events(app, "update")[-1]["changes"] == {"initials": ["CD", "XY"]}


@pytest.mark.parametrize("initials", ["", "12", "Christopher"])
def test_bad_initials_are_refused_and_kept_as_they_were(app, sign_in, initials):
    person = _person(app, "P-0002")
    response = sign_in("office").post_form(f"/people/{person['id']}", {"initials": initials})
    assert response.status_code == 422
    assert SUMMARY in response.get_data(as_text=True)
    assert _person(app, "P-0002") == person


def test_a_person_moves_to_another_of_the_users_branches(app, sign_in, seeded):
    person = _person(app, "P-0002")
    response = sign_in("manager").post_form(
        f"/people/{person['id']}/move", {"branch_id": _branch_id(app, "SOUTH")}
    )
    assert response.status_code == 302
    assert _person(app, "P-0002")["branch"] == "SOUTH"
    assert _events(app, "move") == [
        {
            "id": str(person["id"]),
            "actor": seeded["manager"].id,
            "changes": {"branch": ["NORTH", "SOUTH"]},
        }
    ]


@pytest.mark.parametrize(
    ("code", "message"), [("NORTH", "already in this branch"), ("", "Choose one of your branches.")]
)
def test_a_move_to_the_same_or_no_branch_is_refused(app, sign_in, code, message):
    person = _person(app, "P-0002")
    branch = str(_branch_id(app, code)) if code else ""
    response = sign_in("manager").post_form(f"/people/{person['id']}/move", {"branch_id": branch})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _person(app, "P-0002") == person


def test_a_person_cannot_be_moved_into_a_branch_that_is_not_the_users(app, seeded):
    person = _person(app, "P-0011")
    south_manager = _south(app, "manager")
    response = south_manager.post_form(
        f"/people/{person['id']}/move", {"branch_id": _branch_id(app, "NORTH")}
    )
    assert response.status_code == 422
    assert "Choose one of your branches." in response.get_data(as_text=True)
    assert _person(app, "P-0011") == person


@pytest.mark.parametrize("role", ["manager", "office"])
@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("", {"initials": "ZZ"}),
        ("/move", {"branch_id": "SOUTH"}),
        ("/archive", {"reason": "died"}),
        ("/restore", {}),
    ],
)
def test_a_person_beyond_the_users_branches_is_not_found_and_not_changed(
    app, seeded, role, action, form
):
    person = _person(app, "P-0001")
    client = _south(app, role)
    assert client.get(f"/people/{person['id']}").status_code == 404
    if form.get("branch_id") == "SOUTH":
        form = {"branch_id": str(_branch_id(app, "SOUTH"))}
    assert client.post_form(f"/people/{person['id']}{action}", form).status_code == 404
    assert _person(app, "P-0001") == person


# --- archiving ------------------------------------------------------------------------------


def test_a_person_is_archived_with_a_reason_and_the_record_stays(app, sign_in, seeded):
    person = _person(app, "P-0003")
    office = sign_in("office")
    response = office.post_form(
        f"/people/{person['id']}/archive", {"reason": "moved_away", "note": ""}
    )
    assert response.status_code == 302
    after = _person(app, "P-0003")
    assert (after["active"], after["reason"], after["note"]) == (False, "moved_away", None)
    assert _events(app, "archive") == [
        {
            "id": str(person["id"]),
            "actor": seeded["office"].id,
            "reason": "moved_away",
            "note": None,
        }
    ]
    assert "P-0003" not in _listed(office.get("/people").get_data(as_text=True))
    archived = office.get("/people", query_string={"archived": "true"}).get_data(as_text=True)
    assert _listed(archived) == ["P-0003"]
    assert "Moved away" in archived
    assert office.get(f"/people/{person['id']}").status_code == 200


def test_other_needs_a_note(app, sign_in):
    person = _person(app, "P-0003")
    manager = sign_in("manager")
    refused = manager.post_form(f"/people/{person['id']}/archive", {"reason": "other", "note": " "})
    assert refused.status_code == 422
    assert "Say in a few words why" in refused.get_data(as_text=True)
    assert _person(app, "P-0003") == person
    form = {"reason": "other", "note": "Now with another provider"}
    assert manager.post_form(f"/people/{person['id']}/archive", form).status_code == 302
    assert _person(app, "P-0003")["note"] == "Now with another provider"


@pytest.mark.parametrize(
    "form",
    [{}, {"reason": ""}, {"reason": "bored"}, {"reason": "died", "note": "x" * 201}],
)
def test_archiving_without_a_good_reason_is_refused_and_changes_nothing(app, sign_in, form):
    person = _person(app, "P-0003")
    response = sign_in("manager").post_form(f"/people/{person['id']}/archive", form)
    assert response.status_code == 422
    assert SUMMARY in response.get_data(as_text=True)
    assert _person(app, "P-0003") == person
    assert _events(app, "archive") == []


def test_an_archived_person_is_brought_back_into_care(app, sign_in, seeded):
    person = _person(app, "P-0003")
    manager = sign_in("manager")
    manager.post_form(f"/people/{person['id']}/archive", {"reason": "ended_care"})
    assert manager.post_form(f"/people/{person['id']}/restore").status_code == 302
    assert _person(app, "P-0003") == person
    assert _events(app, "restore")[0]["was"] == {"reason": "ended_care", "note": None}
    refs = [p["ref"] for p in manager.get("/api/v1/reference").get_json()["people"]]
    assert "P-0003" in refs


@pytest.mark.parametrize(
    ("key", "people", "branches"),
    [
        ("manager", True, True),
        ("office", True, False),
        ("supervisor", False, False),
        ("carer1", False, False),
    ],
)
def test_the_menu_links_to_people_and_branches_for_who_uses_them(sign_in, key, people, branches):
    html = sign_in(key).get("/").get_data(as_text=True)
    assert ('href="/people"' in html) is people
    assert ('href="/branches"' in html) is branches
