"""Issue 4's scenarios, in real Chromium with the real service worker. Each ends by
comparing the phone's entries with the server's: zero missing, zero extra."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, Route, expect

from core.models import PersonSupported
from extensions import db
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.offline_support import (
    FORM,
    NO_WEB_LOCKS,
    SAVED,
    SEND,
    Wire,
    Worker,
    assert_device_matches_server,
    badge,
    device_entries,
    device_ids,
    fill_quickly,
    open_ready,
    receipts,
    save_offline,
    server_incidents,
    wait_until,
    watch_api,
)
from tests.conftest import StaffRef
from tests.factories import incident_payload


@pytest.fixture
def sign_in_client(request: pytest.FixtureRequest) -> Any:
    """tests/conftest.py's sign_in fixture (a signed-in test client); the name
    sign_in here is the browser helper."""
    return request.getfixturevalue("sign_in")


def _all_sent(page: Page, app: Flask, count: int, timeout: float = 45) -> None:
    wait_until(
        page,
        lambda: not device_ids(page) and len(server_incidents(app)) == count,
        timeout=timeout,
        what=f"{count} entries to reach the server",
    )


def _queue(page: Page, count: int, label: str = "Entry") -> list[str]:
    return [save_offline(page, f"{label} {n + 1}: rota showed two carers.") for n in range(count)]


# --- 1 --------------------------------------------------------------------------------------


def test_1_offline_reload_opens_the_form_and_three_entries_arrive_exactly_once(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    wire = Wire()
    watch_api(page.context, wire)
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Report an incident or near miss")).to_be_visible()

    made = _queue(page, 3)
    assert len(set(made)) == 3
    assert device_ids(page) == made  # in the order they were made
    assert badge(page) == "3"
    assert server_incidents(app) == {}
    assert wire.posts == []

    page.context.set_offline(False)  # fires `online` and Background Sync
    _all_sent(page, app, 3)
    assert sorted(wire.per_entry().values()) == [1, 1, 1]
    assert set(server_incidents(app)) == set(made)
    expect(page.locator("[data-outbox-count]")).to_be_hidden()

    # Further triggers change nothing: a reload, "send now", a sync event.
    page.reload()
    page.goto("/outbox")
    expect(page.locator("[data-outbox-empty]")).to_be_visible()
    page.evaluate("CandourOffline.page.kick(true)")
    Worker(page).fire_sync()
    page.wait_for_timeout(500)
    assert len(wire.posts) == 3
    assert set(server_incidents(app)) == set(made)
    refs = {r["id"]: r["reference"] for r in receipts(page)}
    assert refs == {i: s["reference"] for i, s in server_incidents(app).items()}
    assert_device_matches_server(page, app, set(made))


# --- 2 --------------------------------------------------------------------------------------

TWENTY = 20
BREAK_AFTER = 7


def _fault_signal_lost(live: LiveServer) -> Any:
    def fault(route: Route, n: int) -> bool:
        if n >= BREAK_AFTER:
            route.abort("internetdisconnected")
            return True
        return False

    return fault


def _fault_server_killed(live: LiveServer) -> Any:
    def fault(route: Route, n: int) -> bool:
        if n == BREAK_AFTER:
            live.stop()  # the process goes away in the middle of the replay
        return False

    return fault


def _fault_503(live: LiveServer) -> Any:
    def fault(route: Route, n: int) -> bool:
        if n == BREAK_AFTER:
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"error": "Down for a moment."}',
            )
            return True
        return False

    return fault


@pytest.mark.parametrize(
    "fault",
    [_fault_signal_lost, _fault_server_killed, _fault_503],
    ids=["signal-lost-after-k", "server-killed", "503-in-the-middle"],
)
def test_2_a_replay_of_twenty_broken_in_the_middle_ends_with_exactly_twenty(
    page: Page, live: LiveServer, app: Flask, fault: Any
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    made = _queue(page, TWENTY)
    wire = Wire(fault=fault(live))
    watch_api(page.context, wire)
    try:
        page.context.set_offline(False)
        # The replay stops at the break with the rest still on the phone, in order.
        wait_until(page, lambda: len(wire.posts) > BREAK_AFTER, what="the break")
        left = device_ids(page)
        assert 0 < len(left) <= TWENTY - BREAK_AFTER
        assert left == made[-len(left) :]
        assert len(server_incidents(app)) == TWENTY - len(left)
    finally:
        if live.server is None:
            live.start()  # the server comes back on the same address
    wire.fault = None
    _all_sent(page, app, TWENTY, timeout=60)  # by itself: back-off timer, no tap needed
    assert set(server_incidents(app)) == set(made)
    assert_device_matches_server(page, app, set(made))


# --- 3 --------------------------------------------------------------------------------------


def test_3_lost_answer_on_replay_gets_200_with_the_same_reference(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    [made] = _queue(page, 1)
    answers: list[tuple[int, str]] = []

    def fault(route: Route, n: int) -> bool:
        if n == 0:
            response = route.fetch()  # the server commits...
            answers.append((response.status, response.json()["reference"]))
            route.abort("connectionreset")  # ...and the answer never arrives
            return True
        return False

    wire = Wire(fault=fault)
    watch_api(page.context, wire)
    page.context.set_offline(False)
    _all_sent(page, app, 1)
    [(first_status, first_reference)] = answers
    assert first_status == 201
    assert wire.answers[-1] == 200  # the retry: a replay of the same content
    assert server_incidents(app)[made]["reference"] == first_reference
    assert [r["reference"] for r in receipts(page)] == [first_reference]
    assert_device_matches_server(page, app, {made})


def test_3_lost_answer_to_the_forms_own_send_is_saved_then_confirmed_once(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    committed: list[int] = []

    def lose_answer(route: Route) -> None:
        if route.request.method == "POST":
            committed.append(route.fetch().status)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.context.route("**/incidents/new", lose_answer)
    wire = Wire()
    watch_api(page.context, wire)
    fill_quickly(page, "Answer lost on the way back.")
    made = page.locator("input[name=entry_id]").input_value()
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    assert committed == [201]
    _all_sent(page, app, 1)
    # The outbox's copy (the browser's serialisation) matched the form's exactly.
    assert wire.answers == [200]
    assert_device_matches_server(page, app, {made})


# --- 4 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("locks", ["web-locks", "indexeddb-fallback"])
def test_4_two_tabs_and_send_now_at_once_send_each_entry_once(
    page: Page, live: LiveServer, app: Flask, locks: str
):
    if locks == "indexeddb-fallback":
        page.context.add_init_script(NO_WEB_LOCKS)
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    made = _queue(page, 10)
    other = page.context.new_page()
    other.goto("/outbox")
    expect(other.locator("[data-outbox-entry]")).to_have_count(10)
    if locks == "indexeddb-fallback":
        assert other.evaluate("() => navigator.locks === undefined")
    wire = Wire()
    watch_api(page.context, wire)

    page.context.set_offline(False)  # both tabs' `online`, and Background Sync
    # "Send now" tapped while they send: by the time of the tap they may have sent
    # everything and hidden the button, so the tap is dispatched, not waited for.
    other.locator("[data-outbox-send-now]").dispatch_event("click")
    page.evaluate("CandourOffline.page.kick(true)")
    _all_sent(page, app, 10)
    assert set(wire.per_entry()) == set(made)
    assert max(wire.per_entry().values()) == 1  # never the same entry twice
    expect(other.locator("[data-outbox-empty]")).to_be_visible()
    # The tap was handled: its tab says what came of it.
    expect(other.locator("[data-outbox-progress]")).to_have_text(
        re.compile(r"(Sent \d+ reports?\. )?Nothing is waiting\.")
    )
    assert_device_matches_server(page, app, set(made))


# --- 5 --------------------------------------------------------------------------------------


def _uk_local(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")


def test_5_a_422_on_replay_is_kept_shown_with_reasons_corrected_and_sent(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    # A form kept on the phone from before it carried the server's rules (the phone
    # now catches this one itself: tests/browser/test_offline_checks.py): the
    # server's 422 on replay is still kept and shown.
    page.evaluate("() => document.querySelector('script[data-offline-rules]').remove()")
    long_ago = _uk_local(datetime.now(UTC) - timedelta(days=40))
    made = save_offline(page, "Found a bruise from a fall weeks ago.", occurred_at=long_ago)
    page.context.set_offline(False)
    wait_until(
        page,
        lambda: [e["status"] for e in device_entries(page)] == ["attention"],
        what="the 422",
    )
    assert server_incidents(app) == {}

    page.goto("/outbox")
    card = page.locator(f"[data-outbox-entry='{made}']")
    expect(card.locator("[data-outbox-status-word]")).to_have_text("Needs your attention")
    expect(card.locator("[data-outbox-reasons]")).to_contain_text("more than 30 days")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    card.get_by_role("link", name="Correct it and send again").click()

    expect(page.locator("[data-error-summary]")).to_contain_text("more than 30 days")
    expect(page.get_by_label("What happened?")).to_have_value(
        "Found a bruise from a fall weeks ago."
    )
    assert page.locator("input[name=entry_id]").input_value() == made
    page.get_by_text("It happened more than 30 days ago").click()
    page.get_by_label("Why is it being reported now?").fill("The person told me today.")
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    _all_sent(page, app, 1)
    assert server_incidents(app)[made]["what_happened"] == "Found a bruise from a fall weeks ago."
    assert_device_matches_server(page, app, {made})


def test_5_a_409_on_replay_shows_both_versions_and_sends_as_new(
    page: Page, live: LiveServer, app: Flask, sign_in_client: Any
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    made = save_offline(page, "The version on the phone.")
    # The same id reached the server with other content (another copy of the form).
    sign_in_client("carer1").post_json(
        "/api/v1/incidents", incident_payload(id=made, what_happened="The version on the server.")
    )
    page.context.set_offline(False)
    wait_until(
        page, lambda: [e["status"] for e in device_entries(page)] == ["attention"], what="409"
    )
    page.goto("/outbox")
    card = page.locator(f"[data-outbox-entry='{made}']")
    compare = card.locator("[data-outbox-compare]")
    row = compare.get_by_role("row", name="What happened?")
    expect(row).to_contain_text("The version on the phone.")
    expect(row).to_contain_text("The version on the server.")
    card.get_by_role("button", name="Send this as a new report").click()
    _all_sent(page, app, 2)
    on_server = server_incidents(app)
    [new_id] = set(on_server) - {made}
    assert on_server[new_id]["what_happened"] == "The version on the phone."
    assert on_server[made]["what_happened"] == "The version on the server."
    assert_device_matches_server(page, app, {made, new_id})


# --- 6 --------------------------------------------------------------------------------------


def test_6_session_expired_while_offline_loses_nothing_and_sends_as_the_author(
    page: Page, live: LiveServer, app: Flask, seeded: dict[str, StaffRef]
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    made = _queue(page, 2)
    page.context.clear_cookies()  # the session ends while the phone has no signal
    page.context.set_offline(False)
    expect(page.locator("[data-notice=signin]")).to_contain_text("sign in again")
    assert device_ids(page) == made
    assert {e["status"] for e in device_entries(page)} == {"waiting"}
    assert server_incidents(app) == {}

    sign_in(page, "carer1@example.com")
    _all_sent(page, app, 2)
    assert {s["author_id"] for s in server_incidents(app).values()} == {seeded["carer1"].id}
    assert_device_matches_server(page, app, set(made))


# --- 7 --------------------------------------------------------------------------------------


def test_7_shared_phone_carer_b_never_sends_or_sees_carer_as_entry(
    page: Page, live: LiveServer, app: Flask, seeded: dict[str, StaffRef]
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    [made] = _queue(page, 1, label="Carer A's private words")
    wire = Wire()
    watch_api(page.context, wire)
    # Signal back, but the server cannot take it yet; A signs out, keeping it.
    page.context.route("**/api/v1/session", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(False)
    page.get_by_role("button", name="Sign out").click()
    warning = page.locator("[data-signout-warning]")
    expect(warning).to_contain_text("1 report has not been sent yet")
    warning.get_by_role("button", name="Sign out and keep them on this phone").click()
    page.wait_for_url("**/login")
    page.context.unroute("**/api/v1/session")

    sign_in(page, "carer2@example.com")
    page.goto("/outbox")
    expect(page.locator("[data-outbox-others]")).to_contain_text(
        "1 report made by someone else on this phone is waiting for them to sign in"
    )
    expect(page.locator("[data-outbox-empty]")).to_be_visible()
    expect(page.locator("[data-outbox-count]")).to_be_hidden()
    assert "Carer A's private words" not in page.content()
    page.evaluate("CandourOffline.page.kick(true)")
    page.wait_for_timeout(300)
    assert wire.posts == []
    assert device_ids(page) == [made]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")

    sign_in(page, "carer1@example.com")
    _all_sent(page, app, 1)
    assert server_incidents(app)[made]["author_id"] == seeded["carer1"].id
    assert wire.posts == [made]
    assert_device_matches_server(page, app, {made})


# --- 8 --------------------------------------------------------------------------------------


def test_8_a_new_worker_version_keeps_the_outbox_and_the_forms_open_offline(
    page: Page, live: LiveServer, app: Flask, monkeypatch: pytest.MonkeyPatch
):
    # Requests not yet answered, pages' and workers' alike (for a failure message).
    pending: dict[Any, str] = {}
    page.context.on(
        "request",
        lambda r: pending.__setitem__(r, f"{r.method} {r.url} sw={r.service_worker is not None}"),
    )

    def answered(request: Any) -> None:
        pending.pop(request, None)

    page.context.on("requestfinished", answered)
    page.context.on("requestfailed", answered)
    sign_in(page, "carer1@example.com")
    open_ready(page)
    worker = Worker(page)
    before = worker.version()
    assert before is not None
    page.context.set_offline(True)
    made = _queue(page, 2)
    files = app.extensions["candour_static"]
    served = files.revision

    # The server cannot take them yet, so the outbox is not empty during the update.
    worker.watch_for_takeover()
    with live.refusing("/api/v1/session"):
        page.context.set_offline(False)
        # A deploy that changed the app's script: its revision changes.
        monkeypatch.setattr(
            files, "revision", lambda name: "deployed0002" if name == "js/app.js" else served(name)
        )
        try:
            # The browser checks for a new worker on each visit; an install whose
            # download failed (the network just came back) keeps the old one until
            # the next check, so check again as a visit would.
            for _ in range(5):
                worker.check_for_update()
                try:
                    wait_until(page, worker.took_over, timeout=10, what="the new worker")
                    break
                except AssertionError:
                    continue
            assert worker.took_over(), (
                f"the new worker never took over ({worker.states()}; "
                f"unanswered: {list(pending.values())})"
            )
            now = worker.version()
            assert now not in (None, before)
            # Activated (its activate step done): the old shell is gone, the outbox is not.
            wait_until(
                page,
                lambda: (
                    [n for n in page.evaluate("caches.keys()") if n.startswith("candour-shell-")]
                    == [f"candour-shell-{now}"]
                ),
                what="the old shell to be dropped",
            )
            assert device_ids(page) == made

            page.context.set_offline(True)
            page.goto(FORM)  # served by the new worker from the phone
            made.append(save_offline(page, "Made after the update, still offline."))
            assert device_ids(page) == made
        finally:
            monkeypatch.undo()
    page.context.set_offline(False)
    _all_sent(page, app, 3)
    assert_device_matches_server(page, app, set(made))


# --- 9 --------------------------------------------------------------------------------------


def test_9_clock_moved_thirty_days_forward_keeps_and_sends_every_entry(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    made = _queue(page, 2)
    page.clock.set_system_time(datetime.now(UTC) + timedelta(days=30))
    page.goto("/outbox")
    # By the phone's clock the sign-in has lapsed (the most it can last is 12 hours
    # unused), so the outbox counts what waits rather than showing it (issue 12,
    # finding 8); nothing is dropped.
    expect(page.locator("[data-outbox-signed-out], [data-offline-waiting]")).to_contain_text(
        "2 reports from an earlier sign-in are waiting on this phone"
    )
    assert (
        page.evaluate("() => Date.now()")
        > (datetime.now(UTC) + timedelta(days=29)).timestamp() * 1000
    )
    assert device_ids(page) == made
    page.context.set_offline(False)
    _all_sent(page, app, 2)
    assert_device_matches_server(page, app, set(made))


# --- the same person, moved out of scope while the entry waited (404) ----------------------


def test_5_a_404_when_the_person_left_the_carers_branch_is_corrected_and_sent(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    made = save_offline(page, "Medicine left out on the table.", person_ref="P-0001")
    with app.app_context():
        person = db.session.scalar(db.select(PersonSupported).filter_by(ref="P-0001"))
        south = db.session.scalar(db.select(PersonSupported).filter_by(ref="P-0011")).branch_id
        person.branch_id = south
        db.session.commit()
    page.context.set_offline(False)
    wait_until(
        page, lambda: [e["status"] for e in device_entries(page)] == ["attention"], what="404"
    )
    page.goto("/outbox")
    card = page.locator(f"[data-outbox-entry='{made}']")
    expect(card.locator("[data-outbox-reasons]")).to_contain_text(
        "not one of the people you support"
    )
    card.get_by_role("link", name="Correct it and send again").click()
    page.get_by_label("Who was it about?").select_option("P-0002")
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    _all_sent(page, app, 1)
    assert_device_matches_server(page, app, {made})


# --- 10 -------------------------------------------------------------------------------------

MEDICATION_CHECK = "/audits/new/medication-spot-check"


def _audit_ids(app: Flask) -> set[str]:
    from audits.models import Audit

    with app.app_context():
        ids = set(db.session.scalars(db.select(Audit.id)))
        db.session.remove()
        return ids


def _fill_spot_check(page: Page, not_met: set[int]) -> str:
    page.get_by_label("Who are you observing?").select_option(label="Amina Carer (Carer)")
    answers = page.locator("[data-question]")
    for n in range(answers.count()):
        suffix = "-no" if n in not_met else ""
        page.locator(f"label[for='field-answers-{n}-answer{suffix}']").click()
        if n in not_met:
            page.locator(f"#field-answers-{n}-note").fill("Dose given late after a late call.")
    return page.locator("form[data-offline-form] input[name=entry_id]").input_value()


def test_10_spot_checks_use_the_same_outbox_offline(
    page: Page, live: LiveServer, app: Flask, templates: dict[str, StaffRef]
):
    sign_in(page, "supervisor@example.com")
    open_ready(page, MEDICATION_CHECK)
    wire = Wire()
    watch_api(page.context, wire, "/api/v1/audits")
    page.context.set_offline(True)

    # Choosing the template works from the phone, as does the form itself.
    page.goto("/audits/new")
    page.get_by_role("link", name=re.compile("Medication spot check")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Medication spot check")
    audit_id = _fill_spot_check(page, not_met={1})
    page.get_by_role("button", name="Save spot check").click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    page.goto(FORM)
    incident_id = save_offline(page, "Supervisor's own report, same outbox.")
    page.goto("/outbox")
    expect(page.locator("[data-outbox-entry]")).to_have_count(2)
    expect(page.locator(f"[data-outbox-entry='{audit_id}']")).to_contain_text("Spot-check audit")
    assert _audit_ids(app) == set()

    page.context.set_offline(False)
    wait_until(
        page,
        lambda: not device_ids(page) and _audit_ids(app) == {audit_id},
        what="the spot check and the report to arrive",
    )
    assert set(server_incidents(app)) == {incident_id}
    assert wire.posts == [audit_id]
    assert wire.answers == [201]
    assert_device_matches_server(page, app, {incident_id})


def test_10_a_spot_check_posted_with_signal_is_confirmed_and_leaves_the_outbox(
    page: Page, live: LiveServer, app: Flask, templates: dict[str, StaffRef]
):
    sign_in(page, "supervisor@example.com")
    open_ready(page, MEDICATION_CHECK)
    wire = Wire()
    watch_api(page.context, wire, "/api/v1/audits")
    audit_id = _fill_spot_check(page, not_met=set())
    page.get_by_role("button", name="Save spot check").click()
    expect(page.get_by_text("Spot check saved")).to_be_visible()  # the server's own page
    wait_until(page, lambda: wire.answers == [200] and not device_ids(page), what="confirmation")
    assert _audit_ids(app) == {audit_id}


def test_10_a_spot_check_whose_post_is_lost_is_saved_by_the_worker_and_sent_later(
    page: Page, live: LiveServer, app: Flask, templates: dict[str, StaffRef]
):
    sign_in(page, "supervisor@example.com")
    open_ready(page, MEDICATION_CHECK)
    audit_id = _fill_spot_check(page, not_met=set())
    lost: list[str] = []

    def drop_once(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.context.route("**/audits", drop_once)
    page.get_by_role("button", name="Save spot check").click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()  # the worker's answer
    assert lost
    assert device_ids(page) == [audit_id]
    page.goto("/outbox")
    wait_until(page, lambda: not device_ids(page) and _audit_ids(app) == {audit_id}, what="sent")


def test_5_a_403_when_the_role_changed_while_the_entry_waited_is_kept_with_the_reason(
    page: Page, live: LiveServer, app: Flask, seeded: dict[str, StaffRef]
):
    from core.models import User

    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    made = save_offline(page, "Made as a carer.")
    with app.app_context():
        db.session.get_one(User, seeded["carer1"].id).role = "office"
        db.session.commit()
    page.context.set_offline(False)
    wait_until(
        page, lambda: [e["status"] for e in device_entries(page)] == ["attention"], what="403"
    )
    [entry] = device_entries(page)
    assert entry["lastAnswer"]["status"] == 403
    page.goto("/outbox")
    card = page.locator(f"[data-outbox-entry='{made}']")
    expect(card.locator("[data-outbox-reasons]")).to_contain_text(
        "Your role cannot report incidents"
    )
    assert server_incidents(app) == {}
    assert_device_matches_server(page, app, {made})
