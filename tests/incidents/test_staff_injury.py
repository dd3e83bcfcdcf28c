"""The staff injury (RIDDOR): which colleague, what injury, a specified injury,
a non-worker taken to hospital, and days off work updated later by a manager;
other staff involved and witnesses. RIDDOR's duties come from these, never from
the harm to the person supported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from core.dates import UK
from core.models import TrailEvent
from extensions import db
from incidents.awareness import FROM_ACCIDENT, WHEN_REPORTED
from incidents.working_days import end_of_day
from tests.factories import incident_form, incident_payload, iso


def hurt(seeded: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A carer hurt moving a person supported: a fall, no harm to the person."""
    body: dict[str, Any] = {
        "kind": "incident",
        "category": "injury",
        "medication_error": None,
        "time_critical": False,
        "harm": "none",
        "staff_injured": True,
        "injured_staff_id": seeded["carer2"].id,
        "staff_injury": "Hurt her wrist taking the person's weight.",
    }
    return incident_payload(**{**body, **changes})


def decisions_of(read_incident: Any, incident_id: str) -> dict[str, Any]:
    return read_incident(
        incident_id,
        lambda i: {
            d.rule: {
                "status": d.status,
                "due_at": d.due_at,
                "clock_at": d.clock_started_at,
                "clock_by": d.clock_started_by,
                "trigger": d.trigger,
                "rationale": d.rationale,
            }
            for d in i.decisions
        },
    )


