"""The browser turns a form into the sync API's JSON exactly as the server does
(incidents/forms.py form_to_payload): the same form, read both ways, must give
the same JSON, or a replay from the outbox would be refused as a conflict."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Route, expect
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from incidents import forms
from tests.browser.conftest import PHONE, LiveServer, sign_in
from tests.browser.offline_support import FORMS_READY, open_ready, server_incidents, wait_until

UK = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 20, 8, 15, 42, tzinfo=UTC)

SET_VALUES = """
([values, enableAll]) => {
  const form = document.querySelector('form[data-offline-form]');
  if (enableAll) for (const el of form.querySelectorAll('input, select, textarea')) el.disabled = false;
  for (const [name, value] of Object.entries(values)) {
    let fields = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    for (let i = 0; !fields.length && i < 5; i += 1) {
      form.querySelector('[data-add-informed]').click();
      fields = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    }
    for (const field of fields) {
      if (field.type === 'radio' || field.type === 'checkbox') field.checked = field.value === value;
      else field.value = value;
      field.dispatchEvent(new Event('change', { bubbles: true }));
    }
  }
}
"""

# The form loads its payloads when it first saves (page-common.js laterParts): so here.
READ_BOTH = """
async (now) => {
  const C = CandourOffline;
  await C.pageParts.laterParts();
  const form = document.querySelector('form[data-offline-form]');
  const shape = C.serialise.describeForm(form);
  return {
    pairs: shape.pairs,
    payload: C.payloads.payloadFor('incident', new C.serialise.FormValues(shape.pairs), new Date(now), shape),
  };
}
"""

CASES: dict[str, tuple[dict[str, str], bool]] = {
    "medication, two people told, lines and spaces": (
        {
            "category": "medication",
            "medication_error": "wrong_dose",
            "time_critical": "true",
            "kind": "incident",
            "person_ref": "P-0003",
            "location": "  kitchen  ",
            "occurred_at": "2026-11-20T07:05",
            "what_happened": "Two tablets instead of one.\nNoticed at lunch.  ",
            "immediate_actions": "Rang 111,\nstayed with her.",
            "harm": "low",
            "staff_injured": "true",
            "people_informed.0.who": "manager",
            "people_informed.0.at": "2026-11-20T07:30",
            "people_informed.0.method": "phone",
            "people_informed.1.who": "family",
            "people_informed.1.method": "in_person",
            "thresholds.safeguarding": "no",
            "thresholds.clinical_escalation": "yes",
            "thresholds.family_contact": "yes",
        },
        False,
    ),
    "a medication answer left behind on another category": (
        {
            "category": "fall",
            "medication_error": "omission",
            "time_critical": "true",
            "kind": "near_miss",
            "what_happened": "Nearly slipped.",
            "immediate_actions": "Dried the floor.",
            "harm": "none",
            "thresholds.safeguarding": "unsure",
        },
        True,
    ),
    "little answered, odd whitespace": (
        {
            "location": "\u00a0\x1fhall\u3000",
            "late_reason": " \t ",
            "what_happened": "\u00a0only this\u00a0",
            "people_informed.0.method": "email",
            "occurred_at": "2026-03-29T01:30",
        },
        False,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_browser_reads_the_form_exactly_as_the_server(page: Page, live: LiveServer, case: str):
    values, enable_all = CASES[case]
    sign_in(page, "carer1@example.com")
    page.goto("/incidents/new")
    page.wait_for_function(FORMS_READY)
    page.evaluate(SET_VALUES, [values, enable_all])
    for tz_offset in ("0", "60", "-300", "330", "", "bad"):
        # The page fills these at sending; the server reads them the same way.
        page.evaluate(
            """([offset]) => {
                 const form = document.querySelector('form[data-offline-form]');
                 form.querySelector('[name=tz_offset]').value = offset;
                 form.querySelector('[name=reported_at]').value = '';
               }""",
            [tz_offset],
        )
        both = page.evaluate(READ_BOTH, NOW.isoformat())
        server = forms.form_to_payload(MultiDict(both["pairs"]), NOW)
        assert both["payload"] == server, (tz_offset, both["pairs"])


DATETIMES = [
    "2026-11-20T08:15",
    "2026-11-20T08:15:07",
    "2026-11-20T08:15:07.5",
    "2026-11-20T08:15:07.000000",
    "2026-11-20 08:15",
    "2026-07-01T12:00",
    "2026-03-29T01:30",  # does not exist in the UK (clocks go forward)
    "2026-10-25T01:30",  # happens twice in the UK (clocks go back)
    "2026-11-20T08:15Z",
    "2026-11-20T08:15+05:30",
    "2026-11-20T08:15-0400",
    "  2026-11-20T08:15  ",
    "2026-11-20",
    "2026-02-30T10:00",
    "2026-11-20T25:00",
    "yesterday",
    "",
]


@pytest.mark.parametrize("zone", ["uk", 0, 60, -300, 330])
def test_local_times_are_written_as_the_server_writes_them(page: Page, live: LiveServer, zone: Any):
    sign_in(page, "carer1@example.com")
    page.wait_for_function(FORMS_READY)
    from_browser = page.evaluate(
        "([values, zone]) => values.map(v => CandourOffline.serialise.localToIso(v, zone))",
        [DATETIMES, zone],
    )
    tz = UK if zone == "uk" else timezone(timedelta(minutes=zone))
    assert from_browser == [forms.local_to_iso(v, tz) for v in DATETIMES]


def test_what_the_form_posts_and_what_the_outbox_replays_are_the_same_report(
    page: Page, live: LiveServer, app: Flask
):
    """On the real send: the form body htmx posted, read by the server, equals the
    JSON the outbox sent to confirm it, and the sync API agreed (200, not 409)."""
    sign_in(page, "carer1@example.com")
    open_ready(page)
    seen: dict[str, Any] = {}

    def form_post(route: Route) -> None:
        if route.request.method == "POST":
            # The form is multipart/form-data (it may carry photos), as the server reads it.
            seen["form"] = (route.request.post_data_buffer, route.request.headers["content-type"])
        route.continue_()

    def api_post(route: Route) -> None:
        seen["api"] = json.loads(route.request.post_data or "{}")
        response = route.fetch()
        seen["api_status"] = response.status
        route.fulfill(response=response)

    page.context.route("**/incidents/new", form_post)
    page.context.route("**/api/v1/incidents", api_post)
    page.evaluate(SET_VALUES, [CASES["medication, two people told, lines and spaces"][0], False])
    page.locator("[name=occurred_at]").fill(
        (datetime.now(UK) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    )
    page.locator("[name='people_informed.0.at']").fill(
        (datetime.now(UK) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    wait_until(page, lambda: "api_status" in seen, what="the outbox's confirmation")
    body, content_type = seen["form"]
    environ = EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    posted = Request(environ).form
    assert forms.form_to_payload(posted, datetime.now(UTC)) == seen["api"]
    assert seen["api_status"] == 200
    assert list(server_incidents(app)) == [seen["api"]["id"]]


@pytest.mark.parametrize("timezone_id", ["America/New_York", "Asia/Kolkata"])
def test_a_phone_abroad_sends_its_own_offset(
    browser: Browser, live: LiveServer, app: Flask, timezone_id: str
):
    context = browser.new_context(base_url=live.url, viewport=PHONE, timezone_id=timezone_id)
    try:
        page = context.new_page()
        sign_in(page, "carer1@example.com")
        page.goto("/incidents/new")
        page.wait_for_function(FORMS_READY)
        answers = {
            **CASES["a medication answer left behind on another category"][0],
            "thresholds.clinical_escalation": "no",
            "thresholds.family_contact": "not_applicable",
        }
        page.evaluate(SET_VALUES, [answers, False])
        page.locator("[name=occurred_at]").fill(
            datetime.now(ZoneInfo(timezone_id)).strftime("%Y-%m-%dT%H:%M")
        )
        page.get_by_role("button", name="Send report").click()
        expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
        wait_until(page, lambda: page.locator("html").get_attribute("data-outbox-total") == "0")
        [incident] = server_incidents(app)
        offset = datetime.now(ZoneInfo(timezone_id)).utcoffset()
        assert offset is not None
        from extensions import db
        from incidents.models import Incident

        with app.app_context():
            stored = db.session.get_one(Incident, incident)
            assert stored.reported_offset == int(offset.total_seconds() // 60)
            db.session.remove()
    finally:
        context.close()
