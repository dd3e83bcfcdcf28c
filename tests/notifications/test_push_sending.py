"""The "push" channel against a push service on loopback: what arrives is
encrypted for the device (RFC 8291, decrypted here with the browser's own keys),
signed with the server's VAPID key, and holds the reference and the link but
nothing personal; a gone subscription is removed; a service in trouble is
tried again later."""

from __future__ import annotations

import base64
import json
import socket
from datetime import UTC, datetime

import pytest
from flask import Flask
from py_vapid import Vapid02

from core import trail
from core.models import User
from extensions import db
from incidents.models import Incident
from notifications.channels import Gone, TemporaryFailure, channel
from notifications.dispatch import notify
from notifications.kinds import Kind
from notifications.models import Message, Status
from notifications.push import keys, sending, subscriptions
from notifications.push.models import PushSubscription
from tests.learning.conftest import make_incident
from tests.notifications.push_service import BrowserKeys, PushService

# A Tuesday noon in winter: inside the day, so nothing waits for quiet hours.
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
NARRATIVE = "Mrs Example slipped on the bathroom mat and hurt her hip badly."
SUBJECT = "mailto:it@care.example"


def _device(user: User, service: PushService, name: str) -> BrowserKeys:
    browser = BrowserKeys()
    subscriptions.subscribe(user, browser.subscription(service.endpoint(name)))
    return browser


def _escalation(user: User, incident: Incident) -> Message:
    (message,) = notify(
        Kind.ESCALATION,
        event_key=f"escalation:{incident.id}:1",
        recipients=[user],
        subject=f"Serious incident reported: {incident.reference}",
        text=f"Reference {incident.reference} in North branch. Open it to acknowledge.",
        link_path=f"/incidents/{incident.id}",
        now=NOON,
    )
    db.session.commit()  # delivery runs once the transaction has committed
    db.session.refresh(message)
    return message


def _message(user: User, kind: Kind = Kind.ESCALATION) -> Message:
    """A Message as the delivery job hands it to the channel."""
    return Message(
        kind=kind.value,
        event_key=f"{kind}:7",
        recipient_id=user.id,
        channel="push",
        subject="Serious incident reported: INC-7",
        text="Reference INC-7 in North branch.",
        link_path="/incidents/7",
    )


def _devices(user: User) -> list[str]:
    return [sub.endpoint.rsplit("/", 1)[-1] for sub in subscriptions.for_user(user)]


def test_an_escalation_arrives_encrypted_for_the_device_with_only_the_reference_and_link(
    app_ctx: Flask, staff: dict[str, User], service: PushService, vapid: str
) -> None:
    manager = staff["manager"]
    browser = _device(manager, service, "phone")
    incident = make_incident(staff["carer1"], what_happened=NARRATIVE, person_ref="P-0003")

    message = _escalation(manager, incident)

    assert message.status == Status.SENT
    (push,) = service.received
    assert push.headers["content-encoding"] == "aes128gcm"
    assert NARRATIVE.encode() not in push.body
    payload = browser.decrypt(push.body)
    assert payload["url"] == f"/incidents/{incident.id}"
    assert incident.reference in payload["title"] + payload["body"]
    plain = json.dumps(payload)
    person = incident.person
    for personal in ("slipped", "bathroom", "Example", person.ref, person.initials):
        assert personal not in plain


def test_the_push_carries_the_servers_vapid_signature_for_that_push_service(
    app_ctx: Flask, staff: dict[str, User], service: PushService, vapid: str
) -> None:
    _device(staff["manager"], service, "phone")

    sending.send(_message(staff["manager"]))

    (push,) = service.received
    authorization = push.headers["authorization"]
    assert Vapid02.verify(authorization)
    token, key = (part.split("=", 1)[1] for part in authorization.split(" ", 1)[1].split(","))
    assert key == vapid
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["aud"] == f"http://127.0.0.1:{service.port}"
    assert claims["sub"] == SUBJECT


