"""The "push" channel: one Message to every device its recipient switched
alerts on for, through the push services (Web Push, RFC 8030), with the
server's VAPID key (RFC 8292) and the payload encrypted for each device
(RFC 8291, aes128gcm), by pywebpush.

What goes to the push service (and so through Google's, Mozilla's or Apple's
servers) is only what the Message holds, which by notify()'s rule is never
personal data: its kind, subject, text and the record's path.

Outcomes, for the delivery job (notifications/delivery.py):
- delivered to at least one device: sent (a device the service says is gone
  is removed on the way);
- every device gone (404/410), or none switched on: Gone;
- otherwise (429, 5xx, no connection, a refusal of our key): TemporaryFailure,
  tried again later.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import requests
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from core.models import User
from extensions import db
from notifications.channels import Gone, TemporaryFailure
from notifications.kinds import Kind
from notifications.push import keys, subscriptions
from notifications.push.models import PushSubscription

if TYPE_CHECKING:
    from notifications.models import Message

log = logging.getLogger(__name__)

CHANNEL = "push"
# What the phone shows when it has nothing better (and where a tap goes).
FALLBACK_PATH = "/outbox"
# A push message holds at most 4 KB once encrypted; the text is short anyway.
MAX_TEXT = 1000
TIMEOUT_SECONDS = 10
GONE_STATUSES = {404, 410}


class _Outcome:
    SENT, GONE, RETRY = "sent", "gone", "retry"


def available(user: User) -> bool:
    """Push reaches `user` when this server has its keys and they switched
    alerts on on at least one device."""
    if not keys.configured(current_app.config):
        return False
    found = db.session.scalar(
        db.select(PushSubscription.id).where(PushSubscription.user_id == user.id).limit(1)
    )
    return found is not None


def payload(message: Message) -> dict[str, Any]:
    """What the service worker receives (service-worker.js, `push`): no more
    than the Message itself says, which holds no personal data."""
    link = message.link_path if message.link_path.startswith("/") else FALLBACK_PATH
    return {
        "kind": message.kind,
        "title": message.subject,
        "body": message.text[:MAX_TEXT],
        "url": link,
        # One notification per record and kind: a later one replaces it.
        "tag": f"{message.kind}:{link}",
        "urgent": _urgent(message),
    }


def _urgent(message: Message) -> bool:
    return message.kind == Kind.ESCALATION


def headers(message: Message) -> dict[str, str]:
    """RFC 8030 Urgency: "high" wakes a sleeping phone at once (escalations)."""
    return {"Urgency": "high" if _urgent(message) else "normal"}


def send(message: Message) -> None:
    """Deliver `message` to each of its recipient's devices (see the module's
    docstring for what it raises)."""
    config = current_app.config
    if not keys.configured(config):
        raise TemporaryFailure("push is not set up on this server (VAPID keys)")
    if not keys.subject(config).startswith(("mailto:", "https://")):
        raise TemporaryFailure("set VAPID_SUBJECT to a mailto: or https: address")
    devices = list(
        db.session.scalars(
            db.select(PushSubscription)
            .where(PushSubscription.user_id == message.recipient_id)
            .order_by(PushSubscription.id)
        )
    )
    if not devices:
        db.session.commit()
        raise Gone("no device has alerts switched on")
    data = json.dumps(payload(message), separators=(",", ":"))
    outcomes = [(device, *_send_to(device, data, message)) for device in devices]
    try:
        for device, outcome, status, _ in outcomes:
            if outcome == _Outcome.GONE:
                subscriptions.remove_gone(device, status)
    finally:
        # Leave no transaction open: the delivery job records the outcome in
        # a session of its own.
        db.session.commit()
    results = {outcome for _, outcome, _, _ in outcomes}
    if _Outcome.SENT in results:
        return
    if results == {_Outcome.GONE}:
        raise Gone("the push service says this device's subscription no longer exists")
    reasons = "; ".join(reason for _, outcome, _, reason in outcomes if outcome == _Outcome.RETRY)
    raise TemporaryFailure(reasons)


def _send_to(device: PushSubscription, data: str, message: Message) -> tuple[str, int, str]:
    """(outcome, HTTP status or 0, reason) for one device."""
    config = current_app.config
    try:
        webpush(
            subscription_info={
                "endpoint": device.endpoint,
                "keys": {"p256dh": device.p256dh, "auth": device.auth},
            },
            data=data,
            vapid_private_key=Vapid.from_string(private_key=str(config["VAPID_PRIVATE_KEY"])),
            vapid_claims={"sub": keys.subject(config)},
            content_encoding="aes128gcm",
            ttl=int(config["PUSH_TTL_SECONDS"]),
            headers=headers(message),
            timeout=TIMEOUT_SECONDS,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status in GONE_STATUSES:
            return _Outcome.GONE, status, f"push service answered {status}"
        log.warning("push to device %s refused: %s", device.id, status or exc)
        return _Outcome.RETRY, status, f"push service answered {status or exc}"
    except requests.RequestException as exc:
        log.warning("push service for device %s unreachable: %s", device.id, exc)
        return _Outcome.RETRY, 0, f"push service unreachable ({exc.__class__.__name__})"
    return _Outcome.SENT, 201, ""
