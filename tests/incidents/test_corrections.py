"""A manager corrects the reporter's threshold answers at triage (with a reason,
before and after in the trail) and adds a duty the rules missed (which rule,
why). Duties are worked out again; decisions already recorded are kept."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core.models import TrailEvent
from extensions import db
from tests.factories import incident_payload


def triage_form(**changes: Any) -> dict[str, str]:
    form = {
        "version": "1",
        "kind": "near_miss",
        "category": "medication",
        "medication_error": "omission",
        "harm": "none",
        "safeguarding": "no",
        "clinical_escalation": "unsure",
        "family_contact": "yes",
        "reason": "",
        "status": "triaged",
        "reviewer_id": "",
        "feedback": "",
    }
    form.update({k: str(v) for k, v in changes.items()})
    return form


def rules_of(read_incident: Any, incident_id: str) -> dict[str, tuple[str, str]]:
    return read_incident(
        incident_id, lambda i: {d.rule: (d.status, d.rationale) for d in i.decisions}
    )


def trail_of(app: Flask, incident_id: str, action: str) -> list[TrailEvent]:
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


@pytest.fixture
def reported(sign_in: Any) -> str:
    """A carer's medication near miss: "No" to abuse, the family to be told."""
    body = incident_payload()
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    return str(body["id"])


def test_a_corrected_abuse_answer_and_police_involvement_open_duties_and_keep_decisions(
    app, sign_in, read_incident, reported
):
    manager = sign_in("manager")
    family_id = read_incident(reported, lambda i: i.decisions[0].id)
    decided = manager.post_form(
        f"/incidents/{reported}/decisions/{family_id}",
        {"version": "1", "status": "applies", "rationale": "Daughter rang at 9."},
    )
    assert decided.status_code == 303
    response = manager.post_form(
        f"/incidents/{reported}/triage",
        triage_form(
            safeguarding="yes",
            police_involved="true",
            reason="Her son has since said money is missing; the police are investigating.",
        ),
    )
    assert response.status_code == 303
    found = rules_of(read_incident, reported)
    assert found["family_contact"] == ("applies", "Daughter rang at 9.")
    assert found["cqc_reg18"][0] == "pending"
    assert found["safeguarding_referral"][0] == "pending"
    trigger = read_incident(
        reported, lambda i: next(d.trigger for d in i.decisions if d.rule == "cqc_reg18")
    )
    assert "'Yes'" in trigger
    assert "police became involved" in trigger
    [event] = trail_of(app, reported, "triage")
    assert event.detail["changes"]["safeguarding"] == ["no", "yes"]
    assert event.detail["changes"]["police_involved"] == [False, True]
    assert event.detail["reason"].startswith("Her son")
    timeline = manager.get(f"/incidents/{reported}").get_data(as_text=True)
    assert "Might be abuse or neglect: No → Yes" in timeline


def test_correcting_an_answer_without_a_reason_is_422_and_changes_nothing(
    app, sign_in, read_incident, reported
):
    response = sign_in("manager").post_form(
        f"/incidents/{reported}/triage", triage_form(family_contact="no")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nhsuk-error-summary" in page
    assert "Say why you are changing what the reporter recorded." in page
    assert read_incident(reported, lambda i: i.family_contact) == "yes"
    assert trail_of(app, reported, "triage") == []


def test_a_triage_form_without_the_answers_leaves_them_as_they_are(
    sign_in, read_incident, reported
):
    form = triage_form()
    for name in ("safeguarding", "clinical_escalation", "family_contact"):
        del form[name]
    assert sign_in("manager").post_form(f"/incidents/{reported}/triage", form).status_code == 303
    answers = read_incident(
        reported, lambda i: (i.safeguarding, i.clinical_escalation, i.family_contact)
    )
    assert answers == ("no", "unsure", "yes")


def test_the_office_page_says_truly_who_changes_the_answers(sign_in, reported):
    page = sign_in("office").get(f"/incidents/{reported}/details").get_data(as_text=True)
    assert "three threshold answers are changed only by a manager, at triage" in page
    triage = sign_in("manager").get(f"/incidents/{reported}/triage").get_data(as_text=True)
    for name in ("safeguarding", "clinical_escalation", "family_contact", "police_involved"):
        assert f'name="{name}"' in triage


# --- a duty added by hand -----------------------------------------------------------


def test_a_manager_adds_a_duty_with_a_reason(app, sign_in, seeded, read_incident, reported):
    manager = sign_in("manager")
    assert "Add a duty the rules missed" in manager.get(f"/incidents/{reported}").get_data(
        as_text=True
    )
    response = manager.post_form(
        f"/incidents/{reported}/duties/new",
        {"rule": "cqc_reg18", "reason": "The police told us today they are investigating."},
    )
    assert response.status_code == 303
    added = read_incident(
        reported,
        lambda i: next(
            (d.status, d.added_by_id, d.trigger, d.due_at is not None, d.clock_started_by)
            for d in i.decisions
            if d.rule == "cqc_reg18"
        ),
    )
    assert added[:2] == ("pending", seeded["manager"].id)
    assert "The police told us today" in added[2]
    assert added[3]
    assert added[4]
    [event] = trail_of(app, reported, "duty_added")
    assert event.actor_id == seeded["manager"].id
    assert event.detail == {
        "rule": "cqc_reg18",
        "reason": "The police told us today they are investigating.",
    }


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"rule": "cqc_reg18"}, "Say why this duty applies: the reason is part of the record."),
        ({"rule": "made_up", "reason": "x"}, "Choose a duty from the list."),
        ({"reason": "x"}, "Choose a duty from the list."),
        ({"rule": "family_contact", "reason": "x"}, "already on the record"),
    ],
)
def test_a_wrong_duty_is_422_with_the_error_summary_and_nothing_added(
    sign_in, read_incident, reported, form, message
):
    response = sign_in("manager").post_form(f"/incidents/{reported}/duties/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nhsuk-error-summary" in page
    assert message in page
    assert set(rules_of(read_incident, reported)) == {"family_contact"}


@pytest.mark.parametrize("who", ["supervisor", "office", "carer1"])
@pytest.mark.parametrize("path", ["duties/new", "triage"])
def test_only_a_manager_adds_a_duty_or_corrects_answers(
    sign_in, read_incident, reported, who, path
):
    form = (
        {"rule": "cqc_reg18", "reason": "x"}
        if path == "duties/new"
        else triage_form(safeguarding="yes", reason="x")
    )
    assert sign_in(who).post_form(f"/incidents/{reported}/{path}", form).status_code == 403
    assert set(rules_of(read_incident, reported)) == {"family_contact"}
    assert read_incident(reported, lambda i: i.safeguarding) == "no"


@pytest.mark.parametrize("path", ["duties/new", "triage", "staff-injury"])
def test_a_manager_of_another_branch_gets_404(app, read_incident, reported, path):
    from tests.conftest import sign_in_new_account

    south = sign_in_new_account(app, "south.boss@example.com", "South Boss", "manager", ["SOUTH"])
    form = (
        {"rule": "cqc_reg18", "reason": "x"}
        if path == "duties/new"
        else triage_form(safeguarding="yes", reason="x")
    )
    assert south.post_form(f"/incidents/{reported}/{path}", form).status_code == 404
    assert set(rules_of(read_incident, reported)) == {"family_contact"}
