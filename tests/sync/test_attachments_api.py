"""POST /api/v1/incidents/<id>/attachments exactly as docs/api.md says: a photo
kept once, clean, and nothing kept for anything refused."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from flask import Flask
from PIL import Image, ImageFile

from extensions import db
from incidents.attachment_models import Attachment, StoredFile
from tests.conftest import Client
from tests.factories import incident_payload, photo_with_gps

PHOTO = photo_with_gps()


def _incident(carer: Client) -> str:
    body = incident_payload()
    assert carer.post_json("/api/v1/incidents", body).status_code == 201
    return str(body["id"])


def _upload(
    client: Client,
    incident_id: str,
    data: bytes = PHOTO,
    *,
    photo_id: str | None = None,
    name: str = "photo.jpg",
    mimetype: str = "image/jpeg",
    consent_by: str | None = "Mrs P (the person herself)",
) -> Any:
    form: dict[str, Any] = {"id": photo_id or str(uuid.uuid4())}
    if consent_by is not None:
        form["consent_by"] = consent_by
    form["file"] = (io.BytesIO(data), name, mimetype)
    return client.http.post(
        f"/api/v1/incidents/{incident_id}/attachments",
        data=form,
        content_type="multipart/form-data",
        headers={"X-CSRFToken": client.csrf or client.refresh_csrf()},
    )


def _stored(app: Flask) -> tuple[int, int]:
    with app.app_context():
        photos = db.session.scalar(db.select(db.func.count()).select_from(Attachment))
        files = db.session.scalar(db.select(db.func.count()).select_from(StoredFile))
    return photos, files


def _stored_bytes(app: Flask, photo_id: str) -> bytes:
    with app.app_context():
        return bytes(db.session.get_one(StoredFile, photo_id).data)


def test_a_photo_is_201_with_what_was_stored(app: Flask, sign_in):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    photo_id = str(uuid.uuid4())
    response = _upload(carer, incident_id, photo_id=photo_id)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    stored = _stored_bytes(app, photo_id)
    # Turned upright (orientation 6: a 1200 x 900 photo stands 900 x 1200).
    assert answer == {
        "id": photo_id,
        "content_type": "image/jpeg",
        "bytes": len(stored),
        "width": 900,
        "height": 1200,
    }


def test_the_stored_photo_has_no_metadata(app: Flask, sign_in):
    carer = sign_in("carer1")
    photo_id = str(uuid.uuid4())
    assert _upload(carer, _incident(carer), photo_id=photo_id).status_code == 201
    stored = Image.open(io.BytesIO(_stored_bytes(app, photo_id)))
    assert stored.format == "JPEG"
    assert not stored.getexif()
    assert not {"exif", "icc_profile", "xmp", "comment", "photoshop"} & set(stored.info)


def test_a_large_photo_is_kept_at_most_1600_pixels_on_its_long_side(app: Flask, sign_in):
    carer = sign_in("carer1")
    response = _upload(carer, _incident(carer), photo_with_gps((4000, 3000), orientation=1))
    assert response.status_code == 201
    assert (response.get_json()["width"], response.get_json()["height"]) == (1600, 1200)


def test_the_same_photo_sent_twice_is_200_with_the_same_answer_and_one_photo(app: Flask, sign_in):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    photo_id = str(uuid.uuid4())
    first = _upload(carer, incident_id, photo_id=photo_id)
    again = _upload(carer, incident_id, photo_id=photo_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert _stored(app) == (1, 1)


def test_the_same_id_with_another_photo_is_409_and_the_first_is_kept(app: Flask, sign_in):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    photo_id = str(uuid.uuid4())
    assert _upload(carer, incident_id, photo_id=photo_id).status_code == 201
    kept = _stored_bytes(app, photo_id)
    other = photo_with_gps((800, 600))
    response = _upload(carer, incident_id, other, photo_id=photo_id)
    assert response.status_code == 409
    assert _stored(app) == (1, 1)
    assert _stored_bytes(app, photo_id) == kept


HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "mimetype"),
    [(HTML, "image/jpeg"), (SVG, "image/jpeg"), (SVG, "image/svg+xml"), (HEIC, "image/heic")],
    ids=["html-named-jpg", "svg-named-jpg", "svg", "heic"],
)
def test_what_is_not_an_accepted_image_is_415_whatever_its_name(
    app: Flask, sign_in, data: bytes, mimetype: str
):
    carer = sign_in("carer1")
    response = _upload(carer, _incident(carer), data, name="photo.jpg", mimetype=mimetype)
    assert response.status_code == 415
    assert "JPEG, PNG or WebP" in response.get_json()["error"]
    assert _stored(app) == (0, 0)


def test_a_photo_over_the_size_limit_is_413(app: Flask, sign_in):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    app.config["ATTACHMENT_MAX_BYTES"] = len(PHOTO) - 1
    try:
        response = _upload(carer, incident_id)
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = 10 * 2**20
    assert response.status_code == 413
    assert "too large" in response.get_json()["error"]
    assert _stored(app) == (0, 0)


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(app: Flask, sign_in):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    big = PHOTO + b"\x00" * (10 * 2**20)
    response = _upload(carer, incident_id, big)
    assert response.status_code == 413
    assert "too large" in response.get_json()["error"]
    assert _stored(app) == (0, 0)


def test_a_photo_with_too_many_pixels_is_413_before_it_is_decoded(app: Flask, sign_in):
    carer = sign_in("carer1")
    app.config["ATTACHMENT_MAX_PIXELS"] = 1_000_000
    try:
        response = _upload(carer, _incident(carer))
    finally:
        app.config["ATTACHMENT_MAX_PIXELS"] = 50_000_000
    assert response.status_code == 413
    assert _stored(app) == (0, 0)


# WeasyPrint (PDFs) sets Pillow's global LOAD_TRUNCATED_IMAGES to True when it is
# imported: a cut-short photo must still be refused with it set.
@pytest.mark.parametrize("load_truncated", [False, True], ids=["pillow-default", "as-weasyprint"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"], ids=["jpeg", "png", "webp"])
def test_a_cut_short_photo_is_422(
    app: Flask, sign_in, monkeypatch: pytest.MonkeyPatch, load_truncated: bool, fmt: str
):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", load_truncated)
    whole = io.BytesIO()
    Image.open(io.BytesIO(PHOTO)).save(whole, fmt)
    carer = sign_in("carer1")
    response = _upload(carer, _incident(carer), whole.getvalue()[: len(whole.getvalue()) * 2 // 3])
    assert response.status_code == 422
    assert "could not be read" in response.get_json()["errors"]["file"][0]
    assert _stored(app) == (0, 0)


def test_a_damaged_photo_is_422(app: Flask, sign_in):
    carer = sign_in("carer1")
    damaged = PHOTO[:20] + b"\x00" * 200 + PHOTO[220:]
    response = _upload(carer, _incident(carer), damaged)
    assert response.status_code == 422
    assert _stored(app) == (0, 0)


@pytest.mark.parametrize("consent", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_a_photo_without_consent_is_422(app: Flask, sign_in, consent: str | None):
    carer = sign_in("carer1")
    response = _upload(carer, _incident(carer), consent_by=consent)
    assert response.status_code == 422
    assert response.get_json()["errors"]["consent_by"] == [
        "Say who agreed to this photo being taken."
    ]
    assert _stored(app) == (0, 0)


@pytest.mark.parametrize("photo_id", ["", "not-a-uuid"], ids=["missing", "malformed"])
def test_a_photo_without_a_valid_id_is_422(app: Flask, sign_in, photo_id: str):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    response = carer.http.post(
        f"/api/v1/incidents/{incident_id}/attachments",
        data={"id": photo_id, "consent_by": "Mrs P", "file": (io.BytesIO(PHOTO), "p.jpg")},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": carer.refresh_csrf()},
    )
    assert response.status_code == 422
    assert "id" in response.get_json()["errors"]
    assert _stored(app) == (0, 0)


def test_no_file_is_422(app: Flask, sign_in):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    response = carer.http.post(
        f"/api/v1/incidents/{incident_id}/attachments",
        data={"id": str(uuid.uuid4()), "consent_by": "Mrs P"},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": carer.refresh_csrf()},
    )
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]


@pytest.mark.parametrize("who", ["carer3", "carer2"], ids=["other-branch", "other-carer"])
def test_an_incident_out_of_scope_is_404_and_nothing_is_stored(app: Flask, sign_in, who: str):
    incident_id = _incident(sign_in("carer1"))
    response = _upload(sign_in(who), incident_id)
    assert response.status_code == 404
    assert _stored(app) == (0, 0)


def test_a_supervisor_who_sees_the_incident_may_not_add_photos(app: Flask, sign_in):
    incident_id = _incident(sign_in("carer1"))
    response = _upload(sign_in("supervisor"), incident_id)
    assert response.status_code == 403
    assert _stored(app) == (0, 0)


def test_a_manager_may_add_a_photo_later(app: Flask, sign_in):
    incident_id = _incident(sign_in("carer1"))
    assert _upload(sign_in("manager"), incident_id).status_code == 201


def test_signed_out_is_401(client: Client, app: Flask, sign_in):
    incident_id = _incident(sign_in("carer1"))
    response = client.http.post(
        f"/api/v1/incidents/{incident_id}/attachments",
        data={"id": str(uuid.uuid4()), "consent_by": "x", "file": (io.BytesIO(PHOTO), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 401
    assert _stored(app) == (0, 0)


def test_without_the_csrf_token_it_is_refused(app: Flask, sign_in):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    response = carer.http.post(
        f"/api/v1/incidents/{incident_id}/attachments",
        data={"id": str(uuid.uuid4()), "consent_by": "x", "file": (io.BytesIO(PHOTO), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.get_json()["reason"] == "csrf"
    assert _stored(app) == (0, 0)


def test_an_upload_is_on_the_incident_s_trail(app: Flask, sign_in):
    from core.models import TrailEvent

    carer = sign_in("carer1")
    incident_id = _incident(carer)
    photo_id = str(uuid.uuid4())
    _upload(carer, incident_id, photo_id=photo_id)
    _upload(carer, incident_id, photo_id=photo_id)  # a replay adds nothing
    with app.app_context():
        events = db.session.scalars(
            db.select(TrailEvent).where(
                TrailEvent.record_id == incident_id, TrailEvent.action == "add_photo"
            )
        ).all()
        assert [e.detail["photo"] for e in events] == [photo_id]
        assert events[0].detail["consent_by"] == "Mrs P (the person herself)"


def test_the_photo_limit_per_incident_is_422(app: Flask, sign_in):
    carer = sign_in("carer1")
    incident_id = _incident(carer)
    app.config["ATTACHMENTS_PER_INCIDENT"] = 1
    try:
        assert _upload(carer, incident_id).status_code == 201
        response = _upload(carer, incident_id, photo_with_gps((300, 200)))
    finally:
        app.config["ATTACHMENTS_PER_INCIDENT"] = 20
    assert response.status_code == 422
    assert _stored(app) == (1, 1)
