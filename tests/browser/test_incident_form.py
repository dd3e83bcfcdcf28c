"""A carer reports through the real form in Chromium on a 360 x 740 phone screen."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect

from extensions import db
from incidents.models import Incident
from tests.browser.conftest import sign_in
from tests.factories import local_input

UK = ZoneInfo("Europe/London")
REFERENCE = re.compile(rf"INC-{datetime.now(UTC).year}-\d{{4}}")


@dataclass
class Taps:
    """Every tap, tick and choice the script makes, apart from typing free text."""

    page: Page
    made: list[str] = field(default_factory=list)

    def tap(self, target: Locator, what: str) -> None:
        target.click()
        self.made.append(what)

    def choose(self, target: Locator, value: str, what: str) -> None:
        target.select_option(value)
        self.made.append(what)

    def type(self, target: Locator, text: str) -> None:
        target.fill(text)

    @property
    def count(self) -> int:
        return len(self.made)


def _tile(page: Page, question: str | re.Pattern[str], answer: str) -> Locator:
    """One answer tile within the question (fieldset) it belongs to."""
    group = page.get_by_role("group", name=question)
    return group.get_by_role("radio", name=re.compile(rf"^{re.escape(answer)}\b"))


def _incidents(app: Flask) -> list[Incident]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(Incident).order_by(Incident.received_at)))
        for row in rows:
            _ = (row.person, row.branch, row.author)
            db.session.expunge(row)
        return rows


# --- the brief's three operational examples ------------------------------------------------


@dataclass(frozen=True)
class Example:
    name: str
    category: str
    kind: str
    person: str
    what_happened: str
    immediate_actions: str
    harm: str
    told: list[tuple[str, str]]
    answers: tuple[str, str, str]
    medication_error: str | None = None
    time_critical: bool = False
    staff_injured: bool = False
    location: str = ""
    minutes_ago: int = 0


EXAMPLES = [
    Example(
        name="medication-omission-at-changeover",
        category="Medication",
        medication_error="Dose missed",
        time_critical=True,
        kind="Incident",
        person="P-0002",
        minutes_ago=70,
        what_happened=(
            "At the changeover between the morning and lunchtime calls the 12:00 "
            "Parkinson's dose was not given. The handover was by word of mouth only."
        ),
        immediate_actions=(
            "Gave the dose at 13:10 after checking with the on-call manager and the "
            "pharmacist. Stayed with CD and watched for stiffness."
        ),
        harm="Low",
        told=[("manager", "phone"), ("gp", "phone")],
        answers=("No", "Yes", "Yes"),
    ),
    Example(
        name="behaviour-staff-injured",
        category="Distress or behaviour",
        kind="Incident",
        person="P-0005",
        location="Lounge of the supported living flat",
        what_happened=(
            "Moving from lunch to the afternoon walk, JK became distressed and pushed me "
            "against the door frame. I hurt my wrist."
        ),
        immediate_actions=(
            "Gave JK space and used the calm-down routine from the support plan. A "
            "colleague came to help. Put an ice pack on my wrist."
        ),
        harm="No harm",
        staff_injured=True,
        told=[("manager", "in_person")],
        answers=("Not sure", "No", "Yes"),
    ),
    Example(
        name="low-level-fall",
        category="Fall",
        kind="Incident",
        person="P-0003",
        location="Bathroom",
        what_happened=(
            "Found EF sitting on the bathroom floor. She said she slipped getting up; "
            "her slippers were loose."
        ),
        immediate_actions=(
            "Checked for injuries, helped her up as the care plan says, cleaned a small graze."
        ),
        harm="Low",
        told=[("family", "phone")],
        answers=("No", "No", "Yes"),
    ),
]

QUESTIONS = (
    "Could this be abuse or neglect?",
    "Does the person need a doctor, nurse, 111 or 999 because of this?",
    "Should their family or representative be told?",
)
CATEGORY_CODES = {"Medication": "medication", "Distress or behaviour": "behaviour", "Fall": "fall"}
HARM_CODES = {"No harm": "none", "Low": "low"}


def _report(page: Page, example: Example, taps: Taps) -> None:
    taps.tap(page.get_by_role("link", name="Report an incident or near miss"), "open the form")
    taps.tap(_tile(page, "What was it about?", example.category), "category")
    medication = page.get_by_role("group", name="What went wrong with the medicine?")
    if example.medication_error:
        taps.tap(
            _tile(page, "What went wrong with the medicine?", example.medication_error),
            "error type",
        )
        if example.time_critical:
            taps.tap(page.get_by_label("It is a time-critical medicine"), "time-critical")
    else:
        expect(medication).to_be_hidden()
    taps.tap(_tile(page, "Did it happen, or was it caught in time?", example.kind), "kind")
    taps.choose(page.get_by_label("Who was it about?"), example.person, "person")
    if example.minutes_ago:
        when = datetime.now(UTC) - timedelta(minutes=example.minutes_ago)
        taps.type(page.get_by_label("When did it happen?"), local_input(when))
    if example.location:
        taps.type(page.get_by_label("Where did it happen? (optional)"), example.location)
    taps.type(page.get_by_label("What happened?"), example.what_happened)
    taps.type(
        page.get_by_label("What was done straight away to keep the person safe?"),
        example.immediate_actions,
    )
    taps.tap(_tile(page, "Was anyone harmed?", example.harm), "harm")
    if example.staff_injured:
        taps.tap(page.get_by_label("A member of staff was hurt"), "staff hurt")
    for n, (who, method) in enumerate(example.told):
        if n:
            taps.tap(page.get_by_role("button", name="Add someone else"), "add a row")
        taps.choose(page.get_by_label("Who", exact=True).nth(n), who, "who was told")
        # Choosing who fills "when" with now; "how" starts as phone.
        expect(page.get_by_label("When", exact=True).nth(n)).not_to_have_value("")
        if method != "phone":
            taps.choose(page.get_by_label("How", exact=True).nth(n), method, "how")
    for question, answer in zip(QUESTIONS, example.answers, strict=True):
        taps.tap(_tile(page, question, answer), "threshold")
    taps.tap(page.get_by_role("button", name="Send report"), "send")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_a_carer_reports_each_example_and_sees_the_reference(
    page: Page, live: Any, app: Flask, example: Example
):
    sign_in(page, "carer1@example.com")
    _report(page, example, Taps(page))

    expect(page.get_by_role("heading", name="Report sent")).to_be_focused()
    reference = page.get_by_test_id("reference")
    expect(reference).to_have_text(REFERENCE)
    expect(page.get_by_role("link", name="Report another")).to_be_visible()

    [incident] = _incidents(app)
    assert incident.reference == reference.inner_text()
    assert incident.author.email == "carer1@example.com"
    assert incident.branch.code == "NORTH"
    assert incident.person.ref == example.person
    assert incident.kind == "incident"
    assert incident.category == CATEGORY_CODES[example.category]
    assert incident.medication_error == ("omission" if example.medication_error else None)
    assert incident.time_critical is example.time_critical
    assert incident.staff_injured is example.staff_injured
    assert incident.harm == HARM_CODES[example.harm]
    assert incident.location == example.location
    assert incident.what_happened == example.what_happened
    assert incident.immediate_actions == example.immediate_actions
    assert [(r["who"], r["method"]) for r in incident.people_informed] == example.told
    codes = {"Yes": "yes", "No": "no", "Not sure": "unsure"}
    assert (incident.safeguarding, incident.clinical_escalation, incident.family_contact) == tuple(
        codes[a] for a in example.answers
    )
    # The phone's clock and offset came with it (Europe/London in this browser).
    now = datetime.now(UTC)
    assert abs(incident.reported_at - now) < timedelta(minutes=2)
    expected = now - timedelta(minutes=example.minutes_ago)
    assert abs(incident.occurred_at - expected) < timedelta(minutes=2)
    uk_offset = datetime.now(UK).utcoffset()
    assert uk_offset is not None
    assert incident.occurred_offset == uk_offset.total_seconds() // 60


# --- how many taps a near miss takes ---------------------------------------------------------


def test_a_medication_omission_near_miss_takes_at_most_12_taps(page: Page, live: Any, app: Flask):
    sign_in(page, "carer1@example.com")
    taps = Taps(page)
    taps.tap(page.get_by_role("link", name="Report an incident or near miss"), "open the form")
    taps.tap(_tile(page, "What was it about?", "Medication"), "category: medication")
    taps.tap(_tile(page, "What went wrong with the medicine?", "Dose missed"), "error: dose missed")
    taps.tap(page.get_by_label("It is a time-critical medicine"), "time-critical")
    taps.tap(_tile(page, "Did it happen, or was it caught in time?", "Near miss"), "near miss")
    taps.choose(page.get_by_label("Who was it about?"), "P-0004", "person")
    taps.type(
        page.get_by_label("What happened?"),
        "Evening Parkinson's tablets were not in the blister pack. Noticed before the dose was due.",
    )
    taps.type(
        page.get_by_label("What was done straight away to keep the person safe?"),
        "Rang the on-call manager; the pharmacy delivered the tablets in time.",
    )
    # A near miss caused no harm: that answer is already given.
    expect(_tile(page, "Was anyone harmed?", "No harm")).to_be_checked()
    taps.choose(page.get_by_label("Who", exact=True), "manager", "told: manager")
    for question, answer in zip(QUESTIONS, ("No", "No", "Yes"), strict=True):
        taps.tap(_tile(page, question, answer), f"{question[:20]}…: {answer}")
    taps.tap(page.get_by_role("button", name="Send report"), "send")
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)

    print(f"\nTAPS for a medication-omission near miss: {taps.count} ({'; '.join(taps.made)})")
    assert taps.count <= 12
    [incident] = _incidents(app)
    assert (incident.kind, incident.category, incident.medication_error, incident.harm) == (
        "near_miss",
        "medication",
        "omission",
        "none",
    )
    assert incident.time_critical is True
    assert incident.people_informed[0]["who"] == "manager"
    assert incident.people_informed[0]["method"] == "phone"


# --- errors ---------------------------------------------------------------------------------


def test_a_missing_answer_shows_a_focused_summary_linking_to_it(page: Page, live: Any, app: Flask):
    sign_in(page, "carer1@example.com")
    page.goto("/incidents/new")
    _tile(page, "What was it about?", "Fall").click()
    _tile(page, "Did it happen, or was it caught in time?", "Incident").click()
    page.get_by_label("What happened?").fill("Found on the floor by the bed.")
    page.get_by_label("Where did it happen? (optional)").fill("Bedroom")
    page.get_by_role("button", name="Send report").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Say what was done straight away").click()
    expect(
        page.get_by_label("What was done straight away to keep the person safe?")
    ).to_be_focused()
    # What was typed and chosen is still there.
    expect(page.get_by_label("What happened?")).to_have_value("Found on the floor by the bed.")
    expect(page.get_by_label("Where did it happen? (optional)")).to_have_value("Bedroom")
    expect(_tile(page, "What was it about?", "Fall")).to_be_checked()
    expect(summary.get_by_role("link")).to_have_count(5)  # actions, harm, three questions
    assert _incidents(app) == []

    # Put right, it goes.
    page.get_by_label("What was done straight away to keep the person safe?").fill("Helped up.")
    _tile(page, "Was anyone harmed?", "No harm").click()
    for question in QUESTIONS:
        _tile(page, question, "No").click()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    assert len(_incidents(app)) == 1


# --- without JavaScript ------------------------------------------------------------------------


def test_the_form_works_without_javascript(
    browser: Browser, browser_context_args: dict[str, Any], live: Any, app: Flask
):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "carer2@example.com")
        page.get_by_role("link", name="Report an incident or near miss").click()
        # Every question is on the page: the medication ones and two "who was told" rows.
        expect(page.get_by_role("group", name="What went wrong with the medicine?")).to_be_visible()
        expect(page.get_by_label("Who", exact=True)).to_have_count(2)
        _tile(page, "What was it about?", "Medication").click()
        _tile(page, "What went wrong with the medicine?", "Wrong time").click()
        _tile(page, "Did it happen, or was it caught in time?", "Incident").click()
        page.get_by_label("Who was it about?").select_option("P-0007")
        page.get_by_label("What happened?").fill("Morning tablets given two hours late.")
        page.get_by_label("What was done straight away to keep the person safe?").fill(
            "Rang the GP surgery for advice."
        )
        _tile(page, "Was anyone harmed?", "No harm").click()
        page.get_by_label("Who", exact=True).first.select_option("gp")
        page.get_by_label("When", exact=True).first.fill(local_input(datetime.now(UTC)))
        for question in QUESTIONS:
            _tile(page, question, "No").click()
        page.get_by_role("button", name="Send report").click()

        page.wait_for_url(re.compile(r"/incidents/[0-9a-f-]{36}/sent$"))
        expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
        [incident] = _incidents(app)
        assert page.url.endswith(f"/incidents/{incident.id}/sent")
        assert incident.medication_error == "wrong_time"
        assert incident.author.email == "carer2@example.com"
        assert [r["who"] for r in incident.people_informed] == ["gp"]
    finally:
        context.close()


# --- the page itself ---------------------------------------------------------------------------


def test_the_form_fits_the_phone_with_big_targets_and_no_csp_violations(page: Page, live: Any):
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "carer1@example.com")
    page.goto("/incidents/new")
    _tile(page, "What was it about?", "Medication").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, .nhsuk-button, input:not([type=hidden]), select, textarea')]
             .filter(el => el.offsetParent !== null)
             .map(el => {
               const box = el.type === 'checkbox' ? el.closest('.nhsuk-checkboxes__item') : el;
               return [el.name || el.textContent.trim(), box.getBoundingClientRect().height];
             })
             .filter(([, h]) => h < 44)"""
    )
    assert small == []
    assert violations == []


