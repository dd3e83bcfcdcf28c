"""The trail as a CSV file: UTF-8 with a BOM, the page's filters and scope, cells
a spreadsheet would run written as text, and the export itself on the trail."""

from __future__ import annotations

import csv
import io

import pytest

from core import trail
from core.models import TrailEvent, User
from extensions import db


def _rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _note(app, email: str, record_id: str, **detail) -> None:
    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.email == email))
        trail.record(actor, "note", "incident", record_id, **detail)
        db.session.commit()
        db.session.remove()


def test_the_file_is_csv_with_a_bom_and_a_header(sign_in, incidents):
    response = sign_in("manager").get("/trail/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    assert _rows(response)[0] == [
        "When (UK time)",
        "Person",
        "Action",
        "Record type",
        "Record",
        "Details",
    ]


def test_the_file_holds_the_filtered_events(sign_in, incidents):
    _incident_id, reference = incidents["north"]
    response = sign_in("manager").get(f"/trail/export.csv?record={reference}")
    rows = _rows(response)[1:]
    assert rows
    assert all(row[4] == f"Incident {reference}" for row in rows)
    assert rows[-1][1:3] == ["Amina Carer", "create"]


def test_the_file_is_scoped_like_the_page(sign_in, incidents, south_manager):
    _, north_reference = incidents["north"]
    _, south_reference = incidents["south"]
    text = south_manager.get("/trail/export.csv").get_data(as_text=True)
    assert south_reference in text
    assert north_reference not in text


@pytest.mark.parametrize(
    "typed", ['=HYPERLINK("http://evil.example")', "+1+1", "-1", "@SUM(A1)", "\tx", "\rx"]
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(app, sign_in, incidents, typed):
    incident_id, _ = incidents["north"]
    with app.app_context():
        carer = db.session.scalar(db.select(User).where(User.email == "carer1@example.com"))
        carer.name = typed + " Carer"
        db.session.commit()
        db.session.remove()
    _note(app, "carer1@example.com", incident_id)
    rows = _rows(sign_in("manager").get("/trail/export.csv?action=note"))[1:]
    assert rows[0][1] == "'" + typed + " Carer"


def test_free_text_in_the_details_cannot_start_a_formula(app, sign_in, incidents):
    incident_id, _ = incidents["north"]
    _note(app, "office@example.com", incident_id, note='=cmd|"/c calc"!A1')
    rows = _rows(sign_in("manager").get("/trail/export.csv?action=note"))[1:]
    assert '=cmd|\\"/c calc\\"!A1' in rows[0][5]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in rows[0])


def test_the_export_is_on_the_trail_with_its_filters(app, sign_in, seeded, incidents):
    sign_in("manager").get("/trail/export.csv?action=create").get_data()
    with app.app_context():
        event = db.session.scalar(
            db.select(TrailEvent)
            .where(TrailEvent.action == "export")
            .order_by(TrailEvent.id.desc())
        )
        assert event is not None
        assert (event.actor_id, event.record_type) == (seeded["manager"].id, "audit_trail")
        assert event.detail == {"filters": {"action": "create"}}
        db.session.remove()


def test_a_bad_filter_is_a_422_page_and_nothing_is_exported(app, sign_in, incidents):
    response = sign_in("manager").get("/trail/export.csv?date_from=yesterday")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "There is a problem" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(TrailEvent).where(TrailEvent.action == "export")) is None
        db.session.remove()


@pytest.mark.parametrize("role", ["carer1", "supervisor", "office"])
def test_only_managers_export_the_trail(app, sign_in, role):
    assert sign_in(role).get("/trail/export.csv").status_code == 403
