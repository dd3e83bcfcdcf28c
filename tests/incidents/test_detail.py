"""GET /incidents/<id>: the whole record, device times in UK time with the phone's
offset, lateness, the timeline, actions, scoping and the safeguarding audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from actions.models import Action
from core import dates, trail
from core.models import TrailEvent, User
from extensions import db
from incidents.models import Incident
from tests.factories import iso

NOW = datetime.now(UTC).replace(microsecond=0)


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("viewer", "author", "person", "visible"),
    [
        ("carer1", "carer1", "P-0001", True),
        ("carer2", "carer1", "P-0001", False),
        ("supervisor", "carer1", "P-0001", True),
        ("supervisor", "carer3", "P-0011", False),
        ("manager", "carer3", "P-0011", True),
        ("office", "carer3", "P-0011", True),
    ],
)
def test_detail_is_scoped_and_out_of_scope_is_404(
    sign_in, make_incident, viewer, author, person, visible
):
    incident_id = make_incident(author, person_ref=person)
    assert sign_in(viewer).get(f"/incidents/{incident_id}").status_code == (200 if visible else 404)


@pytest.mark.parametrize(
    "bad", ["5d0c2a8e-4f7b-4a52-9d41-0c6e1f3b7a90", "not-a-uuid", "1%27%20OR%201=1"]
)
def test_unknown_or_malformed_ids_are_404(sign_in, seeded, bad):
    assert sign_in("manager").get(f"/incidents/{bad}").status_code == 404


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("carer1", True),
        ("carer2", False),
        ("supervisor", False),
        ("office", False),
        ("manager", True),
    ],
)
def test_safeguarding_record_only_for_the_reporter_and_managers(
    sign_in, make_incident, viewer, visible
):
    incident_id = make_incident(
        "carer1", kind="incident", category="safeguarding", medication_error=None, harm="low"
    )
    assert sign_in(viewer).get(f"/incidents/{incident_id}").status_code == (200 if visible else 404)


def test_every_view_of_a_safeguarding_record_is_audited_and_listed(
    app, sign_in, make_incident, seeded
):
    incident_id = make_incident(
        "carer1", kind="incident", category="safeguarding", medication_error=None, harm="low"
    )
    manager = sign_in("manager")
    manager.get(f"/incidents/{incident_id}")
    html = html_of(manager.get(f"/incidents/{incident_id}"))
    with app.app_context():
        views = db.session.scalars(
            db.select(TrailEvent).where(
                TrailEvent.action == "view", TrailEvent.record_id == incident_id
            )
        ).all()
        assert [v.actor_id for v in views] == [seeded["manager"].id] * 2
        db.session.remove()
    assert "Who has seen this safeguarding record (2)" in html


def test_the_whole_record_is_shown(sign_in, make_incident):
    incident_id = make_incident(
        "carer1",
        kind="incident",
        harm="low",
        location="kitchen",
        what_happened="Evening dose missing from the pack.",
        immediate_actions="Rang the pharmacy.",
        staff_injured=False,
    )
    html = html_of(sign_in("manager").get(f"/incidents/{incident_id}"))
    for text in (
        "Evening dose missing from the pack.",
        "Rang the pharmacy.",
        "kitchen",
        "P-0001 (AB)",
        "North branch (NORTH)",
        "Amina Carer",
        "Low harm",
        "Medication: dose missed",
        "Time-critical medicine",
        "Manager or on-call: phone",
        "Might be abuse or neglect",
        "Received by Candour",
    ):
        assert text in html, text


def test_device_times_are_shown_in_uk_time_with_the_phone_offset(sign_in, make_incident):
    # A phone set to Central European Summer Time (UTC+2) in July: 10:15 there is
    # 09:15 in the UK (BST).
    incident_id = make_incident(
        "carer1",
        occurred_at="2026-07-01T10:15:00+02:00",
        reported_at="2026-07-01T10:40:00+02:00",
        people_informed=[],
    )
    html = html_of(sign_in("manager").get(f"/incidents/{incident_id}"))
    assert "Wed 01 Jul 2026, 09:15" in html
    assert "Wed 01 Jul 2026, 09:40" in html
    assert "phone&#39;s clock UTC+02:00" in html


def test_late_reports_say_how_late(sign_in, make_incident):
    made = NOW - timedelta(days=3)
    incident_id = make_incident(
        "carer1",
        occurred_at=iso(made - timedelta(days=5)),
        reported_at=iso(made),
        people_informed=[],
    )
    html = html_of(sign_in("manager").get(f"/incidents/{incident_id}"))
    assert "Reported 5 days after it happened." in html
    assert "Arrived 3 days after it was made on the phone" in html


def test_a_prompt_report_has_no_lateness_note(sign_in, make_incident):
    incident_id = make_incident("carer1")
    assert 'data-testid="lateness"' not in html_of(
        sign_in("manager").get(f"/incidents/{incident_id}")
    )


# --- seen by a manager ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "sets_seen"),
    [("manager", True), ("office", False), ("supervisor", False), ("carer1", False)],
)
def test_seen_is_set_only_when_a_manager_opens_it(
    sign_in, make_incident, read_incident, viewer, sets_seen
):
    incident_id = make_incident("carer1")
    sign_in(viewer).get(f"/incidents/{incident_id}")
    assert (read_incident(incident_id, lambda i: i.seen_at) is not None) is sets_seen


def test_seen_is_set_once_and_does_not_change_the_version(sign_in, make_incident, read_incident):
    incident_id = make_incident("carer1")
    manager = sign_in("manager")
    manager.get(f"/incidents/{incident_id}")
    first = read_incident(incident_id, lambda i: (i.seen_at, i.version))
    manager.get(f"/incidents/{incident_id}")
    assert read_incident(incident_id, lambda i: (i.seen_at, i.version)) == first
    assert first[1] == 1  # an office form opened earlier does not become stale


# --- timeline -----------------------------------------------------------------------


def _titles(html: str) -> list[str]:
    import re

    block = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r"<strong>([^<]+)</strong>", block)


def test_timeline_shows_the_record_and_everything_done_to_it(app, sign_in, make_incident, seeded):
    incident_id = make_incident(
        "carer1",
        kind="incident",
        harm="low",
        thresholds={"safeguarding": "no", "clinical_escalation": "no", "family_contact": "yes"},
    )
    manager = sign_in("manager")
    manager.get(f"/incidents/{incident_id}")  # seen
    response = manager.post_form(
        f"/incidents/{incident_id}/triage",
        {
            "version": "1",
            "kind": "incident",
            "category": "medication",
            "medication_error": "omission",
            "harm": "moderate",
            "reason": "The GP says the missed dose caused a fall later that day.",
            "status": "under_review",
            "reviewer_id": str(seeded["supervisor"].id),
            "feedback": "",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        incident = db.session.get_one(Incident, incident_id)
        family = next(d for d in incident.decisions if d.rule == "family_contact")
        family_id, family_version = family.id, family.version
        # Another part of the app (a learning review) adds its own event and an action.
        actor = db.session.get_one(User, seeded["manager"].id)
        trail.record(
            actor,
            "review_completed",
            "incident",
            incident_id,
            method="after_action_review",
            findings="Handover was verbal only.",
        )
        db.session.add(
            Action(
                title="Written handover checklist",
                due=date.today() + timedelta(days=14),
                branch_id=incident.branch_id,
                owner_id=seeded["supervisor"].id,
                author_id=seeded["manager"].id,
                source_type="incident",
                source_id=incident_id,
            )
        )
        db.session.commit()
        db.session.remove()
    done = (NOW - timedelta(minutes=30)).astimezone(dates.UK).strftime("%Y-%m-%dT%H:%M")
    response = manager.post_form(
        f"/incidents/{incident_id}/decisions/{family_id}",
        {
            "version": str(family_version),
            "status": "applies",
            "rationale": "Daughter is the representative.",
            "done_at": done,
            "reference": "",
        },
    )
    assert response.status_code == 303
    sign_in("office").post_form(f"/incidents/{incident_id}/chase", {"message": "Which room?"})

    html = html_of(manager.get(f"/incidents/{incident_id}"))
    titles = _titles(html)
    for expected in (
        "It happened",
        "Reported on the phone",
        "Received by Candour",
        "Duties to decide",
        "Seen by a manager",
        "Triaged",
        "Decision recorded: Tell the family or representative",
        "Done: Tell the family or representative",
        "Review completed",
        "Action agreed: Written handover checklist",
        "Reporter asked for more detail",
    ):
        assert expected in titles, (expected, titles)
    assert (
        titles.index("It happened")
        < titles.index("Reported on the phone")
        < titles.index("Received by Candour")
    )
    # Who did what, and the original values kept in the history.
    assert "Harm: Low harm → Moderate harm" in html
    assert "Reason: The GP says the missed dose caused a fall later that day." in html
    assert "Reviewer: (none) → Sam Supervisor" in html
    assert "Status: Sent → Being reviewed" in html
    assert "Method: after_action_review" in html
    assert "Findings: Handover was verbal only." in html
    assert "Morgan Manager" in html
    assert "Olu Office" in html
    # The action is listed with the record too.
    assert "Written handover checklist: open, owner Sam Supervisor" in html


def test_the_reporter_sees_a_plain_timeline_without_the_review_detail(app, sign_in, make_incident):
    incident_id = make_incident("carer1", kind="incident", harm="low")
    manager = sign_in("manager")
    manager.get(f"/incidents/{incident_id}")
    manager.post_form(
        f"/incidents/{incident_id}/triage",
        {
            "version": "1",
            "kind": "incident",
            "category": "fall",
            "harm": "moderate",
            "reason": "Bruising found later.",
            "status": "triaged",
        },
    )
    html = html_of(sign_in("carer1").get(f"/incidents/{incident_id}"))
    titles = _titles(html)
    assert "Seen by a manager" in titles
    assert "Triaged" not in titles
    assert "Bruising found later." not in html
    assert "Duties and decisions" not in html
    assert "Triage</a>" not in html


def test_no_review_actions_are_offered_to_a_carer_or_supervisor(sign_in, make_incident):
    incident_id = make_incident("carer1")
    for who in ("carer1", "supervisor"):
        html = html_of(sign_in(who).get(f"/incidents/{incident_id}"))
        assert f"/incidents/{incident_id}/triage" not in html
        assert f"/incidents/{incident_id}/details" not in html
        assert f"/incidents/{incident_id}/chase" not in html
        assert "/decisions/" not in html


def test_office_is_offered_details_and_chase_but_not_triage_or_decisions(sign_in, make_incident):
    incident_id = make_incident("carer1", kind="incident", harm="moderate")
    html = html_of(sign_in("office").get(f"/incidents/{incident_id}"))
    assert f"/incidents/{incident_id}/details" in html
    assert f"/incidents/{incident_id}/chase" in html
    assert f"/incidents/{incident_id}/triage" not in html
    assert "/decisions/" not in html
    assert "Duty of candour" in html  # they can see the duties, not decide them


def test_unknown_audit_events_are_shown_generically(app, sign_in, make_incident, seeded):
    incident_id = make_incident("carer1")
    with app.app_context():
        actor = db.session.get_one(User, seeded["manager"].id)
        trail.record(
            actor,
            "closed_without_review",
            "incident",
            incident_id,
            changes={"status": ["triaged", "closed"]},
            why_no_review="Near miss fully explained at triage",
            at_time=NOW.isoformat(),
            flags=["low", "none"],
            escalated=False,
        )
        db.session.commit()
        db.session.remove()
    html = html_of(sign_in("manager").get(f"/incidents/{incident_id}"))
    assert "Closed without review" in html
    assert "Status: Seen by a manager → Closed" in html
    assert "Why no review: Near miss fully explained at triage" in html
    assert "Flags: Low harm, No harm" in html
    assert "Escalated: No" in html
    assert f"At time: {NOW.astimezone(dates.UK).strftime('%d %b %Y, %H:%M')}" in html


def test_closing_and_reopening_are_named_in_the_timeline(sign_in, make_incident):
    incident_id = make_incident("carer1")
    manager = sign_in("manager")
    base = {
        "kind": "near_miss",
        "category": "medication",
        "medication_error": "omission",
        "harm": "none",
    }
    manager.post_form(
        f"/incidents/{incident_id}/triage",
        {
            **base,
            "version": "1",
            "status": "closed",
            "no_review_reason": "Explained in full at triage.",
            "feedback": "Pharmacy now delivers a day early.",
        },
    )
    manager.post_form(
        f"/incidents/{incident_id}/triage", {**base, "version": "2", "status": "under_review"}
    )
    titles = _titles(html_of(manager.get(f"/incidents/{incident_id}")))
    assert titles.index("Triaged and closed") < titles.index("Triaged and reopened")
    reporter = _titles(html_of(sign_in("carer1").get(f"/incidents/{incident_id}")))
    assert "Triaged and closed" not in reporter
    assert "Pharmacy now delivers a day early." in html_of(
        sign_in("carer1").get(f"/incidents/{incident_id}")
    )


def test_the_reporter_sees_when_it_was_closed(sign_in, make_incident):
    incident_id = make_incident("carer1")
    sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage",
        {
            "kind": "near_miss",
            "category": "medication",
            "medication_error": "omission",
            "harm": "none",
            "version": "1",
            "status": "closed",
            "no_review_reason": "Explained in full at triage.",
            "feedback": "Thank you: the pack is checked at delivery now.",
        },
    )
    assert "Closed" in _titles(html_of(sign_in("carer1").get(f"/incidents/{incident_id}")))


def test_the_api_record_says_when_it_was_seen_closed_and_what_was_learned(sign_in, make_incident):
    incident_id = make_incident("carer1")
    carer = sign_in("carer1")
    before = carer.get(f"/api/v1/incidents/{incident_id}").get_json()
    assert (before["seen_at"], before["closed_at"], before["feedback"]) == (None, None, "")
    manager = sign_in("manager")
    manager.get(f"/incidents/{incident_id}")
    manager.post_form(
        f"/incidents/{incident_id}/triage",
        {
            "kind": "near_miss",
            "category": "medication",
            "medication_error": "omission",
            "harm": "none",
            "version": "1",
            "status": "closed",
            "no_review_reason": "Explained in full at triage.",
            "feedback": "Checked at delivery now.",
        },
    )
    after = carer.get(f"/api/v1/incidents/{incident_id}").get_json()
    assert after["seen_at"] is not None
    assert after["closed_at"] is not None
    assert after["feedback"] == "Checked at delivery now."
    assert after["status"] == "closed"


def test_telling_safeguarding_reads_as_the_team_not_a_concern(sign_in, make_incident):
    incident_id = make_incident(
        "carer1",
        people_informed=[
            {"who": "safeguarding", "at": iso(NOW - timedelta(hours=1)), "method": "phone"}
        ],
    )
    html = html_of(sign_in("manager").get(f"/incidents/{incident_id}"))
    assert "Safeguarding team or local authority: phone" in html
    assert "Safeguarding concern:" not in html


def test_the_place_chosen_is_shown_with_the_free_text(sign_in, make_incident):
    incident_id = make_incident("carer1", place="living_room", location="by the armchair")
    html = html_of(sign_in("manager").get(f"/incidents/{incident_id}"))
    assert "Living room</span>: by the armchair" in html
