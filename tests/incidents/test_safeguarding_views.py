"""Every view of a record that may be safeguarding is on the audit trail, in a
list as well as on its own page (issue 12, finding 3: the list, free-text search
and GET /api/v1/incidents showed safeguarding narratives with no view recorded)."""

from __future__ import annotations

import pytest

from core.models import TrailEvent
from extensions import db

SAFEGUARDING = {
    "kind": "incident",
    "category": "safeguarding",
    "medication_error": None,
    "harm": "low",
    "what_happened": "Bruising on both arms that the family could not explain.",
}
MAY_BE_ABUSE = {
    "kind": "incident",
    "category": "fall",
    "medication_error": None,
    "harm": "low",
    "what_happened": "Found on the floor; said her son pushed her.",
    "thresholds": {"safeguarding": "unsure", "clinical_escalation": "no", "family_contact": "yes"},
}


def _views(app, incident_id: str) -> list[tuple[int | None, str | None]]:
    with app.app_context():
        events = db.session.scalars(
            db.select(TrailEvent)
            .where(TrailEvent.action == "view", TrailEvent.record_type == "incident")
            .where(TrailEvent.record_id == incident_id)
            .order_by(TrailEvent.id)
        ).all()
        found = [(e.actor_id, e.detail.get("shown_in")) for e in events]
        db.session.remove()
    return found


@pytest.mark.parametrize("record", [SAFEGUARDING, MAY_BE_ABUSE], ids=["category", "threshold"])
@pytest.mark.parametrize(
    ("url", "shown_in"),
    [
        ("/incidents", "list"),
        ("/incidents?category=", "list"),
        ("/incidents?q=son", "list"),
        ("/api/v1/incidents", "api_list"),
    ],
)
def test_a_list_that_shows_the_record_puts_a_view_on_the_trail(
    app, sign_in, make_incident, seeded, record, url, shown_in
):
    incident_id = make_incident("carer1", **record)
    if url.endswith("category="):
        url += record["category"]
    if url.endswith("q=son") and record is SAFEGUARDING:
        url = "/incidents?q=bruising"
    response = sign_in("manager").get(url)
    assert incident_id in response.get_data(as_text=True)
    assert _views(app, incident_id) == [(seeded["manager"].id, shown_in)]


def test_the_reporters_own_list_is_a_view_too(app, sign_in, make_incident, seeded):
    incident_id = make_incident("carer1", **SAFEGUARDING)
    sign_in("carer1").get("/incidents")
    assert _views(app, incident_id) == [(seeded["carer1"].id, "list")]


def test_a_list_puts_no_view_on_the_trail_for_other_records(app, sign_in, make_incident):
    incident_id = make_incident("carer1")
    sign_in("manager").get("/incidents")
    sign_in("manager").get("/api/v1/incidents")
    assert _views(app, incident_id) == []


def test_a_record_left_off_the_page_is_not_viewed(app, sign_in, make_incident):
    incident_id = make_incident("carer1", **SAFEGUARDING)
    sign_in("manager").get("/incidents?category=medication")
    assert _views(app, incident_id) == []


def test_the_record_page_lists_views_in_lists_too(app, sign_in, make_incident):
    incident_id = make_incident("carer1", **SAFEGUARDING)
    manager = sign_in("manager")
    manager.get("/incidents")
    html = manager.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Who has seen this safeguarding record (2)" in html
    assert "in the incident list" in html
