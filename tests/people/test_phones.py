"""What phones see of archiving. The reference list (GET /api/v1/reference) and
the report and spot-check forms stop offering an archived person, and a phone's
next refresh (a conditional GET with the ETag it holds) gets the new list. A
report a carer saved offline about someone archived since is still accepted,
exactly once: nothing a carer saved is lost."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.models import PersonSupported
from extensions import db
from incidents.models import Incident
from tests.factories import audit_payload, incident_payload


def _person_id(app: Flask, ref: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(db.select(PersonSupported.id).where(PersonSupported.ref == ref))
        )


def _archive(app: Flask, sign_in: Any, ref: str) -> None:
    response = sign_in("office").post_form(
        f"/people/{_person_id(app, ref)}/archive", {"reason": "ended_care"}
    )
    assert response.status_code == 302


def _refs(answer: Any) -> list[str]:
    return [p["ref"] for p in answer.get_json()["people"]]


def test_the_reference_list_stops_offering_an_archived_person(app, sign_in):
    carer = sign_in("carer1")
    assert "P-0003" in _refs(carer.get("/api/v1/reference"))
    _archive(app, sign_in, "P-0003")
    refs = _refs(carer.get("/api/v1/reference"))
    assert "P-0003" not in refs
    assert refs == [f"P-{n:04d}" for n in range(1, 11) if n != 3]


def test_a_phones_next_refresh_gets_the_list_without_them(app, sign_in):
    """The service worker asks with If-None-Match (service-worker.js,
    refreshOffline): unchanged is a 304; after an archive it is a new list."""
    carer = sign_in("carer1")
    first = carer.get("/api/v1/reference")
    etag = first.headers["ETag"]
    assert carer.get("/api/v1/reference", headers={"If-None-Match": etag}).status_code == 304
    _archive(app, sign_in, "P-0003")
    refreshed = carer.get("/api/v1/reference", headers={"If-None-Match": etag})
    assert refreshed.status_code == 200
    assert refreshed.headers["ETag"] != etag
    assert "P-0003" not in _refs(refreshed)


def test_the_report_form_stops_offering_an_archived_person(app, sign_in):
    carer = sign_in("carer1")
    assert 'value="P-0003"' in carer.get("/incidents/new").get_data(as_text=True)
    _archive(app, sign_in, "P-0003")
    html = carer.get("/incidents/new").get_data(as_text=True)
    assert 'value="P-0003"' not in html
    assert 'value="P-0004"' in html


def test_the_spot_check_form_stops_offering_an_archived_person(app, sign_in, templates):
    supervisor = sign_in("supervisor")
    url = "/audits/new/medication-spot-check"
    assert "P-0003" in supervisor.get(url).get_data(as_text=True)
    _archive(app, sign_in, "P-0003")
    html = supervisor.get(url).get_data(as_text=True)
    assert "P-0003" not in html
    assert "P-0004" in html


def test_a_report_saved_offline_before_the_archive_is_accepted_once(app, sign_in):
    carer = sign_in("carer1")
    body = incident_payload(person_ref="P-0003")  # written with no signal
    _archive(app, sign_in, "P-0003")
    first = carer.post_json("/api/v1/incidents", body)
    assert first.status_code == 201, first.get_json()
    again = carer.post_json("/api/v1/incidents", body)  # the phone did not hear the answer
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    with app.app_context():
        stored = list(db.session.scalars(db.select(Incident).where(Incident.id == body["id"])))
        assert len(stored) == 1
        assert stored[0].person.ref == "P-0003"
        assert stored[0].person.active is False


def test_a_spot_check_saved_offline_before_the_archive_is_accepted(app, sign_in, templates):
    supervisor = sign_in("supervisor")
    body = audit_payload(templates["carer1"].id, person_ref="P-0003")
    _archive(app, sign_in, "P-0003")
    answer = supervisor.post_json("/api/v1/audits", body)
    assert answer.status_code == 201, answer.get_json()
    assert supervisor.post_json("/api/v1/audits", body).status_code == 200


def test_incidents_about_an_archived_person_stay_findable_by_the_office(app, sign_in):
    carer = sign_in("carer1")
    body = incident_payload(person_ref="P-0003")
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    _archive(app, sign_in, "P-0003")
    office = sign_in("office")
    page = office.get("/incidents", query_string={"person": "P-0003"}).get_data(as_text=True)
    assert "P-0003 (EF) (archived)" in page
    assert body["id"] in page
