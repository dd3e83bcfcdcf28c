"""Triage by a manager (with reasons, history, optimistic locking), and what office
staff may do: add missing administrative detail and chase the reporter, never
change clinical fields or threshold decisions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from core.errors import NotAllowed
from core.models import TrailEvent, User
from extensions import db
from incidents import errors, triage
from incidents.models import Incident, IncidentDecision, IncidentNote


def triage_form(**changes: Any) -> dict[str, str]:
    form = {
        "version": "1",
        "kind": "near_miss",
        "category": "medication",
        "medication_error": "omission",
        "harm": "none",
        "reason": "",
        "status": "triaged",
        "reviewer_id": "",
        "feedback": "",
    }
    form.update({k: str(v) for k, v in changes.items()})
    return form


def events(app: Flask, incident_id: str, action: str) -> list[TrailEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                db.select(TrailEvent).where(
                    TrailEvent.record_id == incident_id, TrailEvent.action == action
                )
            )
        )
        for e in found:
            db.session.expunge(e)
        db.session.remove()
    return found


def test_confirming_without_changes_needs_no_reason(app, sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1")
    response = sign_in("manager").post_form(f"/incidents/{incident_id}/triage", triage_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/incidents/{incident_id}")
    status, triaged_at, version = read_incident(
        incident_id, lambda i: (i.status, i.triaged_at, i.version)
    )
    assert status == "triaged"
    assert triaged_at is not None
    assert version == 2
    [event] = events(app, incident_id, "triage")
    assert event.detail["changes"] == {"status": ["submitted", "triaged"]}


def test_changing_harm_with_a_reason_keeps_the_original_in_the_history(
    app, sign_in, make_incident, read_incident, seeded
):
    incident_id = make_incident("carer1")
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(kind="incident", harm="moderate", reason="Admitted to hospital the next day."),
    )
    assert response.status_code == 303
    assert read_incident(incident_id, lambda i: (i.kind, i.harm)) == ("incident", "moderate")
    [event] = events(app, incident_id, "triage")
    assert event.actor_id == seeded["manager"].id
    assert event.detail["changes"]["harm"] == ["none", "moderate"]
    assert event.detail["changes"]["kind"] == ["near_miss", "incident"]
    assert event.detail["reason"] == "Admitted to hospital the next day."


def test_changing_category_without_a_reason_is_422_and_changes_nothing(
    app, sign_in, make_incident, read_incident
):
    incident_id = make_incident("carer1")
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(category="fall", medication_error="", reason="  "),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Say why you are changing what the reporter recorded." in html
    assert 'href="#field-reason"' in html
    # The values sent are kept in the form.
    assert '<option value="fall" selected>' in html
    assert read_incident(incident_id, lambda i: (i.category, i.status, i.version)) == (
        "medication",
        "submitted",
        1,
    )
    assert events(app, incident_id, "triage") == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"harm": "low", "reason": "x"}, "harm", "A near miss caused no harm"),
        ({"medication_error": ""}, "medication_error", "Choose what went wrong with the medicine."),
        ({"status": "submitted"}, "status", "Choose a status."),
        ({"status": "closed"}, "feedback", "Before closing, write what was learned"),
        ({"harm": "catastrophic"}, "harm", "Choose how much harm there was."),
        ({"reviewer_id": "abc"}, "reviewer_id", "Choose a reviewer from the list."),
        ({"version": ""}, "version", "Reload the page and try again."),
    ],
)
def test_triage_validation(sign_in, make_incident, read_incident, changes, field, message):
    incident_id = make_incident("carer1")
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage", triage_form(**changes)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert read_incident(incident_id, lambda i: i.version) == 1


@pytest.mark.parametrize(
    ("reviewer", "ok"),
    [("supervisor", True), ("manager", True), ("carer2", False), ("office", False)],
)
def test_a_reviewer_must_be_a_manager_or_supervisor_of_the_branch(
    sign_in, make_incident, read_incident, seeded, reviewer, ok
):
    incident_id = make_incident("carer1")
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage", triage_form(reviewer_id=seeded[reviewer].id)
    )
    assert response.status_code == (303 if ok else 422)
    assert read_incident(incident_id, lambda i: i.reviewer_id) == (
        seeded[reviewer].id if ok else None
    )


def test_a_supervisor_cannot_review_a_safeguarding_record(sign_in, make_incident, seeded):
    incident_id = make_incident(
        "carer1", kind="incident", category="safeguarding", medication_error=None, harm="low"
    )
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(
            kind="incident",
            category="safeguarding",
            medication_error="",
            harm="low",
            reviewer_id=seeded["supervisor"].id,
        ),
    )
    assert response.status_code == 422
    assert "Choose a manager or supervisor of this branch." in response.get_data(as_text=True)


def test_a_supervisor_of_another_branch_is_not_offered(sign_in, make_incident, seeded):
    incident_id = make_incident("carer3", person_ref="P-0011")
    html = sign_in("manager").get(f"/incidents/{incident_id}/triage").get_data(as_text=True)
    assert "Sam Supervisor" not in html
    assert "Morgan Manager" in html


def test_closing_with_feedback_sets_closed_at_and_reopening_clears_it(
    sign_in, make_incident, read_incident
):
    incident_id = make_incident("carer1")
    manager = sign_in("manager")
    response = manager.post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(
            status="closed",
            feedback="Doses are read back at handover now.",
            no_review_reason="Explained in full at triage.",
        ),
    )
    assert response.status_code == 303
    closed_at, feedback, feedback_at = read_incident(
        incident_id, lambda i: (i.closed_at, i.feedback, i.feedback_at)
    )
    assert closed_at is not None
    assert feedback == "Doses are read back at handover now."
    assert feedback_at is not None
    response = manager.post_form(
        f"/incidents/{incident_id}/triage", triage_form(version=2, status="under_review")
    )
    assert response.status_code == 303
    assert read_incident(incident_id, lambda i: (i.status, i.closed_at, i.feedback)) == (
        "under_review",
        None,
        "Doses are read back at handover now.",
    )


def test_a_stale_version_is_409_showing_the_current_values_and_saves_nothing(
    app, sign_in, make_incident, read_incident, seeded
):
    incident_id = make_incident("carer1")
    first, second = sign_in("manager"), sign_in("manager")
    # Both open the form at version 1; the first saves.
    assert (
        first.post_form(
            f"/incidents/{incident_id}/triage",
            triage_form(
                kind="incident",
                harm="low",
                reason="Bruise found.",
                reviewer_id=seeded["supervisor"].id,
            ),
        ).status_code
        == 303
    )
    response = second.post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(harm="none", status="closed", feedback="All fine."),
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this record while you were editing" in html
    assert "Nothing you entered has been saved." in html
    assert "All fine." in html  # what they tried
    assert 'name="version" value="2"' in html  # a fresh form at the current version
    assert "Low harm" in html
    assert "Sam Supervisor" in html
    assert read_incident(incident_id, lambda i: (i.harm, i.status, i.feedback, i.version)) == (
        "low",
        "triaged",
        "",
        2,
    )


def test_a_change_committed_between_the_check_and_the_save_is_not_lost(app, make_incident, seeded):
    """The version column guards the UPDATE itself: if another process commits
    after this request read the record, the save fails as stale."""
    incident_id = make_incident("carer1")
    with app.app_context():
        manager = db.session.get_one(User, seeded["manager"].id)
        incident = db.session.get_one(Incident, incident_id)
        assert incident.version == 1
        with db.engine.begin() as other:  # another process, another connection
            other.execute(
                update(Incident.__table__)
                .where(Incident.__table__.c.id == incident_id)
                .values(location="hallway", version=2)
            )
        with pytest.raises(errors.StaleIncident) as caught:
            triage.triage(
                manager,
                incident,
                version=1,
                kind="incident",
                category="medication",
                medication_error="omission",
                harm="low",
                reason="Found a bruise.",
                status="triaged",
                reviewer_id=None,
                feedback="",
            )
        assert caught.value.incident.location == "hallway"
        db.session.remove()
    with app.app_context():
        incident = db.session.get_one(Incident, incident_id)
        assert (incident.harm, incident.location, incident.version) == ("none", "hallway", 2)
        assert (
            db.session.scalar(
                db.select(db.func.count(TrailEvent.id)).where(TrailEvent.action == "triage")
            )
            == 0
        )
        db.session.remove()


def test_changing_what_triggers_duties_opens_the_new_ones_and_keeps_the_old(
    app, sign_in, make_incident, seeded
):
    incident_id = make_incident("carer1")  # a near miss, family contact "yes"
    manager = sign_in("manager")

    def rules() -> set[str]:
        with app.app_context():
            found = set(
                db.session.scalars(
                    db.select(IncidentDecision.rule).where(
                        IncidentDecision.incident_id == incident_id
                    )
                )
            )
            db.session.remove()
        return found

    assert rules() == {"family_contact"}
    manager.post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(kind="incident", harm="severe", reason="Hospital admission."),
    )
    assert rules() == {"family_contact", "cqc_reg18", "candour_in_person", "candour_written"}
    manager.post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(version=2, kind="incident", harm="low", reason="Regraded after discharge."),
    )
    # A duty once raised stays on the record: the manager records "does not apply".
    assert rules() == {"family_contact", "cqc_reg18", "candour_in_person", "candour_written"}


# --- who may triage ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["office", "supervisor", "carer1"])
def test_only_a_manager_may_triage(sign_in, make_incident, read_incident, who):
    incident_id = make_incident("carer1")
    client = sign_in(who)
    assert client.get(f"/incidents/{incident_id}/triage").status_code == 403
    response = client.post_form(
        f"/incidents/{incident_id}/triage", triage_form(kind="incident", harm="severe", reason="x")
    )
    assert response.status_code == 403
    assert read_incident(incident_id, lambda i: (i.harm, i.version)) == ("none", 1)


def test_triage_out_of_scope_is_404(sign_in, make_incident):
    incident_id = make_incident("carer3", person_ref="P-0011")
    assert sign_in("supervisor").get(f"/incidents/{incident_id}/triage").status_code == 404


def test_triage_without_csrf_is_refused(sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1")
    manager = sign_in("manager")
    response = manager.http.post(
        f"/incidents/{incident_id}/triage", data=triage_form(status="under_review")
    )
    assert response.status_code == 400
    assert read_incident(incident_id, lambda i: i.status) == "submitted"


# --- office: missing details -----------------------------------------------------------------


def test_office_fills_a_missing_location_and_person(app, sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1", location="", person_ref=None, branch="NORTH")
    response = sign_in("office").post_form(
        f"/incidents/{incident_id}/details",
        {"version": "1", "location": "Front hallway", "person_ref": "P-0004", "note": ""},
    )
    assert response.status_code == 303
    assert read_incident(incident_id, lambda i: (i.location, i.person.ref)) == (
        "Front hallway",
        "P-0004",
    )
    [event] = events(app, incident_id, "details_added")
    assert event.detail["changes"] == {
        "location": [None, "Front hallway"],
        "person": [None, "P-0004"],
    }


def test_office_note_is_recorded_and_shown(app, sign_in, make_incident):
    incident_id = make_incident("carer1")
    office = sign_in("office")
    response = office.post_form(
        f"/incidents/{incident_id}/details",
        {"version": "1", "note": "Visit was on the rota as 07:30."},
    )
    assert response.status_code == 303
    assert len(events(app, incident_id, "note")) == 1
    html = sign_in("manager").get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Visit was on the rota as 07:30." in html
    # Office notes are for the record, not the reporter.
    assert "Visit was on the rota as 07:30." not in sign_in("carer1").get(
        f"/incidents/{incident_id}"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"location": "Lounge"}, "location", "The location is already recorded."),
        ({"person_ref": "P-0002"}, "person_ref", "The person supported is already recorded."),
        ({}, "note", "Add a missing detail or a note."),
        ({"note": "x" * 2001}, "note", "Write a note of up to 2,000 characters."),
    ],
)
def test_office_details_validation(sign_in, make_incident, read_incident, form, field, message):
    incident_id = make_incident("carer1")  # has a location and a person already
    response = sign_in("office").post_form(
        f"/incidents/{incident_id}/details", {"version": "1", **form}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert read_incident(incident_id, lambda i: (i.location, i.person.ref, i.version)) == (
        "kitchen",
        "P-0001",
        1,
    )


def test_office_cannot_name_a_person_from_another_branch(sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1", person_ref=None, branch="NORTH")
    response = sign_in("office").post_form(
        f"/incidents/{incident_id}/details", {"version": "1", "person_ref": "P-0015"}
    )
    assert response.status_code == 422
    assert read_incident(incident_id, lambda i: i.person_id) is None


@pytest.mark.parametrize(
    "field",
    [
        {"harm": "severe"},
        {"category": "fall"},
        {"what_happened": "Rewritten."},
        {"safeguarding": "yes"},
        {"status": "closed"},
        {"feedback": "Learned."},
    ],
)
def test_office_cannot_change_clinical_fields_through_the_details_form(
    sign_in, make_incident, read_incident, field
):
    incident_id = make_incident("carer1")
    response = sign_in("office").post_form(
        f"/incidents/{incident_id}/details", {"version": "1", "note": "hello", **field}
    )
    assert response.status_code == 403
    assert "changed by a manager at triage" in response.get_data(as_text=True)
    snapshot = read_incident(
        incident_id,
        lambda i: (
            i.harm,
            i.category,
            i.what_happened,
            i.safeguarding,
            i.status,
            i.feedback,
            len(i.notes),
        ),
    )
    assert snapshot[:2] == ("none", "medication")
    assert snapshot[3:] == ("no", "submitted", "", 0)


def test_office_cannot_record_threshold_decisions(app, sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1")
    decision_id = read_incident(incident_id, lambda i: i.decisions[0].id)
    office = sign_in("office")
    assert office.get(f"/incidents/{incident_id}/decisions/{decision_id}").status_code == 403
    response = office.post_form(
        f"/incidents/{incident_id}/decisions/{decision_id}",
        {"version": "1", "status": "does_not_apply", "rationale": "Not needed."},
    )
    assert response.status_code == 403
    assert read_incident(incident_id, lambda i: i.decisions[0].status) == "pending"


def test_details_with_a_stale_version_is_409(sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1", location="", person_ref=None, branch="NORTH")
    assert (
        sign_in("manager").post_form(f"/incidents/{incident_id}/triage", triage_form()).status_code
        == 303
    )
    response = sign_in("office").post_form(
        f"/incidents/{incident_id}/details", {"version": "1", "location": "Kitchen"}
    )
    assert response.status_code == 409
    assert "Someone else changed this record" in response.get_data(as_text=True)
    assert read_incident(incident_id, lambda i: i.location) == ""


@pytest.mark.parametrize("who", ["carer1", "supervisor"])
def test_carers_and_supervisors_cannot_add_details_or_chase(sign_in, make_incident, who):
    incident_id = make_incident("carer1")
    client = sign_in(who)
    assert client.get(f"/incidents/{incident_id}/details").status_code == 403
    assert client.post_form(f"/incidents/{incident_id}/chase", {"message": "?"}).status_code == 403


# --- chasing the reporter ----------------------------------------------------------------


def test_office_chases_the_reporter(app, sign_in, make_incident, seeded):
    incident_id = make_incident("carer1")
    response = sign_in("office").post_form(
        f"/incidents/{incident_id}/chase", {"message": "Who else was in the room?"}
    )
    assert response.status_code == 303
    [event] = events(app, incident_id, "chase")
    assert event.actor_id == seeded["office"].id
    assert event.detail == {"message": "Who else was in the room?"}
    with app.app_context():
        [note] = db.session.scalars(db.select(IncidentNote)).all()
        assert (note.kind, note.body) == ("chase", "Who else was in the room?")
        db.session.remove()
    carer_detail = sign_in("carer1").get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Questions for you" in carer_detail
    assert "Who else was in the room?" in carer_detail


def test_an_empty_chase_is_422(sign_in, make_incident, app):
    incident_id = make_incident("carer1")
    response = sign_in("office").post_form(f"/incidents/{incident_id}/chase", {"message": "   "})
    assert response.status_code == 422
    assert "Say what you need" in response.get_data(as_text=True)
    assert events(app, incident_id, "chase") == []


# --- closing follows the learning package's closing rule -------------------------------------


def test_closing_at_triage_needs_a_review_or_a_reason(sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1")
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage", triage_form(status="closed", feedback="Learned.")
    )
    assert response.status_code == 422
    assert "Complete a learning review first, or record why no review is needed." in (
        response.get_data(as_text=True)
    )
    assert read_incident(incident_id, lambda i: (i.status, i.no_review_reason)) == (
        "submitted",
        None,
    )


def test_closing_at_triage_records_the_reason(app, sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1")
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(status="closed", feedback="Learned.", no_review_reason="A duplicate report."),
    )
    assert response.status_code == 303
    assert read_incident(incident_id, lambda i: (i.status, i.no_review_reason)) == (
        "closed",
        "A duplicate report.",
    )
    (event,) = events(app, incident_id, "triage")
    assert event.detail["changes"]["no_review_reason"] == [None, "A duplicate report."]


def test_closing_at_triage_waits_for_open_actions(
    app, sign_in, make_incident, read_incident, seeded
):
    from actions.models import Action

    incident_id = make_incident("carer1")
    with app.app_context():
        incident = db.session.get_one(Incident, incident_id)
        db.session.add(
            Action(
                title="Handover checklist",
                due=date.today() + timedelta(days=7),
                branch_id=incident.branch_id,
                owner_id=seeded["manager"].id,
                author_id=seeded["manager"].id,
                source_type="incident",
                source_id=incident_id,
            )
        )
        db.session.commit()
        db.session.remove()
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage",
        triage_form(status="closed", feedback="Learned.", no_review_reason="Simple."),
    )
    assert response.status_code == 422
    assert "1 action is still open" in response.get_data(as_text=True)
    assert read_incident(incident_id, lambda i: i.status) == "submitted"


# --- feedback written from elsewhere (a learning review) ---------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("manager", True), ("supervisor", True), ("office", False), ("carer1", False)],
)
def test_feedback_is_written_by_a_manager_or_the_assigned_reviewer(
    app, make_incident, seeded, who, allowed
):
    incident_id = make_incident("carer1")
    with app.app_context():
        incident = db.session.get_one(Incident, incident_id)
        incident.reviewer_id = seeded["supervisor"].id
        db.session.commit()
        actor = db.session.get_one(User, seeded[who].id)
        if allowed:
            triage.stage_feedback(actor, incident, "  The rota now leaves travel time.  ")
            db.session.commit()
            assert incident.feedback == "The rota now leaves travel time."
            assert incident.feedback_at is not None
        else:
            with pytest.raises(NotAllowed):
                triage.stage_feedback(actor, incident, "Anything.")
        db.session.remove()
    written = events(app, incident_id, "feedback")
    assert len(written) == (1 if allowed else 0)
    if allowed:
        assert written[0].detail["changes"]["feedback"] == [
            None,
            "The rota now leaves travel time.",
        ]


def test_empty_feedback_is_refused(app, make_incident, seeded):
    incident_id = make_incident("carer1")
    with app.app_context():
        incident = db.session.get_one(Incident, incident_id)
        manager = db.session.get_one(User, seeded["manager"].id)
        with pytest.raises(errors.InvalidChange):
            triage.stage_feedback(manager, incident, "   ")
        db.session.remove()
    assert events(app, incident_id, "feedback") == []
