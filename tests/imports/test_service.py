"""imports.service: reading files as spreadsheets save them, and each row's
outcome (add, update, unchanged, error) with its reason."""

from __future__ import annotations

import pytest

from core.models import PersonSupported, User
from extensions import db
from imports import service
from imports.plans import Outcome
from imports.reading import ImportFileError
from tests.helpers import statements_during
from tests.imports.conftest import PEOPLE_HEADER, STAFF_HEADER, excel_csv, plain_csv


def _outcomes(plan) -> list[tuple[int, str, list[str]]]:
    return [(r.line, r.outcome.value, r.reasons) for r in plan.rows]


# --- reading ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "ref,initials,branch",
        "Ref, Initials , BRANCH",
        "branch,ref,initials",
        "ref,initials,branch,,",
    ],
)
def test_a_header_in_any_case_order_or_spacing_is_read(staff, header):
    columns = [c.strip().lower() for c in header.split(",") if c.strip()]
    row = ",".join({"ref": "X-1", "initials": "AB", "branch": "NORTH"}[c] for c in columns)
    plan = service.preview("people", excel_csv(header, row), None)
    assert _outcomes(plan) == [(2, "add", [])]


def test_lines_are_numbered_as_the_spreadsheet_shows_them(staff):
    data = plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH", ",,", "", "X-2,,NORTH")
    plan = service.preview("people", data, None)
    assert [(r.line, r.outcome.value) for r in plan.rows] == [(2, "add"), (5, "error")]


def test_a_quoted_value_with_a_comma_and_crlf_inside_is_one_value(staff, teams):
    data = excel_csv(STAFF_HEADER, '"sam@example.com","Jones, Sam",carer,"NORTH;SOUTH",')
    plan = service.preview("staff", data, None)
    assert _outcomes(plan) == [(2, "add", [])]
    assert plan.rows[0].values["name"] == "Jones, Sam"
    assert plan.rows[0].values["branches"] == ["NORTH", "SOUTH"]


def test_too_many_values_on_a_line_is_an_error(staff):
    plan = service.preview("people", plain_csv(PEOPLE_HEADER, "X-1,A,B,NORTH"), None)
    assert any("more values than there are columns" in r for r in plan.rows[0].reasons)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n", "The file is empty."),
        (plain_csv(PEOPLE_HEADER), "no rows below them"),
        (plain_csv("ref,initials"), "must name the columns ref,initials,branch"),
        ("ref,initials,branch\nX-1,\xc9T,NORTH\n".encode("cp1252"), "line 2"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why(staff, data, message):
    with pytest.raises(ImportFileError, match=message):
        service.preview("people", data, None)


# --- people ------------------------------------------------------------------------


def test_people_outcomes_and_update_detection(staff):
    data = plain_csv(
        PEOPLE_HEADER,
        "X-1,AB,NORTH",  # new
        "P-0001,AB,NORTH",  # as on file
        "P-0002,ZZ,NORTH",  # new initials
        "P-0003,EF,SOUTH",  # moved branch
    )
    plan = service.preview("people", data, None)
    assert [r.outcome for r in plan.rows] == [
        Outcome.ADD,
        Outcome.UNCHANGED,
        Outcome.UPDATE,
        Outcome.UPDATE,
    ]
    assert plan.rows[2].changes == {"initials": ["CD", "ZZ"]}
    assert plan.rows[3].changes == {"branch": ["NORTH", "SOUTH"]}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("X-1,AB,EAST", "No branch has the code EAST."),
        ("X-1,ABCDEFG,NORTH", "Enter initials of up to 6 characters."),
        (",AB,NORTH", "Enter a reference of up to 20 characters."),
        ("X-1,AB,", "Enter the branch code."),
    ],
)
def test_a_bad_person_row_says_why(staff, row, reason):
    plan = service.preview("people", plain_csv(PEOPLE_HEADER, row), None)
    assert _outcomes(plan) == [(2, "error", [reason])]


def test_a_duplicate_reference_in_the_file_is_an_error(staff):
    plan = service.preview("people", plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "x-1,CD,NORTH"), None)
    assert plan.rows[1].reasons == ["The reference x-1 is also on line 2: each person once."]


def test_a_bad_row_writes_nothing(staff):
    data = plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "P-0001,ZZ,NORTH", "X-2,AB,EAST")
    result = service.run("people", data, None, source="people.csv")
    assert not result.plan.ok
    assert db.session.scalar(db.select(PersonSupported).where(PersonSupported.ref == "X-1")) is None
    assert (
        db.session.scalar(
            db.select(PersonSupported).where(PersonSupported.ref == "P-0001")
        ).initials
        == "AB"
    )


def test_five_thousand_people_import_in_one_go(staff):
    rows = [f"N-{n:05d},AB,{'NORTH' if n % 2 else 'SOUTH'}" for n in range(5000)]
    result = service.run("people", excel_csv(PEOPLE_HEADER, *rows), None, source="big.csv")
    assert result.plan.summary() == "5000 added, 0 updated, 0 unchanged"
    again = service.run("people", excel_csv(PEOPLE_HEADER, *rows), None, source="big.csv")
    assert again.plan.summary() == "0 added, 0 updated, 5000 unchanged"


