"""POST /api/v1/bulletins/<id>/acknowledgements: a confirmation that a bulletin was
read, sent straight away or later from a phone's outbox (added to the contract)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask

from core.models import Branch, TrailEvent, User
from extensions import db
from learning import bulletins
from learning.models import Acknowledgement


def _user(key: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


def _bulletin(app: Flask, roles: list[str] | None = None) -> int:
    with app.app_context():
        north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
        bulletin = bulletins.new_bulletin(
            _user("manager"),
            {
                "title": "Safer handovers",
                "what_happened": "A time-critical dose was missed at a change of shift.",
                "what_learned": "Verbal handovers lose details.",
                "what_changes": "Use the written handover checklist.",
                "branch_ids": [north.id],
                "roles": roles or [],
                "review_ids": [],
            },
        )
        bulletin_id: int = bulletin.id
        db.session.remove()
        return bulletin_id


def _acks(app: Flask) -> list[Acknowledgement]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(Acknowledgement)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _url(bulletin_id: int) -> str:
    return f"/api/v1/bulletins/{bulletin_id}/acknowledgements"


def test_a_confirmation_is_201_and_names_the_entry(app, sign_in):
    bulletin_id = _bulletin(app)
    entry = str(uuid.uuid4())
    response = sign_in("carer1").post_json(_url(bulletin_id), {"id": entry})
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] == entry
    assert body["bulletin"] == bulletin_id
    assert [a.bulletin_id for a in _acks(app)] == [bulletin_id]


def test_sending_it_again_is_200_with_the_first_time(app, sign_in):
    bulletin_id = _bulletin(app)
    carer = sign_in("carer1")
    first = carer.post_json(_url(bulletin_id), {"id": str(uuid.uuid4())}).get_json()
    entry = str(uuid.uuid4())
    again = carer.post_json(_url(bulletin_id), {"id": entry})
    assert again.status_code == 200
    assert again.get_json() == {"id": entry, "bulletin": bulletin_id, "read_at": first["read_at"]}
    assert len(_acks(app)) == 1


def test_the_time_it_was_read_on_the_phone_is_kept(app, sign_in):
    bulletin_id = _bulletin(app)
    published = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    with app.app_context():
        bulletins.get_bulletin(_user("manager"), bulletin_id).published_at = published
        db.session.commit()
    tapped = (published + timedelta(minutes=30)).astimezone(timezone(timedelta(hours=1)))
    body = {"id": str(uuid.uuid4()), "read_at": tapped.isoformat()}
    sign_in("carer1").post_json(_url(bulletin_id), body)
    [ack] = _acks(app)
    assert ack.at == tapped


@pytest.mark.parametrize("shift", [timedelta(days=-3), timedelta(days=3)])
def test_a_wrong_phone_clock_is_kept_within_what_is_possible(app, sign_in, shift):
    bulletin_id = _bulletin(app)
    with app.app_context():
        published = bulletins.get_bulletin(_user("manager"), bulletin_id).published_at
    body = {"id": str(uuid.uuid4()), "read_at": (datetime.now(UTC) + shift).isoformat()}
    sign_in("carer1").post_json(_url(bulletin_id), body)
    [ack] = _acks(app)
    assert published <= ack.at <= datetime.now(UTC)


def test_the_audit_trail_records_the_confirmation(app, sign_in):
    bulletin_id = _bulletin(app)
    sign_in("carer1").post_json(_url(bulletin_id), {"id": str(uuid.uuid4())})
    with app.app_context():
        events = db.session.scalars(
            db.select(TrailEvent).where(TrailEvent.action == "acknowledge")
        ).all()
        assert [(e.record_type, e.record_id) for e in events] == [("bulletin", str(bulletin_id))]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "id"),
        ({"id": "not-a-uuid"}, "id"),
        ({"id": str(uuid.uuid4()), "read_at": "yesterday"}, "read_at"),
        ({"id": str(uuid.uuid4()), "read_at": "2026-11-20T08:15:00"}, "read_at"),
        ({"id": str(uuid.uuid4()), "extra": 1}, "extra"),
    ],
)
def test_a_bad_body_is_422_and_records_nothing(app, sign_in, body, field):
    bulletin_id = _bulletin(app)
    response = sign_in("carer1").post_json(_url(bulletin_id), body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert _acks(app) == []


def test_not_json_is_a_4xx_and_records_nothing(app, sign_in):
    bulletin_id = _bulletin(app)
    carer = sign_in("carer1")
    carer.refresh_csrf()
    response = carer.http.post(
        _url(bulletin_id),
        data="[1,",
        content_type="application/json",
        headers={"X-CSRFToken": carer.csrf},
    )
    assert response.status_code == 400
    assert _acks(app) == []


def test_a_bulletin_of_another_branch_is_404(app, sign_in):
    bulletin_id = _bulletin(app)
    response = sign_in("carer3").post_json(_url(bulletin_id), {"id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert _acks(app) == []


def test_a_bulletin_for_another_role_is_404_to_that_role(app, sign_in):
    bulletin_id = _bulletin(app, roles=["supervisor"])
    response = sign_in("carer1").post_json(_url(bulletin_id), {"id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert _acks(app) == []


def test_a_manager_who_sees_a_bulletin_not_written_for_them_gets_403(app, sign_in):
    bulletin_id = _bulletin(app, roles=["carer"])
    response = sign_in("manager").post_json(_url(bulletin_id), {"id": str(uuid.uuid4())})
    assert response.status_code == 403
    assert _acks(app) == []


def test_an_unknown_bulletin_is_404(app, sign_in):
    response = sign_in("carer1").post_json(_url(999999), {"id": str(uuid.uuid4())})
    assert response.status_code == 404


def test_signed_out_is_401(app, client, seeded):
    bulletin_id = _bulletin(app)
    client.refresh_csrf()
    response = client.post_json(_url(bulletin_id), {"id": str(uuid.uuid4())})
    assert response.status_code == 401


def test_without_the_csrf_token_nothing_is_recorded(app, sign_in):
    bulletin_id = _bulletin(app)
    response = sign_in("carer1").http.post(_url(bulletin_id), json={"id": str(uuid.uuid4())})
    assert response.status_code == 400
    assert _acks(app) == []
