"""Helpers for the offline tests: a phone with its service worker ready, entries
made through the real form, the device's outbox read from IndexedDB, the
server's records read from the database, and a count of what went over the wire.

Every scenario ends with `assert_device_matches_server`: zero missing, zero extra.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from playwright.sync_api import BrowserContext, CDPSession, Page, Route, expect

from extensions import db
from incidents.models import Incident

FORM = "/incidents/new"
API = "/api/v1/incidents"
SEND = "Send report"
SAVED = "Saved on this phone — it will be sent when you have signal"

# Functions, not expressions: a string expression would need eval, which the
# app's Content-Security-Policy rightly refuses.
WORKER_ACTIVE = (
    "() => Boolean(navigator.serviceWorker.controller"
    " && navigator.serviceWorker.controller.state === 'activated')"
)
FORMS_READY = "() => document.documentElement.dataset.offlineForms === 'ready'"


def open_ready(page: Page, path: str = FORM) -> None:
    """Open a page and wait until the worker controls it and has kept `path` (and
    the other offline pages) for this user: from now on it opens with no signal."""
    page.goto(path)
    page.wait_for_function(WORKER_ACTIVE)
    page.wait_for_function(
        "p => (document.documentElement.dataset.offlineReady || '').split(' ').includes(p)",
        arg=path,
    )
    page.wait_for_function(FORMS_READY)


def wait_until(page: Page, check: Callable[[], Any], timeout: float = 45, what: str = "") -> Any:
    """Poll without blocking Playwright's event loop (route handlers keep running)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        page.wait_for_timeout(100)


# --- the device -----------------------------------------------------------------------


def device_entries(page: Page) -> list[dict[str, Any]]:
    """Every entry in this phone's outbox (all users), in sending order, read with
    plain IndexedDB so it works on any page of the app (signed in or not)."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
             const open = indexedDB.open('candour-outbox');
             open.onerror = () => reject(open.error);
             open.onsuccess = () => {
               const db = open.result;
               if (!db.objectStoreNames.contains('entries')) { db.close(); resolve([]); return; }
               const all = db.transaction('entries').objectStore('entries').getAll();
               all.onsuccess = () => {
                 db.close();
                 resolve(all.result.sort((a, b) => a.seq - b.seq).map(e => ({
                   id: e.id, userId: e.userId, status: e.status, attempts: e.attempts,
                   lastAnswer: e.lastAnswer, payload: e.payload, seq: e.seq})));
               };
               all.onerror = () => reject(all.error);
             };
           })"""
    )


def device_meta(page: Page, key: str) -> Any:
    return page.evaluate(
        """key => new Promise((resolve, reject) => {
             const open = indexedDB.open('candour-outbox');
             open.onsuccess = () => {
               const db = open.result;
               const get = db.transaction('meta').objectStore('meta').get(key);
               get.onsuccess = () => { db.close(); resolve(get.result === undefined ? null : get.result); };
               get.onerror = () => reject(get.error);
             };
             open.onerror = () => reject(open.error);
           })""",
        key,
    )


def device_ids(page: Page) -> list[str]:
    return [e["id"] for e in device_entries(page)]


def receipts(page: Page) -> list[dict[str, Any]]:
    return device_meta(page, "receipts") or []


def badge(page: Page) -> str:
    return page.locator("html").get_attribute("data-outbox-total") or ""


# --- the form ---------------------------------------------------------------------------


def fill_quickly(page: Page, what_happened: str, **extra: str) -> None:
    """Answer the incident form in one step (the tests of the form itself tap
    through it; here the outbox is under test). Unanswered: person and rows."""
    page.evaluate(
        """([what, extra]) => {
             const form = document.querySelector('form[data-offline-form]');
             const pick = (name, value) => {
               const input = form.querySelector(`input[name="${name}"][value="${value}"]`);
               input.checked = true;
               input.dispatchEvent(new Event('change', {bubbles: true}));
             };
             pick('category', extra.category || 'missed_call');
             pick('kind', 'near_miss');
             pick('harm', 'none');
             for (const q of ['safeguarding', 'clinical_escalation']) pick(`thresholds.${q}`, 'no');
             pick('thresholds.family_contact', 'not_applicable');
             form.querySelector('[name=what_happened]').value = what;
             form.querySelector('[name=immediate_actions]').value = extra.actions || 'Rang the office.';
             if (extra.occurred_at) form.querySelector('[name=occurred_at]').value = extra.occurred_at;
             if (extra.person_ref) form.querySelector('[name=person_ref]').value = extra.person_ref;
             form.dispatchEvent(new Event('input', {bubbles: true}));
           }""",
        [what_happened, extra],
    )


