"""Hostile text in every field a person can type is shown escaped on the list,
the record, the forms and the carer's pages (and never run as a template)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from markupsafe import escape

from extensions import db
from incidents.models import IncidentDecision
from tests.factories import iso

HOSTILE = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    '</dd></dl><a href="javascript:alert(1)">click</a>',
    "{{ 7*7 }}{% if true %}SSTI{% endif %}",
]
NOW = datetime.now(UTC).replace(microsecond=0)


def assert_escaped(html: str, text: str) -> None:
    escaped = str(escape(text))
    if escaped == text:
        # Template syntax: shown literally, never evaluated.
        assert text in html
        assert "SSTI" not in html.replace(text, "")
    else:
        assert text not in html
        assert escaped in html


@pytest.fixture(params=HOSTILE, ids=[f"corpus{n}" for n in range(len(HOSTILE))])
def hostile(request: Any) -> str:
    return str(request.param)


@pytest.fixture
def hostile_incident(app, sign_in, make_incident, hostile) -> str:
    """An incident where every free-text field holds the hostile text, with office
    notes, a chase, a triage reason, feedback and a decision written the same way."""
    occurred = NOW - timedelta(days=40)
    incident_id = make_incident(
        "carer1",
        kind="incident",
        harm="moderate",
        occurred_at=iso(occurred),
        reported_at=iso(NOW - timedelta(minutes=5)),
        people_informed=[],
        what_happened=hostile,
        immediate_actions=hostile,
        location=hostile[:200],
        late_reason=hostile,
    )
    office = sign_in("office")
    assert (
        office.post_form(f"/incidents/{incident_id}/chase", {"message": hostile}).status_code == 303
    )
    assert (
        office.post_form(
            f"/incidents/{incident_id}/details", {"version": "1", "note": hostile}
        ).status_code
        == 303
    )
    manager = sign_in("manager")
    response = manager.post_form(
        f"/incidents/{incident_id}/triage",
        {
            "version": "1",
            "kind": "incident",
            "category": "fall",
            "medication_error": "",
            "harm": "moderate",
            "reason": hostile,
            "status": "closed",
            "feedback": hostile,
            "no_review_reason": hostile,
        },
    )
    assert response.status_code == 303
    with app.app_context():
        decision = db.session.scalars(
            db.select(IncidentDecision)
            .where(IncidentDecision.incident_id == incident_id)
            .order_by(IncidentDecision.id)
        ).first()
        assert decision is not None
        decision_id = decision.id
        db.session.remove()
    response = manager.post_form(
        f"/incidents/{incident_id}/decisions/{decision_id}",
        {"version": "1", "status": "applies", "rationale": hostile, "reference": hostile[:100]},
    )
    assert response.status_code == 303
    return incident_id


def test_manager_list_escapes_everything(sign_in, hostile_incident, hostile):
    html = sign_in("manager").get("/incidents").get_data(as_text=True)
    assert_escaped(html, hostile)


def test_manager_record_escapes_everything(sign_in, hostile_incident, hostile):
    html = sign_in("manager").get(f"/incidents/{hostile_incident}").get_data(as_text=True)
    assert_escaped(html, hostile)
    # It is shown in every place it was typed: the report, late reason, location,
    # note, chase, feedback, triage reason, decision rationale and reference.
    assert html.count(str(escape(hostile))) >= 9


def test_carer_pages_escape_everything(sign_in, hostile_incident, hostile):
    carer = sign_in("carer1")
    assert_escaped(carer.get("/incidents").get_data(as_text=True), hostile)
    assert_escaped(carer.get(f"/incidents/{hostile_incident}").get_data(as_text=True), hostile)


def test_forms_prefilled_with_hostile_text_escape_it(sign_in, app, hostile_incident, hostile):
    manager = sign_in("manager")
    assert_escaped(
        manager.get(f"/incidents/{hostile_incident}/triage").get_data(as_text=True), hostile
    )
    with app.app_context():
        decision_id = db.session.scalars(
            db.select(IncidentDecision.id)
            .where(IncidentDecision.incident_id == hostile_incident)
            .order_by(IncidentDecision.id)
        ).first()
        db.session.remove()
    assert_escaped(
        manager.get(f"/incidents/{hostile_incident}/decisions/{decision_id}").get_data(
            as_text=True
        ),
        hostile,
    )


def test_search_text_is_escaped_when_shown_back(sign_in, seeded, hostile):
    manager = sign_in("manager")
    assert_escaped(
        manager.get("/incidents", query_string={"q": hostile}).get_data(as_text=True), hostile
    )
    partial = manager.get(
        "/incidents", query_string={"date_from": hostile}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 422
    assert hostile not in partial.get_data(as_text=True)


def test_rejected_form_values_are_escaped_when_shown_back(sign_in, make_incident, hostile):
    incident_id = make_incident("carer1")
    response = sign_in("manager").post_form(
        f"/incidents/{incident_id}/triage",
        {
            "version": "1",
            "kind": "near_miss",
            "category": "fall",
            "harm": "none",
            "reason": "",
            "status": "triaged",
            "feedback": hostile,
        },
    )
    assert response.status_code == 422  # a category change without a reason
    assert_escaped(response.get_data(as_text=True), hostile)
