"""The phone checks a report as the server would before it keeps it with no
signal (static/js/offline/checks.js with the rules the form carries): nothing the
server would refuse is "saved", the error summary says the server's own words, and
once put right the report is saved, then sent exactly once back online. 360 x 740."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from playwright.sync_api import Page, expect

from extensions import db
from incidents.models import Incident
from incidents.schemas import RULE_MESSAGES, ThresholdsSchema
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.offline_support import (
    SAVED,
    SEND,
    Wire,
    device_entries,
    fill_quickly,
    open_ready,
    sent_once_back_online,
    watch_api,
)

QUESTIONS = ["safeguarding", "clinical_escalation", "family_contact"]


def _server_message(question: str) -> str:
    return str(ThresholdsSchema().fields[question].error_messages["required"])


def _leave_unanswered(page: Page, prefix: str) -> None:
    page.evaluate(
        """prefix => {
             for (const input of document.querySelectorAll(`input[name^="${prefix}"]`)) input.checked = false;
           }""",
        prefix,
    )


def _offline_form(page: Page) -> Wire:
    sign_in(page, "carer1@example.com")
    open_ready(page)
    wire = Wire()
    watch_api(page.context, wire)
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Report an incident or near miss")).to_be_visible()
    return wire


def test_unanswered_thresholds_are_caught_on_the_phone_then_saved_and_sent_once(
    page: Page, live: LiveServer, app: Flask
):
    wire = _offline_form(page)
    fill_quickly(page, "Found on the floor by the bed.")
    _leave_unanswered(page, "thresholds.")
    page.get_by_role("button", name=SEND).click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    for question in QUESTIONS:
        expect(summary.get_by_role("link", name=_server_message(question))).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(3)
    expect(page.get_by_role("heading", name=SAVED)).to_have_count(0)
    assert device_entries(page) == []
    # The link goes to the question, and what was written is still there.
    summary.get_by_role("link", name=_server_message("safeguarding")).click()
    expect(page.get_by_label("What happened?")).to_have_value("Found on the floor by the bed.")

    fill_quickly(page, "Found on the floor by the bed.")
    page.get_by_label("Which place was it? (optional)").select_option("stairs")
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    entries = device_entries(page)
    assert [e["status"] for e in entries] == ["waiting"]
    assert wire.posts == []

    made = entries[0]["id"]
    sent_once_back_online(page, app, wire, made)
    with app.app_context():
        assert db.session.get_one(Incident, made).place == "stairs"
        db.session.remove()


def test_a_late_report_without_its_reason_is_caught_on_the_phone(
    page: Page, live: LiveServer, app: Flask
):
    _offline_form(page)
    long_ago = datetime.now(UTC) - timedelta(days=40)
    local = long_ago.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")
    fill_quickly(page, "Found a bruise from a fall weeks ago.", occurred_at=local)
    page.get_by_role("button", name=SEND).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text(RULE_MESSAGES["late_reason"])
    expect(page.locator("[data-offline-error=late_reason]")).to_be_attached()
    assert device_entries(page) == []

    page.get_by_text("It happened more than 30 days ago").click()
    page.get_by_label("Why is it being reported now?").fill("The person told me today.")
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    assert [e["status"] for e in device_entries(page)] == ["waiting"]


def test_required_questions_are_marked_and_optional_ones_say_so(page: Page, live: Any):
    sign_in(page, "carer1@example.com")
    page.goto("/incidents/new")
    expect(page.get_by_text("Answer every question unless it says (optional).")).to_be_visible()
    for optional in ("Where did it happen? (optional)", "A member of staff was hurt (optional)"):
        expect(page.get_by_label(optional)).to_be_visible()
    expect(page.get_by_text("Who have you told so far? (optional)")).to_be_visible()


def test_a_reporter_in_two_branches_is_asked_the_branch_before_saving(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "manager@example.com")
    open_ready(page)
    page.context.set_offline(True)
    page.reload()
    fill_quickly(page, "The key safe was left open.")
    page.get_by_role("button", name=SEND).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text(RULE_MESSAGES["branch_needed"])
    assert device_entries(page) == []
    page.get_by_label(re.compile("Which branch was it in")).select_option("SOUTH")
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    assert [e["payload"]["branch"] for e in device_entries(page)] == ["SOUTH"]