# --- sending twice, and refusals, with the page script --------------------------------------


def _quick_near_miss(page: Page) -> None:
    page.goto("/incidents/new")
    _tile(page, "What was it about?", "Missed or late call").click()
    _tile(page, "Did it happen, or was it caught in time?", "Near miss").click()
    page.get_by_label("What happened?").fill("Rota showed two carers for one call.")
    page.get_by_label("What was done straight away to keep the person safe?").fill(
        "Rang the office; the rota was fixed."
    )
    for question in QUESTIONS:
        _tile(page, question, "No").click()


def test_a_double_tap_on_send_makes_one_report(page: Page, live: Any, app: Flask):
    sign_in(page, "carer1@example.com")
    _quick_near_miss(page)
    page.get_by_role("button", name="Send report").dblclick()
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    page.wait_for_timeout(300)
    assert len(_incidents(app)) == 1


def test_an_already_used_id_comes_back_as_the_form_with_a_new_id(page: Page, live: Any, app: Flask):
    sign_in(page, "carer1@example.com")
    _quick_near_miss(page)
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    [first] = _incidents(app)

    # The same id again with other answers (as a stale copy of the form would send).
    _quick_near_miss(page)
    page.locator("input[name=entry_id]").evaluate("(el, id) => { el.value = id; }", first.id)
    page.get_by_label("What happened?").fill("Something else.")
    page.get_by_role("button", name="Send report").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text(f"already sent as {first.reference}")
    expect(page.get_by_label("What happened?")).to_have_value("Something else.")
    assert page.locator("input[name=entry_id]").input_value() != first.id
    assert len(_incidents(app)) == 1


