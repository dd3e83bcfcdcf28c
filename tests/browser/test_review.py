"""A manager reviews the brief's three examples on a 360 x 740 phone in real
Chromium: the list filters as they type (htmx), they triage one, record its
duties, and the timeline shows it all."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from core.dates import UK
from tests.browser.conftest import open_menu, sign_in
from tests.conftest import Client
from tests.factories import incident_payload, iso

NOW = datetime.now(UTC).replace(microsecond=0)


def _at(minutes_ago: int) -> dict[str, Any]:
    occurred = NOW - timedelta(minutes=minutes_ago)
    return {
        "occurred_at": iso(occurred),
        "reported_at": iso(occurred + timedelta(minutes=10)),
        "people_informed": [
            {"who": "manager", "at": iso(occurred + timedelta(minutes=5)), "method": "phone"}
        ],
    }


def brief_examples() -> list[tuple[str, dict[str, Any]]]:
    """(reporter, payload) for the brief's three operational examples."""
    omission = incident_payload(
        what_happened="Evening Parkinson's dose was missed at the change of carers; the handover was verbal.",
        **_at(200),
    )
    behaviour = incident_payload(
        kind="incident",
        category="behaviour",
        medication_error=None,
        time_critical=False,
        person_ref="P-0002",
        location="living room",
        harm="low",
        staff_injured=True,
        what_happened="Became distressed moving from lunch to the afternoon activity and pushed me; I hurt my wrist.",
        immediate_actions="Gave space, used the calm-down routine, told the on-call manager.",
        thresholds={"safeguarding": "no", "clinical_escalation": "no", "family_contact": "yes"},
        **_at(150),
    )
    falls = [
        incident_payload(
            kind="incident",
            category="fall",
            medication_error=None,
            time_critical=False,
            person_ref="P-0012",
            location=room,
            harm="low",
            what_happened=f"Minor fall in the {room}; no injury seen.",
            immediate_actions="Checked for injury, helped up with the frame, told the office.",
            thresholds={"safeguarding": "no", "clinical_escalation": "no", "family_contact": "no"},
            **_at(minutes),
        )
        for room, minutes in (("bedroom", 120), ("bathroom", 90), ("hallway", 60))
    ]
    return [("carer1", omission), ("carer1", behaviour)] + [("carer3", f) for f in falls]


def _report_through_the_api(app: Flask) -> list[tuple[str, dict[str, Any]]]:
    examples = brief_examples()
    clients: dict[str, Client] = {}
    for reporter, body in examples:
        if reporter not in clients:
            clients[reporter] = Client(app.test_client())
            assert clients[reporter].sign_in(f"{reporter}@example.com").status_code == 302
        response = clients[reporter].post_json("/api/v1/incidents", body)
        assert response.status_code == 201, response.get_json()
    return examples


def _cards(page: Page) -> Any:
    return page.get_by_test_id("incident-card")