@pytest.mark.parametrize(
    ("kind", "urgency"), [(Kind.ESCALATION, "high"), (Kind.BULLETIN, "normal")]
)
def test_escalations_are_sent_with_high_urgency_and_a_time_to_live(
    app_ctx: Flask,
    staff: dict[str, User],
    service: PushService,
    vapid: str,
    kind: Kind,
    urgency: str,
) -> None:
    _device(staff["manager"], service, "phone")

    sending.send(_message(staff["manager"], kind))

    (push,) = service.received
    assert push.headers["urgency"] == urgency
    assert push.headers["ttl"] == str(24 * 60 * 60)


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_says_is_gone_is_removed(
    app_ctx: Flask, staff: dict[str, User], service: PushService, vapid: str, status: int
) -> None:
    manager = staff["manager"]
    _device(manager, service, "old-phone")
    service.answers["old-phone"] = status

    with pytest.raises(Gone):
        sending.send(_message(manager))

    assert _devices(manager) == []


def test_a_gone_device_is_removed_and_the_others_still_get_it(
    app_ctx: Flask, staff: dict[str, User], service: PushService, vapid: str
) -> None:
    manager = staff["manager"]
    _device(manager, service, "old-phone")
    _device(manager, service, "new-phone")
    service.answers["old-phone"] = 410

    sending.send(_message(manager))

    assert _devices(manager) == ["new-phone"]
    assert [push.path for push in service.received] == ["/push/old-phone", "/push/new-phone"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_push_service_in_trouble_is_a_temporary_failure_and_the_device_is_kept(
    app_ctx: Flask, staff: dict[str, User], service: PushService, vapid: str, status: int
) -> None:
    manager = staff["manager"]
    _device(manager, service, "phone")
    service.answers["phone"] = status

    with pytest.raises(TemporaryFailure, match=str(status)):
        sending.send(_message(manager))

    assert _devices(manager) == ["phone"]


def test_a_push_service_that_cannot_be_reached_is_a_temporary_failure(
    app_ctx: Flask, staff: dict[str, User], vapid: str
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    browser = BrowserKeys()
    subscriptions.subscribe(
        staff["manager"], browser.subscription(f"http://127.0.0.1:{closed}/push/phone")
    )

    with pytest.raises(TemporaryFailure, match="unreachable"):
        sending.send(_message(staff["manager"]))


def test_a_failed_delivery_waits_to_be_tried_again(
    app_ctx: Flask, staff: dict[str, User], service: PushService, vapid: str
) -> None:
    manager = staff["manager"]
    _device(manager, service, "phone")
    service.answers["phone"] = 503
    incident = make_incident(staff["carer1"])

    message = _escalation(manager, incident)

    assert (message.status, message.attempts) == (Status.QUEUED, 1)
    assert message.next_attempt_at is not None


def test_someone_with_no_device_switched_on_is_gone(
    app_ctx: Flask, staff: dict[str, User], vapid: str
) -> None:
    with pytest.raises(Gone):
        sending.send(_message(staff["manager"]))


def test_push_is_available_to_someone_with_a_device_once_the_keys_are_set(
    app: Flask,
    app_ctx: Flask,
    staff: dict[str, User],
    service: PushService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    push = channel("push")
    assert push is not None
    manager, carer = staff["manager"], staff["carer1"]
    _device(manager, service, "phone")
    assert not push.available(manager)  # no keys yet

    public, private = keys.new_key_pair()
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private)

    assert push.available(manager)
    assert not push.available(carer)


def test_without_keys_a_message_waits(app_ctx: Flask, staff: dict[str, User]) -> None:
    with pytest.raises(TemporaryFailure, match="VAPID"):
        sending.send(_message(staff["manager"]))


def test_removal_by_the_push_service_is_on_the_audit_trail(
    app_ctx: Flask, staff: dict[str, User], service: PushService, vapid: str
) -> None:
    manager = staff["manager"]
    _device(manager, service, "phone")
    (sub,) = db.session.scalars(db.select(PushSubscription))
    service.answers["phone"] = 410

    with pytest.raises(Gone):
        sending.send(_message(manager))

    (_, removed) = trail.events("push_subscription", sub.id)
    assert (removed.action, removed.actor_id, removed.detail["reason"]) == (
        "delete",
        None,
        "push_service_410",
    )


def test_a_delivery_to_a_gone_device_is_not_delivered_and_the_device_removed(
    app_ctx: Flask, staff: dict[str, User], service: PushService, vapid: str
) -> None:
    manager = staff["manager"]
    _device(manager, service, "phone")
    service.answers["phone"] = 410

    message = _escalation(manager, make_incident(staff["carer1"]))

    assert message.status == Status.FAILED
    assert message.last_error is not None
    assert "no longer exists" in message.last_error
    assert _devices(manager) == []