# --- staff -------------------------------------------------------------------------


def test_staff_outcomes_and_update_detection(staff, teams):
    data = plain_csv(
        STAFF_HEADER,
        "new@example.com,New Person,carer,NORTH,",
        "carer1@example.com,Cara Carer,carer,NORTH,",
        "carer2@example.com,Other Name,carer,NORTH,",
        "carer3@example.com,Cara Three,Supervisor,SOUTH;NORTH,Harbour",
    )
    for key in ("carer1", "carer2", "carer3"):
        staff[key].name = {"carer1": "Cara Carer", "carer2": "Cal Carer", "carer3": "Cara Three"}[
            key
        ]
    db.session.commit()
    plan = service.preview("staff", data, None)
    assert [r.outcome for r in plan.rows] == [
        Outcome.ADD,
        Outcome.UNCHANGED,
        Outcome.UPDATE,
        Outcome.UPDATE,
    ]
    assert plan.rows[2].changes == {"name": ["Cal Carer", "Other Name"]}
    assert plan.rows[3].changes == {
        "role": ["carer", "supervisor"],
        "branches": [["SOUTH"], ["NORTH", "SOUTH"]],
        "team": [None, "Harbour"],
    }


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("not-an-email,A B,carer,NORTH,", "Enter an email address like name@example.com."),
        ("a@example.com,,carer,NORTH,", "Enter a name of up to 120 characters."),
        (
            "a@example.com,A B,boss,NORTH,",
            "Choose a role: one of carer, supervisor, manager, office.",
        ),
        ("a@example.com,A B,carer,,", "Enter at least one branch code (separate several with ;)."),
        ("a@example.com,A B,carer,NORTH;EAST,", "No branch has the code EAST."),
        (
            "a@example.com,A B,carer,SOUTH,Town centre",
            "No team called Town centre in their branches (SOUTH).",
        ),
    ],
)
def test_a_bad_staff_row_says_why(staff, teams, row, reason):
    plan = service.preview("staff", plain_csv(STAFF_HEADER, row), None)
    assert _outcomes(plan) == [(2, "error", [reason])]


def test_a_duplicate_email_in_the_file_is_an_error_whatever_its_case(staff):
    data = plain_csv(STAFF_HEADER, "a@example.com,A,carer,NORTH,", "A@Example.com,A,carer,NORTH,")
    plan = service.preview("staff", data, None)
    assert plan.rows[1].reasons == ["The email a@example.com is also on line 2: each account once."]


def test_a_manager_cannot_change_their_own_role_by_import(staff):
    manager = staff["manager"]
    data = plain_csv(STAFF_HEADER, f"{manager.email},{manager.name},carer,NORTH;SOUTH,")
    plan = service.preview("staff", data, manager)
    assert plan.rows[0].reasons == ["You cannot change your own role."]


def test_an_account_beyond_the_importers_branches_cannot_be_changed(staff):
    south = User(email="s@example.com", name="S", role="manager", password_hash="!", branches=[])
    south.branches = [b for b in staff["manager"].branches if b.code == "SOUTH"]
    db.session.add(south)
    db.session.commit()
    data = plain_csv(STAFF_HEADER, "carer1@example.com,Carer,carer,SOUTH,")
    plan = service.preview("staff", data, south)
    assert plan.rows[0].reasons == ["This email belongs to an account outside your branches."]


@pytest.mark.parametrize(
    ("kind", "header", "row"),
    [
        ("people", PEOPLE_HEADER, "Q-{n},AB,NORTH"),
        ("staff", STAFF_HEADER, "q{n}@example.com,Q {n},carer,NORTH;SOUTH,"),
    ],
)
def test_the_statements_of_an_import_do_not_grow_with_its_rows(app, staff, kind, header, row):
    counts = []
    for size, run in ((10, "a"), (300, "b")):
        data = plain_csv(header, *[row.format(n=f"{run}{n}") for n in range(size)])
        with statements_during(app) as seen:
            result = service.run(kind, data, None, source="count.csv")
        assert result.plan.summary() == f"{size} added, 0 updated, 0 unchanged"
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_a_plan_other_than_the_one_previewed_is_not_written(staff):
    data = plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH")
    previewed = service.preview("people", data, staff["manager"]).digest()
    staff["manager"].branches = [b for b in staff["manager"].branches if b.code == "SOUTH"]
    db.session.commit()
    with pytest.raises(service.PlanChanged) as changed:
        service.run("people", data, staff["manager"], source="p.csv", expected=previewed)
    assert changed.value.plan.rows[0].reasons == ["NORTH is not one of your branches."]
    assert db.session.scalar(db.select(PersonSupported).where(PersonSupported.ref == "X-1")) is None
