"""Anything that may be safeguarding (the category, or the reporter's threshold
answer "could this be abuse or neglect?" of yes or not sure) is restricted to its
reporter and the branch's managers (issue 12, finding 4: a fall answered "yes"
was open to supervisors and office)."""

from __future__ import annotations

import pytest

from extensions import db
from incidents.models import Incident
from incidents.triage import reviewers_for


def _fall(make_incident, answer: str) -> str:
    return make_incident(
        "carer1",
        kind="incident",
        category="fall",
        medication_error=None,
        harm="low",
        thresholds={"safeguarding": answer, "clinical_escalation": "no", "family_contact": "yes"},
    )


VIEWERS = [
    ("carer1", True),
    ("carer2", False),
    ("supervisor", False),
    ("office", False),
    ("manager", True),
]
# Carers hear the learning through feedback, not the learning page.
PAGES = [
    *[("/incidents/{}", v, ok) for v, ok in VIEWERS],
    *[("/api/v1/incidents/{}", v, ok) for v, ok in VIEWERS],
    *[("/incidents/{}/learning", v, ok) for v, ok in VIEWERS if not v.startswith("carer")],
]


@pytest.mark.parametrize("answer", ["yes", "unsure"])
@pytest.mark.parametrize(("url", "viewer", "visible"), PAGES)
def test_a_fall_that_may_be_abuse_is_only_for_its_reporter_and_managers(
    sign_in, make_incident, answer, url, viewer, visible
):
    incident_id = _fall(make_incident, answer)
    assert sign_in(viewer).get(url.format(incident_id)).status_code == (200 if visible else 404)


@pytest.mark.parametrize("url", ["/incidents", "/incidents?q=blister", "/api/v1/incidents"])
@pytest.mark.parametrize("viewer", ["supervisor", "office"])
def test_a_fall_that_may_be_abuse_is_left_out_of_lists_and_search(
    sign_in, make_incident, url, viewer
):
    incident_id = _fall(make_incident, "yes")
    assert incident_id not in sign_in(viewer).get(url).get_data(as_text=True)


def test_a_fall_answered_no_stays_open_to_the_branch(sign_in, make_incident):
    incident_id = _fall(make_incident, "no")
    assert sign_in("supervisor").get(f"/incidents/{incident_id}").status_code == 200


def test_supervisors_are_not_offered_as_reviewers_of_a_record_that_may_be_abuse(app, make_incident):
    incident_id = _fall(make_incident, "unsure")
    with app.app_context():
        roles = {u.role for u in reviewers_for(db.session.get_one(Incident, incident_id))}
    assert roles == {"manager"}
