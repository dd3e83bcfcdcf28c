"""Switching alerts on and off on a device: the JSON endpoints the control
posts to, signed in and with the page's CSRF token. Each person reaches only
their own devices; anything a client can send that is wrong is a 422 (or 400
for a missing token, 401 signed out) and changes nothing, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core import trail
from extensions import db
from notifications.push import keys
from notifications.push.models import PushSubscription
from tests.conftest import Client, StaffRef
from tests.notifications.push_service import BrowserKeys, b64url

SUBSCRIBE = "/account/push/subscribe"
UNSUBSCRIBE = "/account/push/unsubscribe"
ENDPOINT = "https://push.example.net/send/abc123"


@pytest.fixture
def vapid(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    public, private = keys.new_key_pair()
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private)
    monkeypatch.setitem(app.config, "VAPID_SUBJECT", "mailto:it@care.example")
    return public


def _rows(app: Flask) -> list[tuple[str, int, str]]:
    with app.app_context():
        rows = [
            (sub.endpoint, sub.user_id, sub.p256dh)
            for sub in db.session.scalars(db.select(PushSubscription).order_by(PushSubscription.id))
        ]
        db.session.remove()
    return rows


def test_a_device_switched_on_is_kept_for_the_person_signed_in(
    app: Flask, sign_in: Any, seeded: dict[str, StaffRef], vapid: str
) -> None:
    browser = BrowserKeys()
    response = sign_in("carer1").post_json(SUBSCRIBE, browser.subscription(ENDPOINT))

    assert response.status_code == 201
    assert _rows(app) == [(ENDPOINT, seeded["carer1"].id, browser.p256dh)]


def test_switching_on_is_on_the_audit_trail_without_the_secret_address(
    app: Flask, sign_in: Any, seeded: dict[str, StaffRef], vapid: str
) -> None:
    sign_in("carer1").post_json(SUBSCRIBE, BrowserKeys().subscription(ENDPOINT))

    with app.app_context():
        sub = db.session.scalars(db.select(PushSubscription)).one()
        (event,) = trail.events("push_subscription", sub.id)
        assert (event.action, event.actor_id) == ("create", seeded["carer1"].id)
        assert ENDPOINT not in repr(event.detail)
        db.session.remove()


def test_the_same_device_again_keeps_one_subscription_with_its_new_keys(
    app: Flask, sign_in: Any, seeded: dict[str, StaffRef], vapid: str
) -> None:
    carer = sign_in("carer1")
    carer.post_json(SUBSCRIBE, BrowserKeys().subscription(ENDPOINT))
    renewed = BrowserKeys()

    assert carer.post_json(SUBSCRIBE, renewed.subscription(ENDPOINT)).status_code == 201

    assert _rows(app) == [(ENDPOINT, seeded["carer1"].id, renewed.p256dh)]


def test_a_phone_someone_else_signs_in_on_and_switches_on_moves_to_them(
    app: Flask, sign_in: Any, seeded: dict[str, StaffRef], vapid: str
) -> None:
    browser = BrowserKeys()
    sign_in("carer1").post_json(SUBSCRIBE, browser.subscription(ENDPOINT))

    sign_in("carer2").post_json(SUBSCRIBE, browser.subscription(ENDPOINT))

    assert _rows(app) == [(ENDPOINT, seeded["carer2"].id, browser.p256dh)]


def test_switching_off_removes_ones_own_device(
    app: Flask, sign_in: Any, seeded: dict[str, StaffRef], vapid: str
) -> None:
    carer = sign_in("carer1")
    carer.post_json(SUBSCRIBE, BrowserKeys().subscription(ENDPOINT))

    response = carer.post_json(UNSUBSCRIBE, {"endpoint": ENDPOINT})

    assert response.status_code == 200
    assert _rows(app) == []


def test_nobody_can_switch_off_someone_elses_device(
    app: Flask, sign_in: Any, seeded: dict[str, StaffRef], vapid: str
) -> None:
    sign_in("carer1").post_json(SUBSCRIBE, BrowserKeys().subscription(ENDPOINT))

    response = sign_in("manager").post_json(UNSUBSCRIBE, {"endpoint": ENDPOINT})

    assert response.status_code == 404
    assert [row[1] for row in _rows(app)] == [seeded["carer1"].id]


def _with(**changes: Any) -> dict[str, Any]:
    body = BrowserKeys().subscription(ENDPOINT)
    keys_changes = changes.pop("keys", {})
    body.update(changes)
    if isinstance(keys_changes, dict):
        body["keys"] = {**body["keys"], **keys_changes}
    else:
        body["keys"] = keys_changes
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()
BAD_SUBSCRIPTIONS = {
    "a list": [],
    "a string": "subscribe me",
    "no endpoint": _with(endpoint=_DROP),
    "endpoint not text": _with(endpoint=12),
    "endpoint empty": _with(endpoint=""),
    "endpoint plain http": _with(endpoint="http://push.example.net/send/abc"),
    "endpoint another scheme": _with(endpoint="javascript:alert(1)"),
    "endpoint with a password": _with(endpoint="https://me:secret@push.example.net/x"),
    "endpoint with a bad port": _with(endpoint="https://push.example.net:99999/x"),
    "endpoint with a NUL": _with(endpoint="https://push.example.net/a\u0000b"),
    "endpoint with a space": _with(endpoint="https://push.example.net/a b"),
    "endpoint too long": _with(endpoint="https://push.example.net/" + "a" * 1100),
    "no keys": _with(keys=_DROP),
    "keys not an object": _with(keys="p256dh"),
    "no p256dh": _with(keys={"p256dh": _DROP}),
    "p256dh not base64url": _with(keys={"p256dh": "not base64!"}),
    "p256dh too short": _with(keys={"p256dh": b64url(b"\x04" + b"a" * 40)}),
    "p256dh not a point": _with(keys={"p256dh": b64url(b"\x05" + b"a" * 64)}),
    "auth too long": _with(keys={"auth": b64url(b"a" * 32)}),
    "auth not text": _with(keys={"auth": None}),
}


def _drop_nested(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("keys"), dict):
        body["keys"] = {k: v for k, v in body["keys"].items() if v is not _DROP}
    return body


@pytest.mark.parametrize("name", sorted(BAD_SUBSCRIPTIONS))
def test_a_subscription_that_is_not_right_is_refused_and_nothing_kept(
    app: Flask, sign_in: Any, vapid: str, name: str
) -> None:
    response = sign_in("carer1").post_json(SUBSCRIBE, _drop_nested(BAD_SUBSCRIPTIONS[name]))

    assert response.status_code == 422
    assert response.get_json()["errors"]
    assert _rows(app) == []


@pytest.mark.parametrize("url", [SUBSCRIBE, UNSUBSCRIBE])
@pytest.mark.parametrize(
    ("body", "status"),
    # Nested too deeply for anyone to read: refused before any route (core/web.py).
    [(b"\xff{", 422), (b"[" * 50_000 + b"]" * 50_000, 400)],
    ids=["bytes", "deep"],
)
def test_a_body_that_is_not_json_is_refused(
    app: Flask, sign_in: Any, vapid: str, url: str, body: bytes, status: int
) -> None:
    carer = sign_in("carer1")
    response = carer.http.post(
        url,
        data=body,
        headers={"X-CSRFToken": carer.refresh_csrf(), "Content-Type": "application/json"},
    )

    assert response.status_code == status
    assert _rows(app) == []


@pytest.mark.parametrize(
    "body", [{}, {"endpoint": 7}, {"endpoint": "x" * 1100}, {"endpoint": "https://a/\u0000"}, ["x"]]
)
def test_switching_off_needs_an_endpoint(app: Flask, sign_in: Any, body: Any) -> None:
    assert sign_in("carer1").post_json(UNSUBSCRIBE, body).status_code == 422


def test_a_loopback_push_service_is_refused_outside_tests(
    app: Flask, sign_in: Any, vapid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    carer = sign_in("carer1")
    monkeypatch.setattr(app, "testing", False)

    response = carer.post_json(SUBSCRIBE, _with(endpoint="http://127.0.0.1:9/push/x"))

    assert response.status_code == 422
    assert _rows(app) == []


@pytest.mark.parametrize("url", [SUBSCRIBE, UNSUBSCRIBE])
def test_without_the_csrf_token_nothing_changes(
    app: Flask, sign_in: Any, vapid: str, url: str
) -> None:
    response = sign_in("carer1").http.post(url, json=BrowserKeys().subscription(ENDPOINT))

    assert response.status_code == 400
    assert response.get_json()["reason"] == "csrf"
    assert _rows(app) == []


@pytest.mark.parametrize("url", [SUBSCRIBE, UNSUBSCRIBE])
def test_signed_out_is_told_to_sign_in(app: Flask, client: Client, vapid: str, url: str) -> None:
    assert client.post_json(url, BrowserKeys().subscription(ENDPOINT)).status_code == 401
    assert client.http.post(url, json={"endpoint": ENDPOINT}).status_code == 401


def test_switching_on_before_push_is_set_up_says_so(app: Flask, sign_in: Any) -> None:
    response = sign_in("carer1").post_json(SUBSCRIBE, BrowserKeys().subscription(ENDPOINT))

    assert response.status_code == 409
    assert "not set up" in response.get_json()["error"]


def test_the_control_offers_alerts_with_the_servers_public_key(
    app: Flask, sign_in: Any, vapid: str
) -> None:
    html = sign_in("carer1").get("/account/messages").get_data(as_text=True)

    assert f'data-push-key="{vapid}"' in html
    assert "Switch alerts on for this phone" in html
    assert "needs Candour open in your phone" in html  # said without JavaScript


def test_the_control_says_when_push_is_not_set_up(app: Flask, sign_in: Any) -> None:
    html = sign_in("carer1").get("/account/messages").get_data(as_text=True)

    assert "not set up on this server yet" in html
    assert "js/push.js" not in html


def test_the_control_counts_ones_devices(app: Flask, sign_in: Any, vapid: str) -> None:
    carer = sign_in("carer1")
    carer.post_json(SUBSCRIBE, BrowserKeys().subscription(ENDPOINT))

    assert "Alerts are on for 1 device of yours." in carer.get("/account/messages").get_data(
        as_text=True
    )