def test_a_refused_send_says_so_and_keeps_the_answers(page: Page, live: Any, app: Flask):
    sign_in(page, "carer1@example.com")
    _quick_near_miss(page)
    # Over the server's 256 KB limit: refused (413) whatever the phone does. (A stale
    # CSRF token is no refusal any more: the outbox fetches a fresh one first.)
    too_long = "Rota showed two carers for one call. " * 8000
    page.get_by_label("What happened?").fill(too_long)
    page.get_by_role("button", name="Send report").click()
    # The phone catches it first, with the server's own message (issue 15)...
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Say what happened, in up to 5,000 characters.")
    expect(page.get_by_label("What happened?")).to_have_value(too_long)
    assert _incidents(app) == []
    # ...and a form kept from before it carried the rules still hears the server's 413.
    page.evaluate("() => document.querySelector('script[data-offline-rules]').remove()")
    page.get_by_role("button", name="Send report").click()
    problem = page.locator("[data-form-problem]")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("too long")
    expect(page.get_by_label("What happened?")).to_have_value(too_long)
    expect(page.get_by_role("button", name="Send report")).to_be_enabled()
    assert _incidents(app) == []


def test_a_manager_of_two_branches_is_asked_the_branch_only_without_a_person(
    page: Page, live: Any, app: Flask
):
    sign_in(page, "manager@example.com")
    _quick_near_miss(page)
    branch = page.get_by_label(re.compile("Which branch was it in"))
    expect(branch).to_be_visible()
    page.get_by_label("Who was it about?").select_option("P-0012")
    expect(branch).to_be_hidden()
    page.get_by_label("Who was it about?").select_option("")
    branch.select_option("SOUTH")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    [incident] = _incidents(app)
    assert incident.person is None
    assert incident.branch.code == "SOUTH"
