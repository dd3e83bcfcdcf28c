"""`flask import-people FILE` and `flask import-staff FILE`: all or nothing, idempotent,
as the system (no user), any branch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core.invitations import choose_password
from core.models import Invitation, PersonSupported, TrailEvent, User
from core.passwords import NO_PASSWORD
from extensions import db
from tests.conftest import Client
from tests.imports.conftest import PEOPLE_HEADER, STAFF_HEADER, excel_csv, plain_csv, write


def _invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _people(app: Flask) -> dict[str, tuple[str, str]]:
    with app.app_context():
        found = {
            p.ref: (p.initials, p.branch.code)
            for p in db.session.scalars(db.select(PersonSupported))
        }
        db.session.remove()
    return found


def test_an_excel_file_of_people_imports(app, seeded, tmp_path: Path):
    path = write(tmp_path, "people.csv", excel_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "X-2,CD,south"))
    result = _invoke(app, "import-people", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.strip() == "2 added, 0 updated, 0 unchanged"
    people = _people(app)
    assert people["X-1"] == ("AB", "NORTH")
    assert people["X-2"] == ("CD", "SOUTH")


def test_the_same_file_twice_changes_nothing_and_says_so(app, seeded, tmp_path: Path):
    path = write(
        tmp_path, "people.csv", excel_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "P-0001,ZZ,NORTH")
    )
    assert _invoke(app, "import-people", str(path)).exit_code == 0
    before = _people(app)
    again = _invoke(app, "import-people", str(path))
    assert again.exit_code == 0
    assert again.stdout.strip() == "0 added, 0 updated, 2 unchanged"
    assert _people(app) == before


def test_one_bad_row_writes_nothing_and_names_its_line(app, seeded, tmp_path: Path):
    path = write(
        tmp_path,
        "people.csv",
        plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "X-2,,NORTH", "X-3,EF,SOUTH"),
    )
    result = _invoke(app, "import-people", str(path))
    assert result.exit_code == 1
    assert "people.csv: line 3: Enter initials of up to 6 characters." in result.stderr
    assert "nothing was written" in result.stderr
    assert "X-1" not in _people(app)


def test_every_bad_row_is_listed(app, seeded, tmp_path: Path):
    path = write(
        tmp_path,
        "people.csv",
        plain_csv(PEOPLE_HEADER, "X-1,AB,EAST", "X-2,CD,NORTH", "X-1,EF,NORTH"),
    )
    result = _invoke(app, "import-people", str(path))
    assert result.exit_code == 1
    assert "line 2: No branch has the code EAST." in result.stderr
    assert "line 4: The reference X-1 is also on line 2: each person once." in result.stderr


def test_a_wrong_header_names_the_columns_expected(app, seeded, tmp_path: Path):
    path = write(tmp_path, "people.csv", plain_csv("reference,initials,branch", "X-1,AB,NORTH"))
    result = _invoke(app, "import-people", str(path))
    assert result.exit_code == 1
    assert "must name the columns ref,initials,branch" in result.stderr


def test_an_import_is_one_trail_event_with_its_counts_as_the_system(app, seeded, tmp_path: Path):
    path = write(
        tmp_path,
        "people.csv",
        plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "P-0001,ZZ,NORTH", "P-0002,CD,NORTH"),
    )
    assert _invoke(app, "import-people", str(path)).exit_code == 0
    with app.app_context():
        imports = list(
            db.session.scalars(db.select(TrailEvent).where(TrailEvent.action == "import"))
        )
        assert len(imports) == 1
        event = imports[0]
        assert event.actor_id is None
        assert event.record_type == "people_import"
        assert event.detail["add"] == 1
        assert event.detail["update"] == 1
        assert event.detail["via"] == "command"
        person = db.session.scalar(db.select(PersonSupported).where(PersonSupported.ref == "X-1"))
        created = db.session.scalar(
            db.select(TrailEvent).where(
                TrailEvent.record_type == "person_supported", TrailEvent.record_id == str(person.id)
            )
        )
        assert created.action == "create"
        assert created.detail["import_id"] == event.record_id
        db.session.remove()


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            ("staff1@example.com,Sam Jones,carer,NORTH,Town centre",),
            "1 added, 0 updated, 0 unchanged",
        ),
        (("carer1@example.com,Carer One,carer,NORTH;SOUTH,",), "0 added, 1 updated, 0 unchanged"),
    ],
)
def test_import_staff_exit_code_and_summary(app, teams, tmp_path: Path, rows, expected):
    path = write(tmp_path, "staff.csv", excel_csv(STAFF_HEADER, *rows))
    result = _invoke(app, "import-staff", str(path))
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.splitlines()[0] == expected


def test_new_staff_have_no_password_to_sign_in_with(app, teams, tmp_path: Path):
    path = write(
        tmp_path,
        "staff.csv",
        plain_csv(STAFF_HEADER, "Sam@Example.com ,Sam Jones,Carer,NORTH,town centre"),
    )
    assert _invoke(app, "import-staff", str(path)).exit_code == 0
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "sam@example.com"))
        assert user.password_hash == NO_PASSWORD
        assert user.role == "carer"
        assert [b.code for b in user.branches] == ["NORTH"]
        assert user.team.name == "Town centre"
        db.session.remove()


def test_a_missing_file_is_a_usage_error(app, seeded, tmp_path: Path):
    result = _invoke(app, "import-people", str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2


def test_each_new_account_gets_a_link_to_choose_its_own_password(app, teams, tmp_path: Path):
    path = write(
        tmp_path,
        "staff.csv",
        excel_csv(
            STAFF_HEADER,
            "sam@example.com,Sam Jones,carer,NORTH,",
            "carer1@example.com,Carer One,carer,NORTH,",
        ),
    )
    result = _invoke(app, "import-staff", str(path))
    assert result.exit_code == 0, result.output
    links = [line for line in result.stdout.splitlines() if line.startswith("Invitation for ")]
    assert len(links) == 1  # only the new account; carer1 keeps their password
    assert links[0].startswith("Invitation for sam@example.com: /invitations/")
    token = links[0].rsplit("/", 1)[1]
    with app.app_context():
        chosen = choose_password(token, "a long walk by the harbour wall")
        assert chosen.email == "sam@example.com"
        issued = db.session.scalar(
            db.select(TrailEvent).where(
                TrailEvent.action == "invitation_issued", TrailEvent.record_id == str(chosen.id)
            )
        )
        assert issued.actor_id is None
        db.session.remove()
    client = Client(app.test_client())
    assert client.sign_in("sam@example.com", "a long walk by the harbour wall").status_code == 302


def test_a_failed_staff_import_issues_no_invitation(app, seeded, tmp_path: Path):
    path = write(
        tmp_path,
        "staff.csv",
        plain_csv(STAFF_HEADER, "sam@example.com,Sam Jones,carer,NORTH,", "x,Bad,carer,NORTH,"),
    )
    result = _invoke(app, "import-staff", str(path))
    assert result.exit_code == 1
    assert "Invitation" not in result.stdout
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0
        db.session.remove()


def test_links_are_whole_addresses_where_candour_is_served(
    app, teams, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://candour.example.org/")
    path = write(tmp_path, "staff.csv", excel_csv(STAFF_HEADER, "sam@example.com,Sam,carer,NORTH,"))
    result = _invoke(app, "import-staff", str(path))
    assert result.exit_code == 0, result.output
    assert (
        "Invitation for sam@example.com: https://candour.example.org/invitations/" in result.stdout
    )
    assert "Set PUBLIC_URL" not in result.stdout
