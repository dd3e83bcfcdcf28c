"""The outbox's own features in Chromium with the real worker: the badge, the
outbox page, back-off and Retry-After, sign-out warnings, drafts, storage,
installing, what is (not) kept on the phone, and forms without htmx."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Route, expect

from core.static_build import BUNDLES, INCIDENT_FORM_BUNDLE
from pwa.services import OUTBOX_SCRIPTS
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, LiveServer, sign_in
from tests.browser.offline_support import (
    FORM,
    NO_WEB_LOCKS,
    SAVED,
    SEND,
    Wire,
    Worker,
    assert_device_matches_server,
    device_entries,
    device_ids,
    device_meta,
    fill_quickly,
    hold_the_outbox,
    let_go_of_the_outbox,
    open_ready,
    receipts,
    save_offline,
    server_incidents,
    wait_until,
    watch_api,
)

UK = ZoneInfo("Europe/London")
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def _no_server(route: Route) -> None:
    route.abort("internetdisconnected")


def _sent(page: Page, app: Flask, count: int) -> None:
    wait_until(
        page, lambda: not device_ids(page) and len(server_incidents(app)) == count, what="sent"
    )


def _offline_with(page: Page, count: int) -> list[str]:
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    return [save_offline(page, f"Entry {n + 1}.") for n in range(count)]


# --- the badge and the outbox page -----------------------------------------------------


def test_the_badge_shows_waiting_entries_on_every_page(page: Page, live: LiveServer, app: Flask):
    made = _offline_with(page, 2)
    expect(page.locator("[data-outbox-count]")).to_have_text("2")
    page.goto("/outbox")
    expect(page.locator("[data-outbox-count]")).to_have_text("2")
    expect(page.get_by_role("link", name=re.compile("Outbox"))).to_contain_text(
        "2 reports waiting to be sent"
    )
    page.context.route("**/api/v1/session", _no_server)
    page.context.set_offline(False)
    page.goto("/")  # a page from the server, not the phone
    expect(page.locator("[data-outbox-count]")).to_have_text("2")
    page.context.unroute("**/api/v1/session")
    page.reload()
    _sent(page, app, 2)
    expect(page.locator("[data-outbox-count]")).to_be_hidden()
    assert_device_matches_server(page, app, set(made))


def test_the_outbox_lists_when_what_status_and_last_error_and_sends_now(
    page: Page, live: LiveServer, app: Flask
):
    [made] = _offline_with(page, 1)

    def down(route: Route, n: int) -> bool:
        route.fulfill(status=503, body="Service Unavailable")
        return True

    wire = Wire(fault=down)
    watch_api(page.context, wire)
    page.context.set_offline(False)
    wait_until(page, lambda: wire.posts, what="a first try")
    page.goto("/outbox")
    card = page.locator(f"[data-outbox-entry='{made}']")
    expect(card).to_contain_text("Incident or near miss report")
    expect(card).to_contain_text("Missed or late call · Near miss")
    expect(card).to_contain_text("Entry 1.")
    expect(card.locator("[data-outbox-status-word]")).to_have_text(
        re.compile("Waiting for signal|Sending now")
    )
    expect(card.locator("[data-outbox-last-error]")).to_contain_text(
        "The server had a problem (503)"
    )
    # When it was made, in the carer's words ("27 Nov 2026, 10:42").
    expect(card.locator("dd").first).to_contain_text(datetime.now(UK).strftime("%-d %b %Y, "))

    wire.fault = None
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("[data-outbox-progress]")).to_contain_text("Sent 1 report.")
    expect(page.locator("[data-outbox-empty]")).to_be_visible()
    [receipt] = receipts(page)
    expect(page.locator(f"[data-outbox-receipt='{made}']")).to_contain_text(receipt["reference"])
    assert_device_matches_server(page, app, {made})


def test_retry_after_is_honoured_before_the_next_try(page: Page, live: LiveServer, app: Flask):
    [made] = _offline_with(page, 1)
    times: list[float] = []

    def busy_once(route: Route, n: int) -> bool:
        times.append(time.monotonic())
        if n == 0:
            route.fulfill(status=429, headers={"Retry-After": "3"}, body="Slow down")
            return True
        return False

    watch_api(page.context, Wire(fault=busy_once))
    page.context.set_offline(False)
    _sent(page, app, 1)
    assert len(times) == 2
    assert times[1] - times[0] >= 3.0  # not before the server said
    assert_device_matches_server(page, app, {made})


def test_send_now_waits_as_long_as_the_server_asked(page: Page, live: LiveServer, app: Flask):
    [made] = _offline_with(page, 1)
    wire = Wire()

    def busy_once(route: Route, n: int) -> bool:
        if n == 0:
            route.fulfill(status=429, headers={"Retry-After": "6"}, body="Slow down")
            return True
        return False

    wire.fault = busy_once
    watch_api(page.context, wire)
    page.context.set_offline(False)
    wait_until(page, lambda: device_entries(page)[0]["attempts"] >= 1, what="a first try")
    assert device_meta(page, "backoff")["retryAfterUntil"]
    page.goto("/outbox")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("[data-outbox-progress]")).to_contain_text(
        "The server asked us to wait: we will try again at"
    )
    assert len(wire.posts) == 1  # "Send now" did not go before the server said
    _sent(page, app, 1)  # the page's timer tries again once the wait is over
    assert len(wire.posts) == 2
    assert_device_matches_server(page, app, {made})


@pytest.mark.parametrize("timeout_signal", ["AbortSignal.timeout", "no AbortSignal.timeout"])
def test_send_now_while_another_window_sends_waits_its_turn(
    page: Page, live: LiveServer, app: Flask, timeout_signal: str
):
    if timeout_signal.startswith("no "):  # Safari 15.4 and 15.5 have Web Locks without it
        page.context.add_init_script("delete AbortSignal.timeout;")
    [made] = _offline_with(page, 1)
    assert page.evaluate("typeof AbortSignal.timeout") == (
        "undefined" if timeout_signal.startswith("no ") else "function"
    )
    page.goto("/outbox")
    # Another window (or the worker) holds the outbox while this one is tapped.
    hold_the_outbox(page)
    page.context.set_offline(False)
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("[data-outbox-progress]")).to_have_text("Sending…")
    page.wait_for_timeout(1500)  # the tap waits its turn: nothing sent twice meanwhile
    expect(page.locator("[data-outbox-progress]")).to_have_text("Sending…")
    assert server_incidents(app) == {}
    let_go_of_the_outbox(page)
    expect(page.locator("[data-outbox-progress]")).to_have_text(
        "Sent 1 report. Nothing is waiting."
    )
    _sent(page, app, 1)
    assert_device_matches_server(page, app, {made})


def test_a_page_unloaded_mid_send_does_not_hold_up_the_outbox(
    page: Page, live: LiveServer, app: Flask
):
    # Without Web Locks the outbox is held by a lease in IndexedDB, which a page
    # unloaded mid-send cannot let go of; its tab's next page does.
    page.context.add_init_script(NO_WEB_LOCKS)
    [made] = _offline_with(page, 1)
    page.evaluate(
        """async (id) => {
             const { store, page } = CandourOffline;
             const gone = page.owner + '#unloaded';
             const pause = () => new Promise((resolve) => setTimeout(resolve, 100));
             // (after this page's own try with no signal has let go)
             while (!(await store.takeReplayLease(gone, Date.now()))) await pause();
             while (!(await store.claim(id, gone, Date.now()))) await pause();
           }""",
        made,
    )
    assert device_meta(page, "replay-lease")["owner"].endswith("#unloaded")
    page.context.set_offline(False)
    page.reload()  # the same tab's next page
    _sent(page, app, 1)  # well before the leases would run out (a minute)
    assert_device_matches_server(page, app, {made})


def test_a_captive_portal_page_is_not_taken_for_sent(page: Page, live: LiveServer, app: Flask):
    [made] = _offline_with(page, 1)

    def portal(route: Route, n: int) -> bool:
        route.fulfill(status=200, content_type="text/html", body="<h1>Welcome to café wifi</h1>")
        return True

    wire = Wire(fault=portal)
    watch_api(page.context, wire)
    page.context.set_offline(False)
    wait_until(page, lambda: device_entries(page)[0]["attempts"] >= 1, what="a try")
    [entry] = device_entries(page)
    assert entry["status"] == "waiting"
    assert "unexpected answer" in entry["lastAnswer"]["message"]
    wire.fault = None
    page.evaluate("CandourOffline.page.kick(true)")
    _sent(page, app, 1)
    assert_device_matches_server(page, app, {made})


# --- signing out -----------------------------------------------------------------------------


def test_signing_out_with_unsent_entries_warns_and_offers_to_wait(
    page: Page, live: LiveServer, app: Flask
):
    [made] = _offline_with(page, 1)
    page.context.route("**/api/v1/session", _no_server)
    page.context.set_offline(False)
    page.goto("/outbox")

    page.get_by_role("button", name="Sign out").click()
    warning = page.locator("[data-signout-warning]")
    expect(warning).to_be_focused()
    expect(warning).to_contain_text("1 report has not been sent yet")
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    assert page.url.endswith("/outbox")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Send them now, then sign out").click()
    expect(page.locator("[data-signout-progress]")).to_contain_text("still waiting")
    assert page.url.endswith("/outbox")
    page.context.unroute("**/api/v1/session")
    page.get_by_role("button", name="Send them now, then sign out").click()
    page.wait_for_url("**/login")
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert set(server_incidents(app)) == {made}
    assert device_ids(page) == []


def test_signing_out_with_nothing_waiting_drops_the_users_cached_forms(
    page: Page, live: LiveServer, seeded: Any
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    cache = f"candour-pages-u{seeded['carer1'].id}"
    assert page.evaluate("name => caches.has(name)", cache)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert not page.evaluate("name => caches.has(name)", cache)
    assert device_meta(page, "device-user") is None


# --- drafts ------------------------------------------------------------------------------------


def test_a_half_filled_form_survives_the_app_being_closed(page: Page, live: LiveServer):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.get_by_role("group", name="What was it about?").get_by_role(
        "radio", name=re.compile("^Fall")
    ).click()
    page.get_by_label("What happened?").fill("Found on the floor by the bed.")
    page.get_by_label("Who", exact=True).first.select_option("family")
    page.get_by_role("button", name="Add someone else").click()
    page.get_by_label("Who", exact=True).nth(1).select_option("gp")
    entry_id = page.locator("input[name=entry_id]").input_value()
    context = page.context
    context.set_offline(True)  # and no signal when it is opened again
    page.close()

    again = context.new_page()
    again.goto(FORM)
    again.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    expect(again.locator("[data-offline-notice=draft]")).to_contain_text(
        "We kept what you had typed"
    )
    expect(again.get_by_label("What happened?")).to_have_value("Found on the floor by the bed.")
    expect(
        again.get_by_role("group", name="What was it about?").get_by_role(
            "radio", name=re.compile("^Fall")
        )
    ).to_be_checked()
    expect(again.get_by_label("Who", exact=True).first).to_have_value("family")
    expect(again.get_by_label("Who", exact=True).nth(1)).to_have_value("gp")
    assert again.locator("input[name=entry_id]").input_value() == entry_id

    again.get_by_role("button", name="Start again with an empty form").click()
    again.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    expect(again.get_by_label("What happened?")).to_have_value("")
    expect(again.locator("[data-offline-notice=draft]")).to_have_count(0)


# --- storage -------------------------------------------------------------------------------------


def test_a_full_phone_says_so_loudly_before_the_carer_leaves_the_form(
    page: Page, live: LiveServer, app: Flask
):
    # A phone with 2 MB for Candour: the app shell fits, a long report does not.
    # (Chromium applies a quota override only before the site first stores anything.)
    page.goto("about:blank")
    page.context.new_cdp_session(page).send(
        "Storage.overrideQuotaForOrigin", {"origin": live.url, "quotaSize": 2 * 1024 * 1024}
    )
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    text = "A report the phone has no room for. " * 80_000
    # No valid report is this long (the phone's checks would refuse it first, with
    # the server's message): a form kept from before it carried the rules.
    page.evaluate("() => document.querySelector('script[data-offline-rules]').remove()")
    fill_quickly(page, text)
    page.get_by_role("button", name=SEND).click()
    alert = page.locator("[data-offline-problem]")
    expect(alert).to_contain_text("Not saved: this phone is out of space")
    expect(alert).to_be_focused()
    assert page.get_by_label("What happened?").input_value() == text
    expect(page.get_by_role("heading", name=SAVED)).to_have_count(0)
    assert device_ids(page) == []
    # Leaving now asks first.
    dialogs: list[str] = []

    def leave_warning(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", leave_warning)
    page.close(run_before_unload=True)
    wait_until(page, lambda: dialogs, what="the leave warning")
    assert dialogs == ["beforeunload"]


# What the browser reports for a phone with 1.5 MB left (this Chromium does not
# reflect quota overrides in estimate(), so the report itself is simulated).
NEARLY_FULL = """
  Object.defineProperty(StorageManager.prototype, 'estimate', {
    value: () => Promise.resolve({ usage: 62 * 1024 * 1024, quota: 63.5 * 1024 * 1024 }),
  });
