"""The imports page: upload, preview each row's outcome, confirm writes exactly
what was previewed; managers (people and staff) and office (people), within
their branches."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask

from core.dates import utcnow
from core.models import PersonSupported, TrailEvent
from extensions import db
from imports import uploads
from imports.models import ImportUpload
from tests.conftest import Client, sign_in_new_account
from tests.imports.conftest import PEOPLE_HEADER, STAFF_HEADER, excel_csv, plain_csv


def _upload(client: Client, kind: str, data: bytes, name: str = "list.csv"):
    return client.post_form(f"/imports/{kind}", {"file": (io.BytesIO(data), name)})


def _upload_id(html: str) -> str:
    match = re.search(r'name="upload" value="([0-9a-f]+)"', html)
    assert match is not None, html
    return match.group(1)


def _person(app: Flask, ref: str) -> tuple[str, str] | None:
    with app.app_context():
        person = db.session.scalar(db.select(PersonSupported).where(PersonSupported.ref == ref))
        found = (person.initials, person.branch.code) if person else None
        db.session.remove()
    return found


def _outcomes(html: str) -> list[str]:
    return re.findall(r'data-outcome="(\w+)"', html)


@pytest.mark.parametrize("role", ["manager", "office"])
def test_preview_then_confirm_imports_what_was_previewed(app, sign_in, role):
    client = sign_in(role)
    data = excel_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "P-0001,ZZ,NORTH", "P-0002,CD,NORTH")
    preview = _upload(client, "people", data)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert _outcomes(html) == ["add", "update", "unchanged"]
    assert "1 to add, 1 to update, 1 unchanged" in html
    assert "Initials: AB → ZZ" in html
    assert _person(app, "X-1") is None  # a preview writes nothing
    done = client.post_form("/imports/people/confirm", {"upload": _upload_id(html)})
    assert done.status_code == 200
    assert "1 added, 1 updated, 1 unchanged" in done.get_data(as_text=True)
    assert _person(app, "X-1") == ("AB", "NORTH")
    assert _person(app, "P-0001") == ("ZZ", "NORTH")
    with app.app_context():
        event = db.session.scalar(db.select(TrailEvent).where(TrailEvent.action == "import"))
        assert event.actor.email == f"{role}@example.com"
        assert event.detail["via"] == "page"
        db.session.remove()


def test_a_confirmed_upload_cannot_be_confirmed_again(app, sign_in):
    client = sign_in("manager")
    html = _upload(client, "people", plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH")).get_data(
        as_text=True
    )
    upload = _upload_id(html)
    assert client.post_form("/imports/people/confirm", {"upload": upload}).status_code == 200
    again = client.post_form("/imports/people/confirm", {"upload": upload})
    assert again.status_code == 422
    assert "That preview has ended" in again.get_data(as_text=True)


def test_records_changed_since_the_preview_are_previewed_again_not_written(app, sign_in, tmp_path):
    client = sign_in("manager")
    html = _upload(client, "people", plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH")).get_data(
        as_text=True
    )
    upload = _upload_id(html)
    # Meanwhile the same reference arrives another way, with other initials.
    path = tmp_path / "other.csv"
    path.write_bytes(plain_csv(PEOPLE_HEADER, "X-1,QQ,SOUTH"))
    assert app.test_cli_runner().invoke(args=["import-people", str(path)]).exit_code == 0
    changed = client.post_form("/imports/people/confirm", {"upload": upload})
    assert changed.status_code == 409
    html = changed.get_data(as_text=True)
    assert "The records changed since your preview" in html
    assert _outcomes(html) == ["update"]
    assert _person(app, "X-1") == ("QQ", "SOUTH")  # nothing written over it
    # Confirming the new preview carries it out.
    assert (
        client.post_form("/imports/people/confirm", {"upload": _upload_id(html)}).status_code == 200
    )
    assert _person(app, "X-1") == ("AB", "NORTH")


def test_another_sign_in_cannot_confirm_an_upload(app, sign_in):
    html = _upload(sign_in("manager"), "people", plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH"))
    other = sign_in("manager")  # the same account, signed in elsewhere
    refused = other.post_form(
        "/imports/people/confirm", {"upload": _upload_id(html.get_data(as_text=True))}
    )
    assert refused.status_code == 422
    assert _person(app, "X-1") is None


def test_a_branch_outside_the_importers_is_refused_on_the_page(app, seeded):
    client = sign_in_new_account(
        app, "south.manager@example.com", "South Manager", "manager", ["SOUTH"]
    )
    response = _upload(client, "people", plain_csv(PEOPLE_HEADER, "X-1,AB,SOUTH", "X-2,CD,NORTH"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Line 3: NORTH is not one of your branches." in html
    assert 'name="upload"' not in html  # no confirm button
    assert _person(app, "X-1") is None


def test_someone_in_a_branch_outside_the_importers_cannot_be_changed(app, seeded):
    client = sign_in_new_account(
        app, "south.manager@example.com", "South Manager", "manager", ["SOUTH"]
    )
    response = _upload(client, "people", plain_csv(PEOPLE_HEADER, "P-0001,AB,SOUTH"))
    assert response.status_code == 422
    assert "already used by someone outside your branches" in response.get_data(as_text=True)


def test_office_staff_cannot_import_staff(app, sign_in):
    response = _upload(
        sign_in("office"), "staff", plain_csv(STAFF_HEADER, "a@example.com,A B,carer,NORTH,")
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "list.csv", "The file is empty."),
        (
            "ref,initials,branch\nX-1,AB,M\xfcnster\n".encode("latin-1"),
            "list.csv",
            "not saved as UTF-8",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00", "list.xlsx", "spreadsheet workbook, not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png", "not a CSV file (it holds binary data)"),
        (plain_csv("name,initials"), "list.csv", "must name the columns ref,initials,branch"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_clear_message(app, sign_in, data, name, message):
    response = _upload(sign_in("manager"), "people", data, name)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert message in html


def test_no_file_chosen(app, sign_in):
    response = sign_in("manager").post_form("/imports/people", {})
    assert response.status_code == 422
    assert "Choose a CSV file to upload." in response.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused_with_the_limit(app, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    big = plain_csv(PEOPLE_HEADER, *[f"X-{n},AB,NORTH" for n in range(90_000)])
    response = _upload(sign_in("manager"), "people", big)
    assert response.status_code == 413
    assert "The file is larger than 1 MB" in response.get_data(as_text=True)


def test_a_file_above_the_sites_usual_limit_is_accepted(app, sign_in):
    rows = [f"X-{n:05d},AB,NORTH" for n in range(20_000)]  # about 340 KB
    response = _upload(sign_in("manager"), "people", plain_csv(PEOPLE_HEADER, *rows))
    assert response.status_code == 200


def test_the_page_offers_staff_to_managers_only(app, sign_in):
    assert "CSV file of staff" in sign_in("manager").get("/imports").get_data(as_text=True)
    office = sign_in("office").get("/imports").get_data(as_text=True)
    assert "CSV file of people supported" in office
    assert "CSV file of staff" not in office


def test_staff_preview_and_confirm(app, sign_in, teams):
    client = sign_in("manager")
    data = excel_csv(
        STAFF_HEADER,
        "sam@example.com,Sam Jones,carer,NORTH,Town centre",
        "carer1@example.com,Carer One,supervisor,NORTH,",
    )
    html = _upload(client, "staff", data).get_data(as_text=True)
    assert _outcomes(html) == ["add", "update"]
    done = client.post_form("/imports/staff/confirm", {"upload": _upload_id(html)})
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "1 added, 1 updated, 0 unchanged" in html
    assert "Invitations to pass on" in html
    assert len(re.findall(r"/invitations/[\w-]{43}<", html)) == 1  # the new account's only


def _uploads_kept(app: Flask) -> int:
    with app.app_context():
        kept = uploads.count()
        db.session.remove()
    return kept


def test_the_upload_kept_for_the_confirm_is_removed_by_it(app, sign_in):
    client = sign_in("manager")
    html = _upload(client, "people", plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH")).get_data(
        as_text=True
    )
    assert _uploads_kept(app) == 1
    client.post_form("/imports/people/confirm", {"upload": _upload_id(html)})
    assert _uploads_kept(app) == 0


def test_an_upload_older_than_an_hour_cannot_be_confirmed(app, sign_in):
    client = sign_in("manager")
    html = _upload(client, "people", plain_csv(PEOPLE_HEADER, "X-1,AB,NORTH")).get_data(
        as_text=True
    )
    with app.app_context():
        db.session.execute(
            db.update(ImportUpload).values(created_at=utcnow() - timedelta(minutes=61))
        )
        db.session.commit()
    expired = client.post_form("/imports/people/confirm", {"upload": _upload_id(html)})
    assert expired.status_code == 422
    assert "That preview has ended" in expired.get_data(as_text=True)


def test_a_change_since_the_preview_that_makes_a_row_wrong_imports_nothing(app, seeded, tmp_path):
    client = sign_in_new_account(
        app, "south.manager@example.com", "South Manager", "manager", ["SOUTH"]
    )
    html = _upload(client, "people", plain_csv(PEOPLE_HEADER, "X-1,AB,SOUTH")).get_data(
        as_text=True
    )
    path = tmp_path / "north.csv"
    path.write_bytes(plain_csv(PEOPLE_HEADER, "X-1,QQ,NORTH"))
    assert app.test_cli_runner().invoke(args=["import-people", str(path)]).exit_code == 0
    changed = client.post_form("/imports/people/confirm", {"upload": _upload_id(html)})
    assert changed.status_code == 409
    html = changed.get_data(as_text=True)
    assert "already used by someone outside your branches" in html
    assert 'name="upload"' not in html
    assert _person(app, "X-1") == ("QQ", "NORTH")


def test_the_links_shown_start_with_the_public_address(app, sign_in, teams, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://candour.example.org")
    client = sign_in("manager")
    html = _upload(client, "staff", excel_csv(STAFF_HEADER, "sam@example.com,Sam,carer,NORTH,"))
    upload = _upload_id(html.get_data(as_text=True))
    done = client.post_form("/imports/staff/confirm", {"upload": upload}).get_data(as_text=True)
    assert re.search(r"<code>https://candour\.example\.org/invitations/[\w-]{43}</code>", done)
