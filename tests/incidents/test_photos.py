"""Photos of an incident on the server side of the pages: served only to who may
see the incident, shown on its record, and sent with the report form when the
phone runs no JavaScript. (The upload API's cases: tests/sync/test_attachments_api.py.)"""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from flask import Flask
from PIL import Image

from core.models import TrailEvent
from extensions import db
from incidents.attachment_models import Attachment
from tests.conftest import Client
from tests.factories import incident_form, incident_payload, photo_with_gps

PHOTO = photo_with_gps()


def _report_with_photo(carer: Client, **changes: Any) -> tuple[str, str]:
    body = incident_payload(**changes)
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    photo_id = str(uuid.uuid4())
    response = carer.http.post(
        f"/api/v1/incidents/{body['id']}/attachments",
        data={"id": photo_id, "consent_by": "Mrs P", "file": (io.BytesIO(PHOTO), "p.jpg")},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": carer.refresh_csrf()},
    )
    assert response.status_code == 201
    return str(body["id"]), photo_id


@pytest.mark.parametrize("who", ["carer1", "supervisor", "manager", "office"])
def test_who_may_see_the_incident_gets_the_clean_photo_never_cached(sign_in, who: str):
    _, photo_id = _report_with_photo(sign_in("carer1"))
    response = sign_in(who).get(f"/attachments/{photo_id}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    served = Image.open(io.BytesIO(response.data))
    assert not served.getexif()
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(served.info)


@pytest.mark.parametrize("who", ["carer3", "carer2"], ids=["south-carer", "another-north-carer"])
def test_who_may_not_see_the_incident_gets_404(sign_in, who: str):
    _, photo_id = _report_with_photo(sign_in("carer1"))
    assert sign_in(who).get(f"/attachments/{photo_id}").status_code == 404


def test_a_safeguarding_record_s_photo_follows_its_restriction(app: Flask, sign_in):
    """Restricted records (abuse "yes" or "not sure") are not shown to supervisors
    or other carers; their photos are not either, and a view is on the trail."""
    thresholds = {"safeguarding": "yes", "clinical_escalation": "no", "family_contact": "yes"}
    incident_id, photo_id = _report_with_photo(sign_in("carer1"), thresholds=thresholds)
    assert sign_in("supervisor").get(f"/attachments/{photo_id}").status_code == 404
    assert sign_in("manager").get(f"/attachments/{photo_id}").status_code == 200
    with app.app_context():
        views = db.session.scalars(
            db.select(TrailEvent).where(
                TrailEvent.record_id == incident_id, TrailEvent.action == "view"
            )
        ).all()
        assert [v.detail.get("shown_in") for v in views] == ["photo"]


def test_signed_out_is_sent_to_sign_in(client: Client, sign_in):
    _, photo_id = _report_with_photo(sign_in("carer1"))
    response = client.get(f"/attachments/{photo_id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("photo_id", ["5f0c2a9e-1b7d-4c3e-9a61-0d2f8e4b7c15", "not-a-uuid"])
def test_an_unknown_photo_is_404(sign_in, photo_id: str):
    assert sign_in("manager").get(f"/attachments/{photo_id}").status_code == 404


def test_the_record_shows_its_photos_linking_to_them(sign_in):
    incident_id, photo_id = _report_with_photo(sign_in("carer1"))
    html = sign_in("manager").get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert f'href="/attachments/{photo_id}"' in html
    assert f'src="/attachments/{photo_id}"' in html
    assert "Agreed by Mrs P." in html


def test_the_form_without_javascript_sends_photos_with_the_report(app: Flask, sign_in):
    carer = sign_in("carer1")
    fields = incident_form(photo_consent_by="Mr Q (he agreed)")
    fields["photos"] = [
        (io.BytesIO(PHOTO), "one.jpg"),
        (io.BytesIO(photo_with_gps((640, 480))), "two.jpg"),
    ]
    response = carer.post_form("/incidents/new", fields, content_type="multipart/form-data")
    assert response.status_code == 303
    # Sent again (a second tap): the same two photos, not four.
    assert (
        carer.post_form(
            "/incidents/new",
            dict(
                fields,
                photos=[
                    (io.BytesIO(PHOTO), "one.jpg"),
                    (io.BytesIO(photo_with_gps((640, 480))), "two.jpg"),
                ],
            ),
            content_type="multipart/form-data",
        ).status_code
        == 303
    )
    with app.app_context():
        photos = db.session.scalars(db.select(Attachment)).all()
        assert len(photos) == 2
        assert {p.incident_id for p in photos} == {fields["entry_id"]}
        assert {p.consent_by for p in photos} == {"Mr Q (he agreed)"}


def test_the_form_without_javascript_refuses_photos_nobody_agreed_to(app: Flask, sign_in):
    fields = incident_form(photo_consent_by="")
    fields["photos"] = [(io.BytesIO(PHOTO), "one.jpg")]
    response = sign_in("carer1").post_form(
        "/incidents/new", fields, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Say who agreed to this photo being taken." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == 0


def test_the_form_without_javascript_says_which_photo_was_not_added(app: Flask, sign_in):
    carer = sign_in("carer1")
    fields = incident_form(photo_consent_by="Mrs P")
    fields["photos"] = [(io.BytesIO(b"<svg></svg>"), "one.jpg")]
    response = carer.post_form("/incidents/new", fields, content_type="multipart/form-data")
    assert response.status_code == 303
    page = carer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Photo 1 was not added: This is not a photo Candour accepts" in page


def test_the_form_s_text_keeps_the_256_kb_limit_when_it_may_carry_photos(sign_in):
    fields = incident_form(what_happened="x" * 300_000)
    fields["photos"] = [(io.BytesIO(PHOTO), "one.jpg")]
    response = sign_in("carer1").post_form(
        "/incidents/new", fields, content_type="multipart/form-data"
    )
    assert response.status_code == 413


def test_the_record_s_history_says_a_photo_was_added_and_who_agreed(sign_in):
    incident_id, _ = _report_with_photo(sign_in("carer1"))
    html = sign_in("manager").get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Photo added" in html
    assert "Who agreed to it: Mrs P" in html
