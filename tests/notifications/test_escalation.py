"""Escalation of serious reports, end to end: the phone sends a report (three
times), the on-call manager gets one e-mail (through a real SMTP server in the
test), nobody acknowledges (time faked) and it goes to the next manager, then to
all; opening the record acknowledges it; the e-mails hold no personal data."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.dates import utcnow
from core.models import Branch, PersonSupported, Role, TrailEvent, User
from core.passwords import hash_password
from extensions import db
from incidents.models import Incident
from notifications import escalation
from notifications.models import Message
from notifications.on_call_models import Escalation, OnCallShift
from notifications.push import subscriptions
from tests.conftest import PASSWORD, Client
from tests.factories import incident_form, incident_payload
from tests.notifications.conftest import MailBox
from tests.notifications.push_service import BrowserKeys, PushService

NARRATIVE = "Found Mrs Quill on the bathroom floor, cut to the head, bleeding."
ACTIONS_TAKEN = "Called 999 and stayed with her until the paramedics came."
INITIALS = "QZX"


def _add_manager(app: Flask, name: str, email: str, code: str = "NORTH") -> int:
    with app.app_context():
        branch = db.session.scalars(db.select(Branch).where(Branch.code == code)).one()
        user = User(
            email=email,
            name=name,
            role=Role.MANAGER.value,
            password_hash=hash_password(PASSWORD),
            branches=[branch],
        )
        db.session.add(user)
        db.session.commit()
        user_id: int = user.id
        db.session.remove()
    return user_id


def _on_call(app: Flask, user_id: int, code: str = "NORTH") -> None:
    with app.app_context():
        branch = db.session.scalars(db.select(Branch).where(Branch.code == code)).one()
        now = utcnow()
        db.session.add(
            OnCallShift(
                branch_id=branch.id,
                user_id=user_id,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=12),
                created_by_id=user_id,
            )
        )
        person = db.session.scalars(
            db.select(PersonSupported).where(PersonSupported.ref == "P-0001")
        ).one()
        person.initials = INITIALS
        db.session.commit()
        db.session.remove()


@pytest.fixture
def rota(app: Flask, seeded: dict[str, Any], mail: MailBox) -> dict[str, int]:
    """NORTH with three more managers: Olive on call now, Nina next on the rota
    (tomorrow), Adam without shifts; plus the demo manager (NORTH and SOUTH)."""
    ids = {
        "olive": _add_manager(app, "Olive Oncall", "olive@example.com"),
        "nina": _add_manager(app, "Nina Nextup", "nina@example.com"),
        "adam": _add_manager(app, "Adam Aardvark", "adam@example.com"),
        "manager": seeded["manager"].id,
    }
    _on_call(app, ids["olive"])
    with app.app_context():
        later = utcnow() + timedelta(days=1)
        db.session.add(
            OnCallShift(
                branch_id=db.session.scalars(
                    db.select(Branch.id).where(Branch.code == "NORTH")
                ).one(),
                user_id=ids["nina"],
                starts_at=later,
                ends_at=later + timedelta(hours=8),
                created_by_id=ids["nina"],
            )
        )
        db.session.commit()
        db.session.remove()
    return ids


def _serious(**changes: Any) -> dict[str, Any]:
    body = {
        "kind": "incident",
        "category": "fall",
        "medication_error": None,
        "harm": "severe",
        "what_happened": NARRATIVE,
        "immediate_actions": ACTIONS_TAKEN,
    }
    body.update(changes)
    return incident_payload(**body)


def _send(carer: Client, body: dict[str, Any], times: int = 1) -> None:
    for _ in range(times):
        response = carer.post_json("/api/v1/incidents", body)
        assert response.status_code in (200, 201), response.get_data(as_text=True)


def _messages(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(Message.event_key, User.email, Message.channel)
            .join(User, User.id == Message.recipient_id)
            .order_by(Message.id)
        ).all()
        db.session.remove()
    return [(key.rsplit(":", 1)[-1], email, channel) for key, email, channel in rows]


def _recipients(mail: MailBox) -> list[str]:
    return sorted(str(m["To"]) for m in mail.received)


def _run(app: Flask, at: datetime) -> int:
    with app.app_context():
        moved = escalation.run_escalations(at)
        db.session.remove()
    return moved


def test_a_severe_report_sent_three_times_alerts_the_on_call_manager_once(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox
) -> None:
    carer = sign_in("carer1")
    _send(carer, _serious(), times=3)

    assert _messages(app) == [("1", "olive@example.com", "email")]
    assert _recipients(mail) == ["olive@example.com"]


@pytest.mark.parametrize(
    "changes",
    [
        {"harm": "death"},
        {
            "harm": "low",
            "thresholds": {
                "safeguarding": "yes",
                "clinical_escalation": "no",
                "family_contact": "yes",
            },
        },
        {"harm": "none", "staff_injured": True},
    ],
    ids=["death", "safeguarding_yes", "staff_injured"],
)
def test_death_safeguarding_and_staff_injury_escalate_too(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox, changes: dict[str, Any]
) -> None:
    _send(sign_in("carer1"), _serious(**changes), times=2)
    assert _recipients(mail) == ["olive@example.com"]


@pytest.mark.parametrize(
    "changes",
    [
        {"harm": "low"},
        {"harm": "moderate"},
        {
            "harm": "none",
            "thresholds": {
                "safeguarding": "unsure",
                "clinical_escalation": "no",
                "family_contact": "yes",
            },
        },
    ],
    ids=["low", "moderate", "safeguarding_unsure"],
)
def test_other_reports_do_not_escalate(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox, changes: dict[str, Any]
) -> None:
    _send(sign_in("carer1"), _serious(**changes))
    assert _messages(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Escalation)) == 0


def test_with_nobody_on_call_every_manager_of_the_branch_is_alerted(
    app: Flask, sign_in: Any, seeded: dict[str, Any], mail: MailBox
) -> None:
    second = _add_manager(app, "Second Manager", "second@example.com")
    assert second
    _add_manager(app, "South Only", "south.only@example.com", code="SOUTH")
    _send(sign_in("carer1"), _serious(), times=3)
    assert _recipients(mail) == ["manager@example.com", "second@example.com"]


def test_unacknowledged_it_goes_to_the_next_manager_then_to_all(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox
) -> None:
    _send(sign_in("carer1"), _serious())
    sent = utcnow()
    window = timedelta(minutes=app.config["ESCALATION_MINUTES"])

    assert _run(app, sent + window - timedelta(minutes=1)) == 0
    assert _recipients(mail) == ["olive@example.com"]

    assert _run(app, sent + window + timedelta(seconds=5)) == 1
    assert _run(app, sent + window + timedelta(seconds=30)) == 0  # the next minute's check
    assert _recipients(mail) == ["nina@example.com", "olive@example.com"]

    assert _run(app, sent + 2 * window + timedelta(seconds=10)) == 1
    everyone = ["adam@example.com", "manager@example.com", "nina@example.com", "olive@example.com"]
    assert sorted(set(_recipients(mail))) == everyone
    assert sorted(e for step, e, _ in _messages(app) if step == "3") == everyone

    assert _run(app, sent + 5 * window) == 0  # nobody is left to tell
    assert len(mail.received) == 6


def test_opening_the_record_acknowledges_and_stops_the_escalation(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox
) -> None:
    body = _serious()
    _send(sign_in("carer1"), body)
    olive = Client(app.test_client())
    assert olive.sign_in("olive@example.com").status_code == 302

    page = olive.get(f"/incidents/{body['id']}")

    assert page.status_code == 200
    assert _run(app, utcnow() + timedelta(hours=2)) == 0
    assert _recipients(mail) == ["olive@example.com"]
    with app.app_context():
        state = db.session.get_one(Escalation, body["id"])
        assert state.acknowledged_by_id == rota["olive"]
        event = db.session.scalars(
            select(TrailEvent).where(TrailEvent.action == "escalation_acknowledged")
        ).one()
        assert (event.actor_id, event.record_id) == (rota["olive"], body["id"])
        db.session.remove()


@pytest.mark.parametrize("who", ["carer1", "office"])
def test_opening_the_record_as_anyone_but_a_manager_does_not_acknowledge(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox, who: str
) -> None:
    body = _serious()
    _send(sign_in("carer1"), body)
    assert sign_in(who).get(f"/incidents/{body['id']}").status_code == 200
    assert _run(app, utcnow() + timedelta(minutes=16)) == 1


def test_a_manager_of_another_branch_cannot_acknowledge(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox
) -> None:
    body = _serious()
    _send(sign_in("carer1"), body)
    _add_manager(app, "South Only", "south.only@example.com", code="SOUTH")
    south = Client(app.test_client())
    south.sign_in("south.only@example.com")
    assert south.get(f"/incidents/{body['id']}").status_code == 404
    assert _run(app, utcnow() + timedelta(minutes=16)) == 1


def test_the_timeline_shows_who_was_alerted_how_and_who_acknowledged(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox
) -> None:
    body = _serious()
    _send(sign_in("carer1"), body)
    _run(app, utcnow() + timedelta(minutes=16))
    page = sign_in("manager").get(f"/incidents/{body['id']}").get_data(as_text=True)

    assert "Escalation alert" in page
    assert "Alert by e-mail" in page
    assert "Olive Oncall" in page
    assert "Nina Nextup" in page
    assert "Escalation acknowledged" in page
    timeline = page[page.index("Escalation alert") :]
    assert "State: sent" in timeline


def test_the_reporter_does_not_see_the_escalation(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox
) -> None:
    body = _serious()
    carer = sign_in("carer1")
    _send(carer, body)
    page = carer.get(f"/incidents/{body['id']}").get_data(as_text=True)
    assert "Olive Oncall" not in page
    assert "Escalation" not in page


def test_the_alerts_hold_no_personal_data(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox, seeded: dict[str, Any]
) -> None:
    body = _serious(location="Flat 3, Quill House")
    _send(sign_in("carer1"), body)
    for minutes in (16, 31):
        _run(app, utcnow() + timedelta(minutes=minutes))
    with app.app_context():
        reporter = db.session.get_one(User, seeded["carer1"].id).name
        reference = db.session.get_one(Incident, body["id"]).reference
        db.session.remove()
    assert len(mail.received) == 6
    for raw in mail.raw:
        text = raw.decode()
        for secret in (NARRATIVE, "Quill", "bathroom", ACTIONS_TAKEN, "P-0001", reporter, "Flat 3"):
            assert secret not in text
        assert not re.search(rf"\b{INITIALS}\b", text)
        assert f"/incidents/{body['id']}" in text
        assert reference in text


def test_the_reporter_is_told_a_serious_report_went_to_the_manager_on_call(
    app: Flask, sign_in: Any, rota: dict[str, int], mail: MailBox
) -> None:
    carer = sign_in("carer1")
    serious = carer.post_form(
        "/incidents/new",
        incident_form(kind="incident", category="fall", medication_error=None, harm="severe"),
        follow_redirects=True,
    )
    assert 'data-testid="escalated"' in serious.get_data(as_text=True)
    assert _recipients(mail) == ["olive@example.com"]
    other = carer.post_form("/incidents/new", incident_form(), follow_redirects=True)
    assert "Report sent" in other.get_data(as_text=True)
    assert 'data-testid="escalated"' not in other.get_data(as_text=True)


def test_a_severe_report_sent_three_times_gives_one_email_and_one_push_to_the_on_call_manager(
    app: Flask,
    sign_in: Any,
    rota: dict[str, int],
    mail: MailBox,
    service: PushService,
    vapid: str,
) -> None:
    with app.app_context():
        olive = db.session.get_one(User, rota["olive"])
        phone = BrowserKeys()
        subscriptions.subscribe(olive, phone.subscription(service.endpoint("olives-phone")))
        db.session.commit()
        db.session.remove()

    _send(sign_in("carer1"), _serious(), times=3)

    assert sorted(_messages(app)) == [
        ("1", "olive@example.com", "email"),
        ("1", "olive@example.com", "push"),
    ]
    assert _recipients(mail) == ["olive@example.com"]
    (push,) = service.received
    payload = json.dumps(phone.decrypt(push.body))
    assert "/incidents/" in payload
    for personal in ("Quill", "bathroom", "999", "P-0001", INITIALS):
        assert personal not in payload