"""


def test_low_storage_is_shown_and_persistence_reported(page: Page, live: LiveServer):
    page.context.add_init_script(NEARLY_FULL)
    sign_in(page, "carer1@example.com")
    open_ready(page, "/outbox")
    expect(page.locator("[data-notice=storage-low]")).to_contain_text(
        "nearly out of space (2 MB left"
    )
    expect(page.locator("[data-storage-low]")).to_be_visible()
    page.goto(FORM)
    expect(page.locator("[data-notice=storage-low]")).to_be_visible()
    page.goto("/outbox")
    persisted = page.evaluate("navigator.storage.persisted()")
    expect(page.locator("[data-storage-persisted]")).to_have_attribute(
        "data-storage-persisted", "true" if persisted else "false"
    )


# --- installing ------------------------------------------------------------------------------------


def test_chromium_finds_the_app_installable(playwright: Any, live: LiveServer, tmp_path: Any):
    # A normal (not incognito) profile, as on a phone.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        headless=True,
        base_url=live.url,
        viewport=PHONE,
    )
    try:
        page = context.new_page()
        sign_in(page, "carer1@example.com")
        open_ready(page)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_iphone_users_are_shown_how_to_install(browser: Browser, live: LiveServer):
    context = browser.new_context(
        base_url=live.url, viewport=PHONE, user_agent=IPHONE_UA, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        sign_in(page, "carer1@example.com")
        hint = page.locator("[data-install-hint=ios]")
        expect(hint).to_contain_text("Add to Home Screen")
        hint.get_by_role("button", name="Not now").click()
        expect(hint).to_have_count(0)
        page.reload()
        page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
        expect(page.locator("[data-install-hint]")).to_have_count(0)
    finally:
        context.close()


def test_other_phones_get_no_iphone_hint(page: Page, live: LiveServer):
    sign_in(page, "carer1@example.com")
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    expect(page.locator("[data-install-hint=ios]")).to_have_count(0)


# --- what the phone keeps -----------------------------------------------------------------------


def test_record_pages_and_lists_are_never_kept_on_the_phone(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    fill_quickly(page, "Sent while online.")
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    _sent(page, app, 1)
    [incident_id] = server_incidents(app)
    page.goto(f"/incidents/{incident_id}/sent")
    expect(page.get_by_test_id("reference")).to_be_visible()
    kept = page.evaluate(
        """async () => {
             const urls = [];
             for (const name of await caches.keys()) {
               for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
             }
             return urls;
           }"""
    )
    assert not [u for u in kept if incident_id in u]
    assert {u for u in kept if not u.startswith("/static/")} <= {
        "/offline",
        "/saved",
        "/incidents/new",
        "/audits/new",
        "/outbox",
        "/bulletins",  # anonymised learning, kept for reading with no signal
        "/api/v1/reference",
    }
    page.context.set_offline(True)
    page.goto(f"/incidents/{incident_id}/sent")
    expect(page.get_by_role("heading", name="No signal just now")).to_be_visible()


# --- the form's own send, refused as expired, and forms without htmx ---------------------------


def test_a_stale_form_token_is_refreshed_and_the_report_sent(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    fill_quickly(page, "Form kept open all morning.")
    made = page.locator("input[name=entry_id]").input_value()
    page.locator("form[data-offline-form] input[name=csrf_token]").evaluate(
        "el => { el.value = 'stale'; }"
    )
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    _sent(page, app, 1)
    assert_device_matches_server(page, app, {made})


def test_a_send_the_form_refuses_as_expired_goes_through_the_sync_api(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.route(
        "**/incidents/new",
        lambda route: (
            route.fulfill(status=400, body="expired")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    fill_quickly(page, "Sent the other way.")
    made = page.locator("input[name=entry_id]").input_value()
    page.get_by_role("button", name=SEND).click()
    sent = page.locator("[data-offline-sent]")
    expect(sent).to_contain_text("Sent")
    reference = server_incidents(app)[made]["reference"]
    expect(sent).to_contain_text(reference)
    assert_device_matches_server(page, app, {made})


def test_a_form_without_htmx_uses_the_outbox_and_shows_the_servers_reasons(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    page.goto("/test-only/note")
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    made = page.locator("input[name=entry_id]").input_value()
    assert made != "00000000-0000-4000-8000-000000000000"  # made in the browser
    page.get_by_label("What was done?").fill("Helped up, checked for injuries.")
    page.locator("main button[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Say what happened")
    expect(summary).to_contain_text("Enter when it happened")
    expect(page.locator("[data-offline-error=what_happened]")).to_be_visible()
    assert [e["status"] for e in device_entries(page)] == ["attention"]
    assert server_incidents(app) == {}

    page.get_by_label("What happened?").fill("Slipped on the wet floor,\nbut was caught.")
    page.get_by_label("When").fill(
        (datetime.now(UK) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.locator("main button[type=submit]").click()
    expect(page.locator("[data-offline-sent]")).to_contain_text("Its reference is INC-")
    expect(page.locator("[data-offline-sent]")).to_contain_text(
        server_incidents(app)[made]["reference"]
    )
    assert (
        server_incidents(app)[made]["what_happened"] == "Slipped on the wet floor,\nbut was caught."
    )
    assert_device_matches_server(page, app, {made})


# --- the worker alone -------------------------------------------------------------------------


def test_background_sync_sends_with_no_page_of_the_app_open(
    page: Page, live: LiveServer, app: Flask
):
    made = _offline_with(page, 2)
    blank = page.context.new_page()
    blank.goto("about:blank")
    worker = Worker(page)
    page.goto("about:blank")  # the app is closed; only its worker remains
    page.context.set_offline(False)
    worker.fire_sync()
    wait_until(blank, lambda: len(server_incidents(app)) == 2, what="the worker to send")
    page.goto("/outbox")
    expect(page.locator("[data-outbox-empty]")).to_be_visible()
    assert_device_matches_server(page, app, set(made))


def test_reference_data_is_kept_for_the_user_and_served_with_no_signal(
    page: Page, live: LiveServer, app: Flask, templates: Any
):
    sign_in(page, "supervisor@example.com")
    open_ready(page, "/audits/new/medication-spot-check")
    page.context.set_offline(True)
    reference = page.evaluate("fetch('/api/v1/reference').then(r => r.json())")
    assert "medication-spot-check" in {t["slug"] for t in reference["audit_templates"]}
    assert {p["ref"] for p in reference["people"]} == {f"P-{n:04d}" for n in range(1, 11)}


def test_the_first_save_asks_the_browser_to_keep_the_outbox(page: Page, live: LiveServer):
    _offline_with(page, 1)
    persist = wait_until(page, lambda: device_meta(page, "persist"), what="persist()")
    assert persist["granted"] in (True, False)
    expect(page.locator("html")).to_have_attribute("data-outbox-total", "1")


def test_every_file_a_kept_form_names_is_on_the_phone(page: Page, live: LiveServer):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    missing = page.evaluate(
        """async () => {
             const names = [...document.querySelectorAll('script[src], link[rel=stylesheet]')]
               .map(el => el.getAttribute('src') || el.getAttribute('href'));
             const shell = (await caches.keys()).find(n => n.startsWith('candour-shell-'));
             const cache = await caches.open(shell);
             const out = [];
             for (const url of names) if (!(await cache.match(url))) out.push(url);
             return out;
           }"""
    )
    assert missing == []
    # And with no signal (and no help from the browser's own cache) the form's
    # script still runs: only one "who was told" row shows until another is added.
    page.context.set_offline(True)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.reload()
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    expect(page.locator("[data-informed-row]")).to_have_count(1)
    expect(page.get_by_role("button", name="Add someone else")).to_be_visible()


def test_a_form_kept_before_the_page_script_was_split_still_saves_offline(
    page: Page, live: LiveServer, app: Flask
):
    """A phone may still hold a form kept by an older version, which named each
    script on its own (no bundles, then) and only js/offline/page.js for the whole
    page part of the outbox: with no signal the worker answers each at any
    revision from its shell, and today's page.js must bring its parts."""
    sign_in(page, "carer1@example.com")
    open_ready(page)

    # Make the kept form what an older version kept: the outbox's scripts one by
    # one at older revisions, and only page.js for the page's part.
    def older(names: list[str]) -> list[str]:
        return [f'<script src="/static/{name}?v=000000000000" defer></script>' for name in names]

    replaced = page.evaluate(
        """async ([form, outbox, pageJs, formJs]) => {
             const name = (await caches.keys()).find(n => n.startsWith('candour-pages-u'));
             const cache = await caches.open(name);
             const kept = await cache.match(form);
             let replaced = 0;
             const older = (await kept.text()).split('\\n').flatMap(line => {
               if (line.includes('<script src="/static/js/bundles/report.js?v=')) {
                 replaced++;
                 return [...outbox, ...pageJs, ...formJs];
               }
               return [line];
             });
             await cache.put(form, new Response(older.join('\\n'), {status: 200, headers: kept.headers}));
             return replaced;
           }""",
        [
            FORM,
            older(OUTBOX_SCRIPTS),
            older(["js/offline/page.js"]),
            older(BUNDLES[INCIDENT_FORM_BUNDLE]),
        ],
    )
    assert replaced == 1  # the one bundle today's form names for all of them
    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    made = save_offline(page, "Made on a form kept by an older version.")
    assert device_ids(page) == [made]
    assert page.evaluate("typeof CandourOffline.page.kick") == "function"
    page.context.set_offline(False)
    page.evaluate("CandourOffline.page.kick(true)")
    _sent(page, app, 1)
    assert_device_matches_server(page, app, {made})
