"""Alerts on a phone in a real Chromium: a push, as the server sends it, reaches
the real service worker (Chrome DevTools Protocol: ServiceWorker.deliverPushMessage),
which shows the notification; the worker's click function (what a tap runs;
no protocol call taps a notification) opens the record, or the outbox. And the
control on the messages page switches alerts on and off for this phone."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserType, Page

from core.models import User
from extensions import db
from notifications.models import Message
from notifications.push import keys, sending
from notifications.push.models import PushSubscription
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.offline_support import WORKER_ACTIVE, Worker, wait_until
from tests.learning.conftest import make_incident
from tests.notifications.push_service import BrowserKeys

# The full browser, not the headless shell the other browser tests prefer: the
# shell has no notifications (showNotification never shows one). CI installs both.
FULL_CHROMIUM = (
    "/usr/lib/chromium/chromium"
    if os.path.exists("/usr/lib/chromium/chromium")
    else shutil.which("chromium") or "/usr/bin/chromium"
)


@pytest.fixture(scope="module")
def browser(
    browser_type: BrowserType, browser_type_launch_args: dict[str, Any]
) -> Iterator[Browser]:
    launched = browser_type.launch(**{**browser_type_launch_args, "executable_path": FULL_CHROMIUM})
    yield launched
    launched.close()


NOTIFICATIONS = """() => navigator.serviceWorker.ready
  .then(r => r.getNotifications())
  .then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"""
CLICK = """tag => navigator.serviceWorker.controller.postMessage({type: 'alert-click', tag})"""


def _incident(app: Flask) -> tuple[str, str]:
    with app.app_context():
        carer = db.session.scalar(db.select(User).where(User.email == "carer1@example.com"))
        incident = make_incident(carer, kind="incident", harm="severe")
        found = incident.id, incident.reference
        db.session.remove()
    return found


def _payload(app: Flask, link_path: str, reference: str) -> str:
    """The payload exactly as the push channel makes it for an escalation."""
    with app.app_context():
        message = Message(
            kind="escalation",
            event_key="escalation:test:1",
            recipient_id=1,
            channel="push",
            subject=f"Serious incident reported: {reference}",
            text=f"Reference {reference} in NORTH. Open it to acknowledge.",
            link_path=link_path,
        )
        return json.dumps(sending.payload(message))


def _phone(page: Page, live: LiveServer) -> Worker:
    """Signed in as the manager, notifications allowed, the worker in control."""
    page.context.grant_permissions(["notifications"], origin=live.url)
    sign_in(page, "manager@example.com")
    page.wait_for_function(WORKER_ACTIVE)
    return Worker(page)


def _deliver(worker: Worker, live: LiveServer, data: str) -> None:
    worker.cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": live.url, "registrationId": worker.registrations[-1], "data": data},
    )


def _shown(page: Page) -> list[dict[str, Any]]:
    return wait_until(page, lambda: page.evaluate(NOTIFICATIONS), what="the notification")


def _tap(page: Page, tag: str) -> Page:
    """Run the worker's click function on the notification; the page it opened
    (a new window, or this one sent to the record)."""
    context = page.context
    pages_before, url_before = set(context.pages), page.url
    page.evaluate(CLICK, tag)

    def opened() -> Page | None:
        for candidate in context.pages:
            if candidate not in pages_before or candidate.url != url_before:
                return candidate
        return None

    found: Page = wait_until(page, opened, what="a page opened by the tap")
    return found


def test_a_pushed_escalation_is_shown_and_a_tap_opens_the_record(
    page: Page, live: LiveServer, app: Flask
) -> None:
    incident_id, reference = _incident(app)
    worker = _phone(page, live)

    _deliver(worker, live, _payload(app, f"/incidents/{incident_id}", reference))

    (shown,) = _shown(page)
    assert shown["title"] == f"Serious incident reported: {reference}"
    assert reference in shown["body"]
    assert shown["url"] == f"/incidents/{incident_id}"

    opened = _tap(page, shown["tag"])
    opened.wait_for_url(f"**/incidents/{incident_id}")
    assert reference in opened.locator("h1").inner_text()
    assert page.evaluate(NOTIFICATIONS) == []  # the tap closed it


@pytest.mark.parametrize("link", ["https://elsewhere.example/phish", "//elsewhere.example/x", ""])
def test_an_alert_with_no_link_on_this_site_opens_the_outbox(
    page: Page, live: LiveServer, app: Flask, link: str
) -> None:
    worker = _phone(page, live)

    _deliver(
        worker,
        live,
        json.dumps({"title": "Candour", "body": "Open Candour.", "url": link, "tag": "t"}),
    )

    (shown,) = _shown(page)
    assert shown["url"] == "/outbox"
    _tap(page, "t").wait_for_url("**/outbox")


def test_a_push_that_cannot_be_read_still_shows_a_notification(
    page: Page, live: LiveServer
) -> None:
    worker = _phone(page, live)

    _deliver(worker, live, "not json")

    (shown,) = _shown(page)
    assert (shown["title"], shown["url"]) == ("Candour", "/outbox")


# Headless Chromium reaches no real push service, so the browser's PushManager
# answers here as one would: with a subscription holding a real P-256 key and
# auth secret. Everything else (the control, its script, the server) is real.
FAKE_PUSH_SERVICE = """
(() => {
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    window.__pushKey = Array.from(new Uint8Array(options.applicationServerKey));
    window.__userVisibleOnly = options.userVisibleOnly;
    const sub = {
      endpoint: %(endpoint)s,
      toJSON: () => ({endpoint: %(endpoint)s, expirationTime: null, keys: %(keys)s}),
      unsubscribe: async () => { current = null; return true; },
    };
    current = sub;
    return sub;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


def _rows(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = [
            (sub.endpoint, sub.user.email)
            for sub in db.session.scalars(db.select(PushSubscription))
        ]
        db.session.remove()
    return rows


def test_the_control_switches_alerts_on_and_off_for_this_phone(
    page: Page, live: LiveServer, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, private = keys.new_key_pair()
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private)
    endpoint = "https://push.example.net/send/this-phone"
    subscription = BrowserKeys().subscription(endpoint)
    page.add_init_script(
        FAKE_PUSH_SERVICE
        % {"endpoint": json.dumps(endpoint), "keys": json.dumps(subscription["keys"])}
    )
    _phone(page, live)
    page.goto("/account/messages")

    page.get_by_role("button", name="Switch alerts on for this phone").click()

    status = page.locator("[data-push-status]")
    wait_until(page, lambda: status.inner_text() == "Alerts are on for this phone.", what="on")
    assert _rows(app) == [(endpoint, "manager@example.com")]
    sent_key = bytes(page.evaluate("window.__pushKey"))
    assert sent_key == base64.urlsafe_b64decode(public + "=" * (-len(public) % 4))
    assert page.evaluate("window.__userVisibleOnly") is True

    page.get_by_role("button", name="Switch alerts off for this phone").click()

    wait_until(page, lambda: status.inner_text() == "Alerts are off for this phone.", what="off")
    assert _rows(app) == []
    assert page.get_by_role("button", name="Switch alerts on for this phone").is_visible()


def test_without_a_tap_nobody_is_asked_for_permission(
    page: Page, live: LiveServer, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    public, private = keys.new_key_pair()
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private)
    page.add_init_script(
        "window.__asked = 0; Notification.requestPermission = async () => { window.__asked++; return 'default'; };"
    )
    sign_in(page, "manager@example.com")
    page.goto("/account/messages")
    page.get_by_role("button", name="Switch alerts on for this phone").wait_for()

    assert page.evaluate("window.__asked") == 0
    page.get_by_role("button", name="Switch alerts on for this phone").click()
    wait_until(page, lambda: page.evaluate("window.__asked") == 1, what="the question")
    assert "not allowed" in page.locator("[data-push-status]").inner_text()


def test_the_control_passes_axe_and_fits_a_phone(
    page: Page, live: LiveServer, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.browser.test_accessibility import AXE, CHECK, RULES

    public, private = keys.new_key_pair()
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private)
    sign_in(page, "carer1@example.com")
    page.goto("/account/messages")
    page.get_by_role("button", name="Switch alerts on for this phone").wait_for()

    # The page's own policy forbids injected scripts: axe goes in through the
    # DevTools protocol's evaluation, as test_accessibility.py does in its contexts.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setBypassCSP", {"enabled": True})
    page.reload()
    page.get_by_role("button", name="Switch alerts on for this phone").wait_for()
    page.evaluate(AXE.read_text())
    assert page.evaluate(CHECK, RULES) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