def test_manager_reviews_the_three_examples_on_a_phone(page: Page, live: Any, app: Flask):
    _report_through_the_api(app)
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "manager@example.com")

    # The list: all five reports, newest first.
    open_menu(page)
    page.get_by_role("link", name="Incidents").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    expect(_cards(page)).to_have_count(5)
    expect(page.get_by_test_id("result-count")).to_contain_text("of 5 incidents")

    # Filtering as you type: htmx swaps the results and keeps the page (no reload).
    page.evaluate("window.__samePage = true")
    page.get_by_label("Search").fill("wrist")
    expect(_cards(page)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=wrist"))
    expect(page.locator("#results-status")).to_have_text("Showing 1 to 1 of 1 incident")
    assert page.evaluate("window.__samePage") is True
    page.get_by_label("Search").fill("")
    expect(_cards(page)).to_have_count(5)
    page.get_by_text("More filters and sorting").click()
    page.get_by_label("Category").select_option("fall")
    expect(_cards(page)).to_have_count(3)
    expect(page).to_have_url(re.compile(r"category=fall"))
    page.get_by_label("Category").select_option("behaviour")
    expect(_cards(page)).to_have_count(1)
    assert page.evaluate("window.__samePage") is True
    # The pushed address reloads to the same filtered list.
    page.reload()
    expect(_cards(page)).to_have_count(1)

    # Open the behaviour incident: seen, with its RIDDOR question (a worker was hurt;
    # how long they are off work decides the over-7-day report, issue 15).
    _cards(page).first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Distress or behaviour")
    expect(page.get_by_test_id("seen")).not_to_have_text("Not yet")
    expect(page.locator('[data-rule="riddor_over_7_day"]')).to_be_visible()

    # Triage: the harm was more than the reporter could know; a reviewer is named.
    page.get_by_role("link", name="Triage").click()
    page.get_by_label("Moderate harm", exact=True).check()
    page.get_by_label("Reason for any change").fill(
        "The GP found a sprain that needs two weeks of treatment."
    )
    page.get_by_label("Status").select_option("under_review")
    page.get_by_label("Reviewer").select_option(label="Sam Supervisor (Supervisor)")
    page.get_by_role("button", name="Save triage").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the triage")
    expect(page.get_by_test_id("harm")).to_have_text("Moderate harm")
    expect(page.get_by_test_id("reviewer")).to_have_text("Sam Supervisor")
    # Moderate harm now asks about the duty of candour too.
    expect(page.locator('[data-rule="candour_in_person"]')).to_be_visible()

    # Record the RIDDOR decision, with when it was done and the HSE reference.
    page.locator('[data-rule="riddor_over_7_day"]').get_by_role(
        "link", name=re.compile("Record decision")
    ).click()
    page.get_by_label("Applies", exact=True).check()
    page.get_by_label("Rationale").fill(
        "Physical violence to a worker; off work for more than 7 days."
    )
    done = (NOW - timedelta(minutes=20)).astimezone(UK).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("When it was done (UK time)").fill(done)
    page.get_by_label("Reference", exact=True).fill("RIDDOR-2026-0042")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded the decision")

    # And that candour does not apply, with the reason.
    page.locator('[data-rule="candour_in_person"]').get_by_role(
        "link", name=re.compile("Record decision")
    ).click()
    page.get_by_label("Does not apply", exact=True).check()
    page.get_by_label("Rationale").fill(
        "Harm arose from the person's distress, not from the care given."
    )
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded the decision")

    # The timeline shows it all, with who did what.
    timeline = page.get_by_test_id("timeline")
    for text in (
        "It happened",
        "Reported on the phone",
        "Received by Candour",
        "Duties to decide",
        "Seen by a manager",
        "Triaged",
        "Harm: Low harm → Moderate harm",
        "Reason: The GP found a sprain",
        "Reviewer: (none) → Sam Supervisor",
        "Decision recorded: RIDDOR report: over-7-day injury",
        "Done: RIDDOR report: over-7-day injury",
        "Reference: RIDDOR-2026-0042",
        "Decision recorded: Duty of candour: tell the person in person",
        "Morgan Manager",
    ):
        expect(timeline).to_contain_text(text)

    # Nothing wider than the phone, and no CSP violations on the way.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert violations == []


def test_carer_hears_back_on_their_list(page: Page, live: Any, app: Flask):
    examples = _report_through_the_api(app)
    manager = Client(app.test_client())
    manager.sign_in("manager@example.com")
    # The manager opening the omission makes it "seen".
    omission_id = examples[0][1]["id"]
    manager.get(f"/incidents/{omission_id}")
    sign_in(page, "carer1@example.com")
    page.goto("/incidents")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your reports")
    expect(_cards(page)).to_have_count(2)
    omission = page.locator('[data-testid="incident-card"]:has-text("Medication")')
    expect(omission.get_by_test_id("seen")).to_contain_text("Seen by a manager on")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_filters_work_without_javascript(browser: Any, live: Any, app: Flask):
    _report_through_the_api(app)
    context = browser.new_context(
        java_script_enabled=False,
        base_url=live.url,
        viewport={"width": 360, "height": 740},
    )
    page = context.new_page()
    try:
        sign_in(page, "office@example.com")
        page.goto("/incidents")
        expect(_cards(page)).to_have_count(5)
        page.get_by_label("Search").fill("bathroom")
        page.get_by_role("button", name="Show incidents").click()
        expect(page).to_have_url(re.compile(r"q=bathroom"))
        expect(_cards(page)).to_have_count(1)
    finally:
        context.close()


SMALL_TARGETS = """() => [...document.querySelectorAll(
    'main a, main button, main .nhsuk-button, main input:not([type=hidden]), main select, main summary')]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const box = el.type === 'radio' || el.type === 'checkbox'
      ? el.closest('.nhsuk-radios__item, .nhsuk-checkboxes__item').getBoundingClientRect()
      : el.getBoundingClientRect();
    return [el.name || el.textContent.trim().slice(0, 40), Math.round(box.height)];
  })
  .filter(([, h]) => h < 44)"""


def test_review_pages_have_44px_targets_and_fit_a_phone(page: Page, live: Any, app: Flask):
    examples = _report_through_the_api(app)
    behaviour_id = examples[1][1]["id"]
    sign_in(page, "manager@example.com")
    page.goto("/incidents")
    page.get_by_text("More filters and sorting").click()
    pages = ["/incidents"]
    with app.app_context():
        from extensions import db
        from incidents.models import IncidentDecision

        decision_id = db.session.scalars(
            db.select(IncidentDecision.id).where(IncidentDecision.incident_id == behaviour_id)
        ).first()
        db.session.remove()
    pages += [
        f"/incidents/{behaviour_id}",
        f"/incidents/{behaviour_id}/triage",
        f"/incidents/{behaviour_id}/decisions/{decision_id}",
        f"/incidents/{behaviour_id}/details",
        f"/incidents/{behaviour_id}/chase",
    ]
    for path in pages:
        if path != "/incidents":
            page.goto(path)
        assert page.evaluate(SMALL_TARGETS) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
