"""Issue 12, finding 8: a shared phone after a sign-in ends without signing out.
What the carer left on the phone stays there and is sent when they sign in again,
but once the phone knows their sign-in has ended (the server said so, or its time
is up) nobody holding the phone sees it: the outbox and the kept forms (with the
people list) give way to a count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from core.models import SignInSession
from extensions import db
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.offline_support import (
    FORM,
    assert_device_matches_server,
    device_ids,
    device_meta,
    open_ready,
    save_offline,
    server_incidents,
    wait_until,
)
from tests.conftest import StaffRef

PRIVATE = "Carer A's private words about P-0003"
COUNT = "1 report from an earlier sign-in is waiting on this phone"


def _end_sign_ins_on_the_server(app: Flask) -> None:
    """The sign-in ends server-side (as after 30 days, or the row removed), not by
    signing out: the phone is told nothing."""
    with app.app_context():
        db.session.execute(db.delete(SignInSession))
        db.session.commit()


def _shows_nothing_of_carer_a(page: Page) -> None:
    html = page.content()
    assert PRIVATE not in html
    assert "P-0003" not in html
    assert page.locator("select[name=person_ref]").count() == 0
    assert page.locator("[data-outbox-entry]").count() == 0


def test_after_the_server_says_the_sign_in_ended_the_phone_shows_counts_only(
    page: Page, live: LiveServer, app: Flask, seeded: dict[str, StaffRef]
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    made = save_offline(page, PRIVATE)
    # With the sign-in still good, the carer sees their own entry with no signal.
    page.goto("/outbox")
    expect(page.locator(f"[data-outbox-entry='{made}']")).to_be_visible()

    _end_sign_ins_on_the_server(app)
    page.context.set_offline(False)
    page.evaluate("CandourOffline.page.kick(true)")  # the outbox asks who is signed in: 401
    wait_until(page, lambda: device_meta(page, "signin-needed"), what="the 401 to be noted")
    page.context.set_offline(True)

    for path in ("/outbox", FORM):
        page.goto(path)
        expect(page.locator("[data-offline-waiting]")).to_contain_text(COUNT)
        _shows_nothing_of_carer_a(page)
    assert device_ids(page) == [made]  # still on the phone

    page.context.set_offline(False)
    sign_in(page, "carer1@example.com")
    wait_until(page, lambda: not device_ids(page), what="the entry to be sent")
    assert server_incidents(app)[made]["author_id"] == seeded["carer1"].id
    assert_device_matches_server(page, app, {made})


@pytest.fixture
def short_sign_ins(app: Flask, monkeypatch: pytest.MonkeyPatch) -> timedelta:
    """Sign-ins that lapse after 20 seconds unused (12 hours in production)."""
    lifetime = timedelta(seconds=20)
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", lifetime)
    return lifetime


def test_with_no_signal_at_all_a_lapsed_sign_in_shows_counts_only(
    page: Page, live: LiveServer, app: Flask, short_sign_ins: timedelta
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    save_offline(page, PRIVATE)
    page.goto("/outbox")  # kept, and the sign-in still current: shown
    expect(page.locator("[data-outbox-entry]")).to_have_count(1)

    # The sign-in lapses while the phone never has signal: nothing tells it so,
    # but it knows how long the sign-in could last at most.
    page.wait_for_timeout(short_sign_ins.total_seconds() * 1000 + 1000)
    for path in (FORM, "/outbox"):
        page.goto(path)
        expect(page.locator("[data-offline-waiting]")).to_contain_text(COUNT)
        _shows_nothing_of_carer_a(page)


def test_an_open_outbox_turns_to_a_count_when_the_server_says_the_sign_in_ended(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    save_offline(page, PRIVATE)
    # Signal, but the report cannot get through yet (the worker sends too). The
    # route is in place before the signal returns: set after, the page's "online"
    # replay could send the report first on a busy machine (it did: 0 entries).
    page.context.route("**/api/v1/incidents", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(False)
    page.goto("/outbox")
    expect(page.locator("[data-outbox-entry]")).to_have_count(1)

    _end_sign_ins_on_the_server(app)
    page.evaluate("CandourOffline.page.kick(true)")
    expect(page.locator("[data-outbox-signed-out]")).to_contain_text(COUNT)
    expect(page.locator("[data-outbox-entry]")).to_have_count(0)
    assert PRIVATE not in page.content()
