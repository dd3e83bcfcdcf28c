"""The files themselves: CSV with a BOM and a header, Excel with typed cells and
a frozen header, both agreeing with the API's records for the same period,
formulas neutralised, and each kind of record exported."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from actions import records
from audits import recording
from audits.schemas import AuditInSchema
from core.dates import UK, uk_today
from core.models import User
from extensions import db
from incidents.demo import seed_incidents
from tests.exports.conftest import JUNE, csv_rows, workbook, xlsx_rows
from tests.factories import audit_payload

FORMULAS = ['=HYPERLINK("http://evil.example")', "+1+1", "-1", "@SUM(A1)", "\tx", "\rx"]


def test_the_csv_file_is_utf8_with_a_bom_a_header_and_a_row_per_record(sign_in, two_branches):
    response = sign_in("manager").get(f"/exports/incidents.csv?{JUNE}")
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="incidents-2026-06-01-to-2026-06-30.csv"'
    )
    rows = csv_rows(response)
    assert {r["id"] for r in rows} == {two_branches["north"][0], two_branches["south"][0]}
    assert {r["reference"] for r in rows} == {two_branches["north"][1], two_branches["south"][1]}


def test_the_workbook_has_typed_cells_and_a_header_that_stays_in_view(sign_in, two_branches):
    response = sign_in("manager").get(f"/exports/incidents.xlsx?{JUNE}")
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = workbook(response).worksheets[0]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    occurred = sheet.cell(row=2, column=header.index("occurred_at") + 1)
    assert isinstance(occurred.value, datetime)
    assert occurred.number_format == "dd/mm/yyyy hh:mm"
    # 09:30 UTC in June is 10:30 on a UK clock (BST).
    assert (occurred.value.hour, occurred.value.minute) == (10, 30)
    assert sheet.cell(row=2, column=header.index("time_critical") + 1).value is True
    assert sheet.cell(row=2, column=header.index("reference") + 1).data_type == "s"


@pytest.mark.parametrize("typed", FORMULAS)
def test_a_csv_cell_a_spreadsheet_would_run_is_written_as_text(sign_in, make_incident, typed):
    make_incident(location=typed, what_happened=typed + " then fell")
    row = csv_rows(sign_in("manager").get(f"/exports/incidents.csv?{JUNE}"))[0]
    assert row["location"] == "'" + typed
    assert row["what_happened"] == "'" + typed + " then fell"


@pytest.mark.parametrize("typed", FORMULAS)
def test_an_excel_cell_a_spreadsheet_would_run_is_written_as_text(sign_in, make_incident, typed):
    make_incident(what_happened=typed + " then fell")
    row = xlsx_rows(sign_in("manager").get(f"/exports/incidents.xlsx?{JUNE}"))[0]
    assert row["what_happened"] == "'" + typed + " then fell"


def test_a_staff_name_a_spreadsheet_would_run_is_written_as_text(app, sign_in, make_incident):
    with app.app_context():
        carer = db.session.scalar(db.select(User).where(User.email == "carer1@example.com"))
        carer.name = "=1+2"
        db.session.commit()
        db.session.remove()
    make_incident()
    assert csv_rows(sign_in("manager").get(f"/exports/incidents.csv?{JUNE}"))[0]["reporter"] == (
        "'=1+2"
    )


# --- the files agree with the API ----------------------------------------------------

PERIOD = (date(2026, 8, 1), date(2026, 11, 30))
SAME = ["id", "reference", "status", "kind", "category", "harm", "branch", "person_ref"]
SAME += ["location", "what_happened", "immediate_actions", "late_reason", "feedback"]
THRESHOLDS = ["safeguarding", "clinical_escalation", "family_contact"]


@pytest.fixture
def api_records(app, sign_in) -> tuple[Any, dict[str, dict[str, Any]]]:
    """Generated incidents over the last six months, and the API's records of
    those that happened in PERIOD (UK days), by id, as the manager gets them."""
    with app.app_context():
        seed_incidents(40, seed=11)
        db.session.commit()
        db.session.remove()
    manager = sign_in("manager")
    found: dict[str, dict[str, Any]] = {}
    url = "/api/v1/incidents?limit=100"
    while url:
        page = manager.get(url).get_json()
        for record in page["items"]:
            day = datetime.fromisoformat(record["occurred_at"]).astimezone(UK).date()
            if PERIOD[0] <= day <= PERIOD[1]:
                found[record["id"]] = record
        url = f"/api/v1/incidents?limit=100&cursor={page['next']}" if page["next"] else ""
    assert len(found) > 5
    return manager, found


def _names(app) -> dict[int, str]:
    with app.app_context():
        return {u.id: u.name for u in db.session.scalars(db.select(User))}


def _uk(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UK).replace(tzinfo=None) if text else None


def _query() -> str:
    return f"from={PERIOD[0].isoformat()}&to={PERIOD[1].isoformat()}"


def test_the_csv_file_agrees_with_the_api(app, api_records):
    manager, expected = api_records
    rows = {r["id"]: r for r in csv_rows(manager.get(f"/exports/incidents.csv?{_query()}"))}
    assert set(rows) == set(expected)
    names = _names(app)
    for record_id, record in expected.items():
        row = rows[record_id]
        assert {k: row[k] for k in SAME} == {k: record[k] or "" for k in SAME}
        assert {k: row[k] for k in THRESHOLDS} == record["thresholds"]
        assert row["medication_error"] == (record["medication_error"] or "")
        assert row["time_critical"] == str(record["time_critical"]).lower()
        assert row["reporter"] == names[record["reporter_id"]]
        for moment in ("occurred_at", "reported_at", "received_at", "seen_at", "closed_at"):
            uk = _uk(record[moment])
            assert row[moment] == (uk.strftime("%Y-%m-%d %H:%M:%S") if uk else ""), moment


def test_the_workbook_agrees_with_the_api(app, api_records):
    manager, expected = api_records
    rows = {r["id"]: r for r in xlsx_rows(manager.get(f"/exports/incidents.xlsx?{_query()}"))}
    assert set(rows) == set(expected)
    names = _names(app)
    for record_id, record in expected.items():
        row = rows[record_id]
        assert {k: row[k] or "" for k in SAME} == {k: record[k] or "" for k in SAME}
        assert row["time_critical"] is record["time_critical"]
        assert row["staff_injured"] is record["staff_injured"]
        assert row["reporter"] == names[record["reporter_id"]]
        for moment in ("occurred_at", "received_at", "closed_at"):
            uk = _uk(record[moment])
            if uk is None:
                assert row[moment] is None
            else:
                assert abs(row[moment] - uk) < timedelta(seconds=1), moment


# --- the other records ------------------------------------------------------------------


def _action(app, seeded, incident_id: str) -> int:
    with app.app_context():
        manager = db.session.get_one(User, seeded["manager"].id)
        action = records.new_action(
            manager,
            {
                "title": "Read back time-critical doses at handover",
                "detail": "Talk it through at the team meeting.",
                "owner_id": seeded["carer1"].id,
                "due": uk_today() + timedelta(days=14),
                "source_type": "incident",
                "source_id": incident_id,
                "branch_id": None,
                "verification": "none",
                "sample_size": 1,
                "sample_template": None,
                "trend_category": None,
                "trend_days": None,
                "trend_person_ref": None,
            },
        )
        db.session.commit()
        action_id = int(action.id)
        db.session.remove()
    return action_id


def _today() -> str:
    today = uk_today().isoformat()
    return f"from={today}&to={today}"


def test_the_actions_file_names_the_incident_each_came_from(app, seeded, sign_in, make_incident):
    incident_id, reference = make_incident()
    action_id = _action(app, seeded, incident_id)
    rows = csv_rows(sign_in("office").get(f"/exports/actions.csv?{_today()}"))
    assert [(r["id"], r["source_id"], r["source_reference"]) for r in rows] == [
        (str(action_id), incident_id, reference)
    ]
    assert rows[0]["owner"] == "Amina Carer"
    assert rows[0]["due"] == (uk_today() + timedelta(days=14)).isoformat()


def test_the_actions_workbook_has_the_due_date_as_a_date(app, seeded, sign_in, make_incident):
    incident_id, _ = make_incident()
    _action(app, seeded, incident_id)
    row = xlsx_rows(sign_in("manager").get(f"/exports/actions.xlsx?{_today()}"))[0]
    assert row["due"] == datetime.combine(uk_today() + timedelta(days=14), datetime.min.time())
    assert isinstance(row["id"], int)


def test_the_spot_checks_file_has_the_score_and_failed_items(app, templates, sign_in):
    with app.app_context():
        supervisor = db.session.get_one(User, templates["supervisor"].id)
        body = audit_payload(templates["carer1"].id, fail=("right-time",))
        recording.create_audit(supervisor, AuditInSchema().load(body))
        db.session.commit()
        db.session.remove()
    # The day it was conducted (half an hour ago: just after midnight, yesterday).
    day = datetime.fromisoformat(body["conducted_at"]).astimezone(UK).date().isoformat()
    rows = xlsx_rows(sign_in("manager").get(f"/exports/audits.xlsx?from={day}&to={day}"))
    assert [r["id"] for r in rows] == [body["id"]]
    assert isinstance(rows[0]["score"], float | int)
    assert rows[0]["items_failed"] == 1
    assert rows[0]["failed_items"] == "right-time"
    assert rows[0]["observed"] == "Amina Carer"


def test_the_duties_file_has_each_duty_of_the_periods_incidents(sign_in, make_incident):
    incident_id, reference = make_incident(
        kind="incident", harm="moderate", category="fall", medication_error=None
    )
    rows = csv_rows(sign_in("manager").get(f"/exports/duties.csv?{JUNE}"))
    assert {(r["incident_id"], r["incident_reference"]) for r in rows} == {(incident_id, reference)}
    assert "candour_in_person" in {r["rule"] for r in rows}
    assert all(r["status"] == "pending" for r in rows)


def test_an_action_from_an_incident_the_reader_may_not_see_names_no_incident(
    app, seeded, sign_in, make_incident
):
    restricted, _ = make_incident(
        thresholds={"safeguarding": "yes", "clinical_escalation": "no", "family_contact": "no"}
    )
    _action(app, seeded, restricted)
    office = csv_rows(sign_in("office").get(f"/exports/actions.csv?{_today()}"))
    manager = csv_rows(sign_in("manager").get(f"/exports/actions.csv?{_today()}"))
    assert [(r["source_id"], r["source_reference"]) for r in office] == [("", "")]
    assert [r["source_id"] for r in manager] == [restricted]