def current_entry_id(page: Page) -> str:
    return page.locator("form[data-offline-form] input[name=entry_id]").input_value()


def save_offline(page: Page, what_happened: str, **extra: str) -> str:
    """Make one report with no signal; returns its device id. Leaves the page on
    a fresh form (from the phone's cache)."""
    page.wait_for_function(FORMS_READY)
    fill_quickly(page, what_happened, **extra)
    entry_id = current_entry_id(page)
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    page.get_by_role("link", name="Report another").click()
    page.wait_for_function(FORMS_READY)
    assert current_entry_id(page) != entry_id
    return entry_id


# --- the server ---------------------------------------------------------------------------


def server_incidents(app: Flask) -> dict[str, dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(db.select(Incident)).all()
        found = {
            r.id: {
                "reference": r.reference,
                "author_id": r.author_id,
                "what_happened": r.what_happened,
            }
            for r in rows
        }
        db.session.remove()
        return found


def assert_device_matches_server(page: Page, app: Flask, made: set[str]) -> None:
    """What the phone made is on the server exactly once, or still on the phone
    (never both), and the server has nothing else."""
    on_device = set(device_ids(page))
    on_server = set(server_incidents(app))
    missing = made - on_device - on_server
    extra = on_server - made
    both = on_device & on_server
    assert (missing, extra, both) == (set(), set(), set()), (missing, extra, both)


# --- the wire -------------------------------------------------------------------------------


@dataclass
class Wire:
    """Every POST to the sync API as the network saw it (pages and the worker),
    with an optional fault injected per request."""

    posts: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    fault: Callable[[Route, int], bool] | None = None

    def per_entry(self) -> Counter[str]:
        return Counter(self.posts)


def sent_once_back_online(page: Page, app: Flask, wire: Wire, entry_id: str) -> None:
    """The phone back online: the one waiting report leaves the phone and reaches the
    server, sent exactly once."""
    page.context.set_offline(False)
    wait_until(
        page,
        lambda: not device_entries(page) and len(server_incidents(app)) == 1,
        what="the report to reach the server",
    )
    assert set(server_incidents(app)) == {entry_id}
    assert wire.per_entry()[entry_id] == 1


def watch_api(context: BrowserContext, wire: Wire, path: str = API) -> None:
    def handle(route: Route) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        body = json.loads(request.post_data or "{}")
        n = len(wire.posts)
        wire.posts.append(body.get("id", ""))
        if wire.fault and wire.fault(route, n):
            return
        try:
            response = route.fetch()
        except Exception:  # the server is not there (stopped by the test)
            wire.answers.append(0)
            route.abort("connectionrefused")
            return
        wire.answers.append(response.status)
        route.fulfill(response=response)

    context.route(re.compile(rf".*{re.escape(path)}$"), handle)


# --- the outbox's lock ---------------------------------------------------------------------

# A browser without the Web Locks API: the outbox is held by a lease in IndexedDB.
NO_WEB_LOCKS = "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });"


def hold_the_outbox(page: Page) -> None:
    """Hold the outbox's Web Lock as another window or the worker sending would,
    until let_go_of_the_outbox; returns once it is held."""
    page.evaluate(
        """() => new Promise((held) => navigator.locks.request('candour-outbox-replay',
             () => new Promise((resolve) => { window.letGoOfOutbox = resolve; held(); })))"""
    )


def let_go_of_the_outbox(page: Page) -> None:
    page.evaluate("window.letGoOfOutbox()")


# --- the service worker by CDP --------------------------------------------------------------


class Worker:
    """Background Sync on demand, as Chromium fires it when signal returns."""

    def __init__(self, page: Page):
        self.page = page
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.registrations: list[str] = []
        # Each worker version's latest state as Chromium reports it (for failures).
        self.versions: dict[str, dict[str, Any]] = {}
        self.cdp.on(
            "ServiceWorker.workerVersionUpdated",
            lambda event: self.versions.update(
                {
                    v["versionId"]: {
                        k: v.get(k) for k in ("status", "runningStatus", "controlledClients")
                    }
                    for v in event["versions"]
                }
            ),
        )
        self.cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: self.registrations.extend(
                r["registrationId"] for r in event["registrations"] if not r.get("isDeleted")
            ),
        )
        self.cdp.send("ServiceWorker.enable")
        wait_until(page, lambda: self.registrations, what="the worker's registration")

    def fire_sync(self) -> None:
        origin = self.page.evaluate("location.origin")
        self.cdp.send(
            "ServiceWorker.dispatchSyncEvent",
            {
                "origin": origin,
                "registrationId": self.registrations[-1],
                "tag": "candour-outbox",
                "lastChance": False,
            },
        )

    def version(self, timeout_ms: int = 5000) -> str | None:
        """The version the controlling worker reports, or None when no worker
        answers in time: a worker being replaced can drop the message, and an
        unanswered promise would hold the test for ever."""
        return self.page.evaluate(
            """timeoutMs => new Promise(resolve => {
                 const controller = navigator.serviceWorker.controller;
                 if (!controller) { resolve(null); return; }
                 const timer = setTimeout(() => {
                   navigator.serviceWorker.removeEventListener('message', on);
                   resolve(null);
                 }, timeoutMs);
                 function on(e) {
                   if (e.data && e.data.type === 'version') {
                     clearTimeout(timer);
                     navigator.serviceWorker.removeEventListener('message', on);
                     resolve(e.data.version);
                   }
                 }
                 navigator.serviceWorker.addEventListener('message', on);
                 controller.postMessage({type: 'version'});
               })""",
            timeout_ms,
        )

    def states(self) -> str:
        """What Chromium and the page say of the workers, for a failure message."""
        page_view = self.page.evaluate(
            """() => Promise.race([
                 navigator.serviceWorker.getRegistration().then(r => r && {
                   active: r.active && r.active.state,
                   waiting: r.waiting && r.waiting.state,
                   installing: r.installing && r.installing.state,
                   controller: Boolean(navigator.serviceWorker.controller),
                 }),
                 new Promise(resolve => setTimeout(() => resolve('no answer'), 3000)),
               ])"""
        )
        return f"page: {page_view}; chromium: {self.versions}"

    def watch_for_takeover(self) -> None:
        """Note in the page when a new worker takes control (its `activate` claims
        the page). Read with took_over(), which sends the workers nothing."""
        self.page.evaluate(
            """() => { navigator.serviceWorker.addEventListener('controllerchange', () => {
                 document.documentElement.dataset.workerTookOver = 'yes'; }); }"""
        )

    def took_over(self) -> bool:
        """Whether a new worker has taken control since watch_for_takeover().
        Polling the worker itself instead (a message each time) keeps the old one
        busy: Chromium hands over only when the old worker is idle, so a test that
        asks it questions every 100 ms can hold off the new one for good."""
        return self.page.evaluate("() => document.documentElement.dataset.workerTookOver === 'yes'")

    def check_for_update(self, timeout_ms: int = 15000) -> None:
        """Ask the browser to look for a new worker, as a visit does. Bounded: the
        update's promise waits for the new worker's install, which has no limit
        of its own short of Chromium's minutes."""
        self.page.evaluate(
            """timeoutMs => Promise.race([
                 navigator.serviceWorker.getRegistration()
                   .then(r => r && r.update()).then(() => 'checked', () => 'failed'),
                 new Promise(resolve => setTimeout(() => resolve('still installing'), timeoutMs)),
               ])""",
            timeout_ms,
        )