def trail_of(app: Flask, incident_id: str, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        found = [
            dict(e.detail or {})
            for e in db.session.scalars(
                db.select(TrailEvent).where(
                    TrailEvent.record_id == incident_id, TrailEvent.action == action
                )
            )
        ]
        db.session.remove()
    return found


def test_the_api_keeps_the_staff_injury_and_returns_it(sign_in, seeded):
    carer = sign_in("carer1")
    body = hurt(
        seeded, other_staff_ids=[seeded["supervisor"].id], witness_ids=[seeded["carer1"].id]
    )
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    record = carer.get(f"/api/v1/incidents/{body['id']}").get_json()
    assert record["staff_injured"] is True
    assert record["injured_staff_id"] == seeded["carer2"].id
    assert record["staff_injury"] == "Hurt her wrist taking the person's weight."
    assert record["specified_injury"] is None
    assert record["non_worker_hospital"] is False
    assert record["days_off_work"] is None
    assert record["other_staff_ids"] == [seeded["supervisor"].id]
    assert record["witness_ids"] == [seeded["carer1"].id]
    # The same entry again is the same report (exactly once).
    assert carer.post_json("/api/v1/incidents", body).status_code == 200


def test_a_report_without_the_new_fields_is_taken_as_before(sign_in):
    carer = sign_in("carer1")
    body = incident_payload(staff_injured=True)
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    assert carer.post_json("/api/v1/incidents", body).status_code == 200
    record = carer.get(f"/api/v1/incidents/{body['id']}").get_json()
    assert (record["staff_injured"], record["injured_staff_id"], record["witness_ids"]) == (
        True,
        None,
        [],
    )


@pytest.mark.parametrize("field", ["injured_staff_id", "other_staff_ids", "witness_ids"])
def test_naming_staff_of_another_branch_is_422_and_nothing_is_saved(sign_in, seeded, field):
    south = seeded["carer3"].id
    value = south if field == "injured_staff_id" else [south]
    body = hurt(seeded, **{field: value})
    response = sign_in("carer1").post_json("/api/v1/incidents", body)
    assert response.status_code == 422
    key = field if field == "injured_staff_id" else f"{field}.0"
    assert response.get_json()["errors"] == {key: ["Choose staff of this branch from the list."]}
    assert sign_in("manager").get(f"/api/v1/incidents/{body['id']}").status_code == 404


def test_a_specified_injury_asks_for_a_without_delay_notice_and_a_10_day_report(
    sign_in, seeded, read_incident
):
    body = hurt(seeded, specified_injury="fracture", people_informed=[])
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    found = decisions_of(read_incident, body["id"])
    reported = datetime.fromisoformat(body["reported_at"])
    occurred = datetime.fromisoformat(body["occurred_at"])
    notice = found["riddor_without_delay"]
    assert notice["due_at"] == reported + timedelta(hours=24)
    assert (notice["clock_at"], notice["clock_by"]) == (reported, WHEN_REPORTED)
    assert "specified injury" in notice["trigger"]
    report = found["riddor"]
    assert report["due_at"] == end_of_day(occurred.astimezone(UK).date() + timedelta(days=10))
    assert report["clock_by"] == FROM_ACCIDENT
    assert "riddor_over_7_day" not in found


@pytest.mark.parametrize("harm", ["severe", "death"])
def test_the_persons_harm_alone_never_asks_for_a_workers_riddor_report(
    sign_in, read_incident, harm
):
    body = incident_payload(
        kind="incident", category="fall", medication_error=None, time_critical=False, harm=harm
    )
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    found = decisions_of(read_incident, body["id"])
    assert "riddor_without_delay" not in found
    assert "riddor_over_7_day" not in found


def test_a_non_worker_taken_to_hospital_asks_for_a_10_day_report(sign_in, read_incident):
    body = incident_payload(
        kind="incident",
        category="fall",
        medication_error=None,
        time_critical=False,
        harm="low",
        non_worker_hospital=True,
    )
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    found = decisions_of(read_incident, body["id"])
    assert "taken from the scene to hospital" in found["riddor"]["trigger"]
    assert "riddor_without_delay" not in found


def test_days_off_updated_on_day_9_starts_the_15_day_clock_from_the_accident(
    app, sign_in, seeded, read_incident
):
    accident = datetime.now(UTC).replace(microsecond=0) - timedelta(days=9)
    body = hurt(
        seeded,
        occurred_at=iso(accident),
        reported_at=iso(accident + timedelta(hours=2)),
        people_informed=[],
    )
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    before = decisions_of(read_incident, body["id"])["riddor_over_7_day"]
    assert before["due_at"] is None  # asked, with no clock until the days are known

    manager = sign_in("manager")
    form = {"version": "1", "injured_staff_id": str(seeded["carer2"].id),
            "staff_injury": "Sprained wrist.", "specified_injury": "",
            "days_off_work": "9", "reason": "Fit note received."}  # fmt: skip
    response = manager.post_form(f"/incidents/{body['id']}/staff-injury", form)
    assert response.status_code == 303
    after = decisions_of(read_incident, body["id"])["riddor_over_7_day"]
    day = accident.astimezone(UK).date()
    assert after["due_at"] == end_of_day(day + timedelta(days=15))
    assert (after["clock_at"], after["clock_by"]) == (accident, FROM_ACCIDENT)
    assert "9 days" in after["trigger"]
    [event] = trail_of(app, body["id"], "staff_injury")
    assert event["changes"]["days_off_work"] == [None, 9]
    assert event["reason"] == "Fit note received."
    page = manager.get(f"/incidents/{body['id']}").get_data(as_text=True)
    assert f"Counted from the day of the accident, {day:%d %b %Y}." in page
    assert "reportable to HSE within 15 days of the accident" in page


def test_a_recorded_decision_is_kept_when_the_days_off_are_updated(sign_in, seeded, read_incident):
    body = hurt(seeded)
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    manager = sign_in("manager")
    decision_id = read_incident(body["id"], lambda i: i.decisions[0].id)
    decided = manager.post_form(
        f"/incidents/{body['id']}/decisions/{decision_id}",
        {"version": "1", "status": "does_not_apply", "rationale": "Back at work the next day."},
    )
    assert decided.status_code == 303
    form = {"version": "1", "injured_staff_id": str(seeded["carer2"].id), "days_off_work": "2"}
    assert manager.post_form(f"/incidents/{body['id']}/staff-injury", form).status_code == 303
    kept = decisions_of(read_incident, body["id"])["riddor_over_7_day"]
    assert (kept["status"], kept["rationale"]) == ("does_not_apply", "Back at work the next day.")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"days_off_work": "nine"}, "Enter the days off work as a number from 0 to 366."),
        ({"days_off_work": "400"}, "Enter the days off work as a number from 0 to 366."),
        ({"specified_injury": "broken heart"}, "Choose from the list, or leave it."),
        ({"injured_staff_id": "CARER3"}, "Choose staff from the list."),
    ],
)
def test_a_wrong_staff_injury_update_is_422_with_the_error_summary(
    sign_in, seeded, read_incident, changes, message
):
    body = hurt(seeded)
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    form = {"version": "1", "days_off_work": "3", **changes}
    response = sign_in("manager").post_form(f"/incidents/{body['id']}/staff-injury", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nhsuk-error-summary" in page
    assert message in page
    assert read_incident(body["id"], lambda i: i.days_off_work) is None


def test_a_colleague_of_another_branch_cannot_be_named_on_update(sign_in, seeded, read_incident):
    body = hurt(seeded)
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    form = {"version": "1", "injured_staff_id": str(seeded["carer3"].id)}
    response = sign_in("manager").post_form(f"/incidents/{body['id']}/staff-injury", form)
    assert response.status_code == 422
    assert read_incident(body["id"], lambda i: i.injured_staff_id) == seeded["carer2"].id


@pytest.mark.parametrize(("who", "status"), [("supervisor", 403), ("office", 403), ("carer1", 403)])
def test_only_a_manager_updates_the_staff_injury(sign_in, seeded, read_incident, who, status):
    body = hurt(seeded)
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    form = {"version": "1", "days_off_work": "9"}
    assert (
        sign_in(who).post_form(f"/incidents/{body['id']}/staff-injury", form).status_code == status
    )
    assert read_incident(body["id"], lambda i: i.days_off_work) is None


def test_the_form_without_javascript_records_the_colleague_staff_and_witnesses(
    sign_in, seeded, read_incident
):
    form = incident_form(
        staff_injured="true",
        injured_staff_id=str(seeded["carer2"].id),
        staff_injury="Scratched on the arm.",
        specified_injury="",
    )
    pairs = [*form.items(), ("other_staff_ids", str(seeded["carer2"].id)),
             ("other_staff_ids", str(seeded["supervisor"].id)),
             ("witness_ids", str(seeded["carer1"].id))]  # fmt: skip
    carer = sign_in("carer1")
    data = MultiDict(pairs)
    data["csrf_token"] = carer.refresh_csrf()
    assert carer.http.post("/incidents/new", data=data).status_code == 303
    stored = read_incident(
        form["entry_id"],
        lambda i: (i.injured_staff_id, i.staff_injury, i.other_staff_ids, i.witness_ids),
    )
    assert stored == (
        seeded["carer2"].id,
        "Scratched on the arm.",
        [seeded["carer2"].id, seeded["supervisor"].id],
        [seeded["carer1"].id],
    )
    page = sign_in("manager").get(f"/incidents/{form['entry_id']}").get_data(as_text=True)
    assert 'data-testid="injured-staff">Ben Carer<' in page
    assert 'data-testid="other-staff">Ben Carer, Sam Supervisor<' in page
    assert 'data-testid="witnesses">Amina Carer<' in page


def test_the_form_names_a_colleague_of_another_branch_with_a_422(sign_in, seeded):
    form = incident_form(other_staff_ids=str(seeded["carer3"].id))
    response = sign_in("carer1").post_form("/incidents/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nhsuk-error-summary" in page
    assert "Choose staff of this branch from the list." in page


def test_the_migration_adds_exactly_the_columns_the_models_describe(app: Flask) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    ours = ("injured_staff", "staff_injury", "specified_injury", "non_worker_hospital",
            "days_off_work", "other_staff_ids", "witness_ids", "police_involved",
            "clock_started", "added_by")  # fmt: skip
    assert [d for d in differences if any(name in repr(d) for name in ours)] == []
