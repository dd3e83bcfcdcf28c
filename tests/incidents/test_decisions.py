"""Duty decisions in the database: opened with the incident in one transaction,
recorded by a manager (validated, audited, optimistically locked), and flagged
when overdue on the manager's home page and in the list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from core.dates import UK
from core.models import TrailEvent
from extensions import db
from incidents.models import Incident, IncidentDecision
from tests.factories import incident_payload, iso

NOW = datetime.now(UTC).replace(microsecond=0)
MODERATE = {
    "kind": "incident",
    "category": "fall",
    "medication_error": None,
    "time_critical": False,
    "harm": "moderate",
}


def decisions_of(app: Flask, incident_id: str) -> dict[str, dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(IncidentDecision).where(IncidentDecision.incident_id == incident_id)
        ).all()
        found = {
            d.rule: {
                "id": d.id,
                "status": d.status,
                "due_at": d.due_at,
                "rationale": d.rationale,
                "done_at": d.done_at,
                "reference": d.reference,
                "decided_by_id": d.decided_by_id,
                "decided_at": d.decided_at,
                "version": d.version,
            }
            for d in rows
        }
        db.session.remove()
    return found


def local(moment: datetime) -> str:
    return moment.astimezone(UK).strftime("%Y-%m-%dT%H:%M")


def test_creating_an_incident_through_the_api_opens_its_duties(app, sign_in):
    body = incident_payload(
        **MODERATE,
        thresholds={
            "safeguarding": "unsure",
            "clinical_escalation": "yes",
            "family_contact": "yes",
        },
    )
    assert sign_in("carer1").post_json("/api/v1/incidents", body).status_code == 201
    found = decisions_of(app, body["id"])
    assert set(found) == {
        "cqc_reg18",
        "candour_in_person",
        "candour_written",
        "safeguarding_referral",
        "family_contact",
    }
    assert all(d["status"] == "pending" and d["due_at"] is not None for d in found.values())


def test_a_replayed_incident_does_not_open_duties_twice(app, sign_in):
    body = incident_payload(**MODERATE)
    carer = sign_in("carer1")
    carer.post_json("/api/v1/incidents", body)
    assert carer.post_json("/api/v1/incidents", body).status_code == 200
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count(IncidentDecision.id)))
        db.session.remove()
    assert count == 4  # reg 18 (moderate), the two candour duties and the family, once


def test_a_low_harm_near_miss_with_no_answers_opens_nothing(app, make_incident):
    incident_id = make_incident(
        "carer1",
        thresholds={"safeguarding": "no", "clinical_escalation": "no", "family_contact": "no"},
    )
    assert decisions_of(app, incident_id) == {}


def test_the_duties_are_audited_as_opened(app, make_incident):
    incident_id = make_incident("carer1", **MODERATE)
    with app.app_context():
        [event] = db.session.scalars(
            db.select(TrailEvent).where(
                TrailEvent.action == "duties_opened", TrailEvent.record_id == incident_id
            )
        ).all()
        assert event.actor_id is None
        assert set(event.detail["rules"]) == {
            "cqc_reg18",
            "candour_in_person",
            "candour_written",
            "family_contact",
        }
        db.session.remove()


# --- recording a decision ---------------------------------------------------------------


def test_a_manager_records_a_decision(app, sign_in, make_incident, seeded):
    incident_id = make_incident("carer1", **MODERATE)
    reg18 = decisions_of(app, incident_id)["cqc_reg18"]
    done = NOW - timedelta(hours=1)
    manager = sign_in("manager")
    page = manager.get(f"/incidents/{incident_id}/decisions/{reg18['id']}")
    assert page.status_code == 200
    assert "Notify CQC without delay" in page.get_data(as_text=True)
    response = manager.post_form(
        f"/incidents/{incident_id}/decisions/{reg18['id']}",
        {
            "version": str(reg18["version"]),
            "status": "applies",
            "rationale": "Fractured wrist: harm likely to last more than 28 days.",
            "done_at": local(done),
            "reference": "CQC-12345",
        },
    )
    assert response.status_code == 303
    after = decisions_of(app, incident_id)["cqc_reg18"]
    assert after["status"] == "applies"
    assert after["rationale"] == "Fractured wrist: harm likely to last more than 28 days."
    assert after["done_at"] == done.replace(second=0)
    assert after["reference"] == "CQC-12345"
    assert after["decided_by_id"] == seeded["manager"].id
    assert after["decided_at"] is not None
    with app.app_context():
        [event] = db.session.scalars(
            db.select(TrailEvent).where(
                TrailEvent.action == "decision", TrailEvent.record_id == incident_id
            )
        ).all()
        assert event.detail["rule"] == "cqc_reg18"
        assert event.detail["changes"]["status"] == ["pending", "applies"]
        assert event.detail["changes"]["reference"] == ["", "CQC-12345"]
        db.session.remove()
    html = manager.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "CQC-12345" in html
    assert "Fractured wrist" in html


def test_done_at_is_read_as_uk_local_time(app, sign_in, make_incident):
    incident_id = make_incident(
        "carer1",
        **MODERATE,
        occurred_at="2026-07-01T09:00:00+01:00",
        reported_at="2026-07-01T09:10:00+01:00",
        people_informed=[],
    )
    reg18 = decisions_of(app, incident_id)["cqc_reg18"]
    sign_in("manager").post_form(
        f"/incidents/{incident_id}/decisions/{reg18['id']}",
        {
            "version": "1",
            "status": "applies",
            "rationale": "Serious injury.",
            "done_at": "2026-07-01T14:30",
        },
    )
    # 14:30 BST is 13:30 UTC.
    assert decisions_of(app, incident_id)["cqc_reg18"]["done_at"] == datetime(
        2026, 7, 1, 13, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"status": "applies", "rationale": "  "}, "rationale", "Say why"),
        ({"rationale": "Because."}, "status", "Choose whether this applies"),
        ({"status": "pending", "rationale": "Because."}, "status", "Choose whether this applies"),
        ({"status": "maybe", "rationale": "Because."}, "status", "Choose whether this applies"),
        (
            {
                "status": "does_not_apply",
                "rationale": "Not serious.",
                "done_at": "2026-01-01T10:00",
            },
            "done_at",
            "Only a duty that applies can be marked as done.",
        ),
        (
            {"status": "applies", "rationale": "Yes.", "done_at": "2099-01-01T10:00"},
            "done_at",
            "cannot be in the future",
        ),
        (
            {"status": "applies", "rationale": "Yes.", "done_at": "2001-01-01T10:00"},
            "done_at",
            "cannot be before the incident happened",
        ),
        (
            {"status": "applies", "rationale": "Yes.", "done_at": "yesterday"},
            "done_at",
            "Enter a date and time",
        ),
        (
            {"status": "does_not_apply", "rationale": "No.", "reference": "CQC-1"},
            "reference",
            "A reference only goes with a duty that applies.",
        ),
        (
            {"status": "applies", "rationale": "Yes.", "reference": "x" * 101},
            "reference",
            "at most 100",
        ),
        ({"status": "applies", "rationale": "x" * 2001}, "rationale", "up to 2,000"),
    ],
)
def test_decision_validation_is_422_and_changes_nothing(
    app, sign_in, make_incident, form, field, message
):
    incident_id = make_incident("carer1", **MODERATE)
    reg18 = decisions_of(app, incident_id)["cqc_reg18"]
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/decisions/{reg18['id']}", {"version": "1", **form}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'href="#field-{field.replace("_", "-")}"' in html
    assert decisions_of(app, incident_id)["cqc_reg18"] == reg18


def test_a_stale_decision_is_409_and_the_first_answer_stands(app, sign_in, make_incident):
    incident_id = make_incident("carer1", **MODERATE)
    reg18 = decisions_of(app, incident_id)["cqc_reg18"]
    url = f"/incidents/{incident_id}/decisions/{reg18['id']}"
    first, second = sign_in("manager"), sign_in("manager")
    assert (
        first.post_form(
            url, {"version": "1", "status": "applies", "rationale": "Serious."}
        ).status_code
        == 303
    )
    response = second.post_form(
        url, {"version": "1", "status": "does_not_apply", "rationale": "Not serious."}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this record" in html
    assert "Not serious." in html
    after = decisions_of(app, incident_id)["cqc_reg18"]
    assert (after["status"], after["rationale"]) == ("applies", "Serious.")


def test_a_decision_of_another_incident_is_404(app, sign_in, make_incident):
    one = make_incident("carer1", **MODERATE)
    other = make_incident("carer1", **MODERATE)
    foreign = decisions_of(app, other)["cqc_reg18"]["id"]
    assert sign_in("manager").get(f"/incidents/{one}/decisions/{foreign}").status_code == 404


def test_a_decision_out_of_scope_is_404_even_for_a_manager_role_check(app, sign_in, make_incident):
    incident_id = make_incident("carer3", person_ref="P-0011", **MODERATE)
    decision_id = decisions_of(app, incident_id)["cqc_reg18"]["id"]
    assert (
        sign_in("supervisor").get(f"/incidents/{incident_id}/decisions/{decision_id}").status_code
        == 404
    )


@pytest.mark.parametrize("who", ["supervisor", "carer1", "office"])
def test_only_managers_record_decisions(app, sign_in, make_incident, who):
    incident_id = make_incident("carer1", **MODERATE)
    reg18 = decisions_of(app, incident_id)["cqc_reg18"]
    response = sign_in(who).post_form(
        f"/incidents/{incident_id}/decisions/{reg18['id']}",
        {"version": "1", "status": "does_not_apply", "rationale": "No."},
    )
    assert response.status_code == 403
    assert decisions_of(app, incident_id)["cqc_reg18"]["status"] == "pending"


# --- overdue ------------------------------------------------------------------------


@pytest.fixture
def overdue_incident(make_incident: Any) -> str:
    """Received three days ago, with family contact "yes": due after 24 hours."""
    made = NOW - timedelta(days=3)
    return make_incident(
        "carer1",
        occurred_at=iso(made - timedelta(minutes=20)),
        reported_at=iso(made),
        people_informed=[],
        received_at=made,
    )


def _home(sign_in: Any) -> str:
    return sign_in("manager").get("/").get_data(as_text=True)


def test_overdue_duties_are_flagged_on_the_managers_home_page(
    app, sign_in, overdue_incident, make_incident
):
    make_incident("carer1")  # due tomorrow: not overdue
    with app.app_context():
        reference = db.session.get_one(Incident, overdue_incident).reference
        db.session.remove()
    html = _home(sign_in)
    section = html.split('data-testid="overdue-duties"', 1)[1].split("</section>", 1)[0]
    assert "1 duty is past due" in section
    assert f"{reference}: Tell the family or representative" in section
    assert "overdue by 2 days" in section
    assert 'href="/incidents?overdue=true"' in section


def test_the_home_section_is_only_for_managers(sign_in, overdue_incident):
    for who in ("carer1", "supervisor", "office"):
        assert 'data-testid="overdue-duties"' not in sign_in(who).get("/").get_data(as_text=True)


def test_the_home_section_only_counts_the_managers_branches(app, sign_in, overdue_incident, seeded):
    with app.app_context():
        from core.models import Branch, User

        manager = db.session.get_one(User, seeded["manager"].id)
        manager.branches = [db.session.scalar(db.select(Branch).where(Branch.code == "SOUTH"))]
        db.session.commit()
        db.session.remove()
    assert "No notification, candour, RIDDOR, safeguarding or family duties are overdue." in _home(
        sign_in
    )


def test_overdue_is_flagged_in_the_list_and_on_the_record(sign_in, overdue_incident):
    manager = sign_in("manager")
    listed = manager.get("/incidents").get_data(as_text=True)
    assert 'data-testid="overdue"' in listed
    detail = manager.get(f"/incidents/{overdue_incident}").get_data(as_text=True)
    assert "1 duty is overdue" in detail
    assert "overdue by 2 days" in detail


@pytest.mark.parametrize(
    ("form", "still_overdue"),
    [
        ({"status": "applies", "rationale": "Told the daughter.", "done": True}, False),
        (
            {"status": "does_not_apply", "rationale": "No family; the person asked us not to."},
            False,
        ),
        ({"status": "applies", "rationale": "To do today."}, True),  # applies, not done yet
    ],
)
def test_recording_the_decision_clears_the_overdue_flag(
    app, sign_in, overdue_incident, form, still_overdue
):
    family = decisions_of(app, overdue_incident)["family_contact"]
    data = {"version": "1", "status": form["status"], "rationale": form["rationale"]}
    if form.get("done"):
        data["done_at"] = local(NOW - timedelta(hours=2))
    manager = sign_in("manager")
    assert (
        manager.post_form(
            f"/incidents/{overdue_incident}/decisions/{family['id']}", data
        ).status_code
        == 303
    )
    listed = manager.get("/incidents?overdue=true").get_data(as_text=True)
    assert bool(re.search(r'data-reference="INC-', listed)) is still_overdue
    assert ("1 duty is past due" in _home(sign_in)) is still_overdue


def test_concurrent_duplicate_sends_open_the_duties_once(app, sign_in):
    """The duties are made in the incident's own transaction: the sends that lose
    the race for the id leave no decisions behind."""
    import threading

    body = incident_payload(**MODERATE)
    clients = [sign_in("carer1") for _ in range(10)]
    for c in clients:
        c.refresh_csrf()
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def send(c: Any) -> None:
        barrier.wait()
        statuses.append(c.post_json("/api/v1/incidents", body).status_code)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 9 + [201]
    with app.app_context():
        rules = db.session.scalars(db.select(IncidentDecision.rule)).all()
        opened = db.session.scalars(
            db.select(TrailEvent).where(TrailEvent.action == "duties_opened")
        ).all()
        db.session.remove()
    assert sorted(rules) == sorted(
        ["cqc_reg18", "candour_in_person", "candour_written", "family_contact"]
    )
    assert len(opened) == 1


def test_a_decision_changed_between_the_check_and_the_save_is_not_lost(app, make_incident, seeded):
    from sqlalchemy import update

    from core.models import User
    from incidents import decisions

    incident_id = make_incident("carer1", **MODERATE)
    with app.app_context():
        manager = db.session.get_one(User, seeded["manager"].id)
        incident = db.session.get_one(Incident, incident_id)
        decision = next(d for d in incident.decisions if d.rule == "cqc_reg18")
        with db.engine.begin() as other:  # another manager's request commits first
            other.execute(
                update(IncidentDecision.__table__)
                .where(IncidentDecision.__table__.c.id == decision.id)
                .values(status="applies", rationale="Serious injury.", version=2)
            )
        with pytest.raises(decisions.StaleDecision) as caught:
            decisions.record_decision(
                manager,
                incident,
                decision.id,
                version=1,
                status="does_not_apply",
                rationale="Not serious.",
                done_at=None,
                reference="",
            )
        assert caught.value.decision.rationale == "Serious injury."
        db.session.remove()
    after = decisions_of(app, incident_id)["cqc_reg18"]
    assert (after["status"], after["rationale"], after["version"]) == (
        "applies",
        "Serious injury.",
        2,
    )
