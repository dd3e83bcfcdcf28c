"""Spot checks on a 360 px phone in real Chromium: a supervisor completes a
medication spot check with two failed critical items (with signal, and with
none: the same outbox as incidents), the manager sees the score and the two new
actions, and a re-audit lets the manager mark one action verified effective.
Also measures the two form layouts against each other."""

from __future__ import annotations

import math
import re
import time
from typing import Any

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from actions.models import Action
from audits.demo import TEMPLATES
from audits.models import Audit
from extensions import db
from tests.browser.conftest import open_menu, sign_in
from tests.browser.offline_support import (
    FORMS_READY,
    SAVED,
    Wire,
    device_ids,
    open_ready,
    wait_until,
    watch_api,
)

MED = next(t for t in TEMPLATES if t["slug"] == "medication-spot-check")
KEYS = [i["key"] for i in MED["items"]]
FAILED = {
    "right-dose": "Gave two 500 mg tablets; the MAR chart says one since Monday.",
    "time-critical-on-time": "Parkinson's dose due 08:00 given at 09:10 after a late call.",
}


def _answer_label(page: Page, n: int, answer: str) -> Any:
    suffix = "" if answer == "yes" else f"-{answer}"
    return page.locator(f"label[for='field-answers-{n}-answer{suffix}']")


def _csp_watch(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return violations


def _fill_check(page: Page, colleague: str, failures: dict[str, str]) -> None:
    page.get_by_label("Who are you observing?").select_option(label=colleague)
    page.get_by_label("Person supported (optional)").select_option("P-0001")
    for n, key in enumerate(KEYS):
        if key in failures:
            _answer_label(page, n, "no").click()
            note = page.locator(f"#field-answers-{n}-note")
            expect(note).to_be_visible()  # the note opens when an item is not met
            note.fill(failures[key])
        else:
            _answer_label(page, n, "yes").click()
    expect(page.locator("[data-progress]")).to_contain_text(f"{len(KEYS)} of {len(KEYS)} answered")


def test_spot_check_on_a_phone_raises_actions_and_a_reaudit_verifies_one(
    app: Flask, browser: Browser, browser_context_args: dict[str, Any], page: Page, live, templates
):
    violations = _csp_watch(page)
    # The supervisor, at a medicines call.
    sign_in(page, "supervisor@example.com")
    page.get_by_role("link", name="Start a spot check").click()
    page.get_by_role("link", name=re.compile("Medication spot check")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Medication spot check")
    page.locator("#field-answers-0-item summary").click()  # guidance on tap
    expect(page.locator("#field-answers-0-item .nhsuk-details__text")).to_be_visible()
    _fill_check(page, "Amina Carer (Carer)", FAILED)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Save spot check").click()
    expect(page.get_by_text("2 actions raised")).to_be_visible()
    expect(page.get_by_test_id("outcome")).to_have_text("A critical standard not met")
    audit_url = page.url

    with app.app_context():
        audit = db.session.scalar(db.select(Audit))
        score = audit.score
        actions = db.session.scalars(db.select(Action).order_by(Action.id)).all()
        assert [a.source_item for a in actions] == list(FAILED)
        assert {a.owner.email for a in actions} == {"manager@example.com"}
        first_action = actions[0].id
        db.session.remove()
    expect(page.get_by_test_id("score")).to_contain_text(f"{score:g}%")

    # The registered manager, on their own phone.
    manager_context = browser.new_context(**browser_context_args)
    manager = manager_context.new_page()
    manager_violations = _csp_watch(manager)
    sign_in(manager, "manager@example.com")
    open_menu(manager)
    manager.get_by_role("link", name="Spot checks").click()
    result = manager.get_by_test_id("results").locator("li").first
    expect(result).to_contain_text("Medication spot check – Amina Carer")
    expect(result).to_contain_text(f"{score:g}%")
    expect(result).to_contain_text("2 actions")
    result.get_by_role("link").click()
    expect(manager.get_by_test_id("actions").locator("li")).to_have_count(2)
    expect(manager.get_by_test_id("actions")).to_contain_text("Not met: Right dose")
    expect(manager.get_by_test_id("actions")).to_contain_text("Owner Morgan Manager")

    # A week later the supervisor re-audits the dose action.
    page.goto(audit_url)
    page.get_by_test_id("actions").locator("li").first.get_by_role(
        "link", name="Re-audit this"
    ).click()
    expect(page.get_by_test_id("reaudit-of")).to_contain_text(f"action {first_action}")
    expect(page.get_by_label("Who are you observing?")).to_have_value(str(templates["carer1"].id))
    for n in range(len(KEYS)):
        _answer_label(page, n, "yes").click()
    page.get_by_role("button", name="Save spot check").click()
    expect(page.get_by_test_id("reaudit")).to_contain_text(f"Re-audit of action {first_action}")
    expect(page.get_by_test_id("outcome")).to_have_text("Standards met")
    reaudit_url = page.url

    # The manager sees the result and marks the action verified effective.
    manager.goto(reaudit_url)
    reaudit = manager.get_by_test_id("reaudit")
    expect(reaudit).to_contain_text("This time: Yes")
    reaudit.get_by_label("Verified effective").check()
    reaudit.get_by_role("button", name="Save verification").click()
    expect(manager.get_by_test_id("reaudit").get_by_test_id("action-status")).to_have_text(
        "Verified effective"
    )
    with app.app_context():
        action = db.session.get_one(Action, first_action)
        assert action.status == "verified_effective"
        assert action.verified_by.email == "manager@example.com"
        assert db.session.scalar(db.select(db.func.count(Audit.id))) == 2
    assert violations == []
    assert manager_violations == []
    manager_context.close()


def test_spot_check_made_offline_arrives_once_with_its_actions_and_a_reaudit_verifies_one(
    app: Flask, browser: Browser, browser_context_args: dict[str, Any], page: Page, live, templates
):
    """The issue's "done when": the check is completed and saved with no signal,
    sent exactly once when signal returns, and the manager sees the score and
    the two new actions; a re-audit linked to one action marks it verified."""
    sign_in(page, "supervisor@example.com")
    open_ready(page, "/audits/new/medication-spot-check")  # the phone keeps the blank form
    wire = Wire()
    watch_api(page.context, wire, "/api/v1/audits")

    page.context.set_offline(True)
    page.goto("/audits/new")
    page.get_by_role("link", name=re.compile("Medication spot check")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Medication spot check")
    page.wait_for_function(FORMS_READY)
    _fill_check(page, "Amina Carer (Carer)", FAILED)
    audit_id = page.locator("form[data-offline-form] input[name=entry_id]").input_value()
    page.get_by_role("button", name="Save spot check").click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    assert device_ids(page) == [audit_id]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Audit.id))) == 0
        db.session.remove()

    page.context.set_offline(False)  # the online event and Background Sync send it
    wait_until(page, lambda: not device_ids(page), what="the outbox to empty")
    with app.app_context():
        audits = db.session.scalars(db.select(Audit)).all()
        assert [a.id for a in audits] == [audit_id]  # exactly once
        score = audits[0].score
        actions = db.session.scalars(db.select(Action).order_by(Action.id)).all()
        assert [a.source_item for a in actions] == list(FAILED)  # two, not four
        first_action = actions[0].id
        db.session.remove()
    assert wire.per_entry()[audit_id] >= 1
    assert 201 in wire.answers
    assert all(status in (200, 201) for status in wire.answers)

    manager_context = browser.new_context(**browser_context_args)
    manager = manager_context.new_page()
    sign_in(manager, "manager@example.com")
    manager.goto(f"/audits/{audit_id}")
    expect(manager.get_by_test_id("score")).to_contain_text(f"{score:g}%")
    expect(manager.get_by_test_id("actions").locator("li")).to_have_count(2)

    # Back online, the supervisor re-audits the first action; the manager verifies it.
    page.goto(f"/audits/reaudit/{first_action}")
    for n in range(len(KEYS)):
        _answer_label(page, n, "yes").click()
    page.get_by_role("button", name="Save spot check").click()
    expect(page.get_by_test_id("reaudit")).to_contain_text(f"Re-audit of action {first_action}")
    manager.goto(page.url)
    manager.get_by_test_id("reaudit").get_by_label("Verified effective").check()
    manager.get_by_role("button", name="Save verification").click()
    expect(manager.get_by_test_id("reaudit").get_by_test_id("action-status")).to_have_text(
        "Verified effective"
    )
    wait_until(page, lambda: not device_ids(page), what="the re-audit to leave the outbox")
    manager_context.close()


def test_a_half_done_spot_check_survives_the_app_closing_with_no_signal(
    app: Flask, page: Page, live, templates
):
    sign_in(page, "supervisor@example.com")
    open_ready(page, "/audits/new/medication-spot-check")
    page.context.set_offline(True)
    page.reload()
    page.wait_for_function(FORMS_READY)
    page.get_by_label("Who are you observing?").select_option(label="Ben Carer (Carer)")
    _answer_label(page, 0, "yes").click()
    _answer_label(page, 2, "no").click()
    page.locator("#field-answers-2-note").fill(FAILED["right-dose"])
    page.wait_for_function(
        "() => Boolean(document.querySelector('form[data-offline-form]').dataset.draftSaved)"
    )
    context = page.context
    page.close()  # the phone closes the app

    again = context.new_page()
    again.goto("/audits/new/medication-spot-check")
    again.wait_for_function(FORMS_READY)
    expect(again.get_by_text("We kept what you had typed")).to_be_visible()
    expect(again.locator("#field-answers-0-answer")).to_be_checked()
    expect(again.locator("#field-answers-2-answer-no")).to_be_checked()
    expect(again.locator("#field-answers-2-note")).to_have_value(FAILED["right-dose"])
    expect(again.get_by_label("Who are you observing?")).to_have_value(str(templates["carer2"].id))
    expect(again.locator("[data-progress]")).to_contain_text("2 of 10 answered")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Audit.id))) == 0


def test_the_carer_reads_their_feedback_and_acknowledges_it(
    app: Flask, page: Page, live, templates
):
    from tests.conftest import Client
    from tests.factories import audit_payload

    client = Client(app.test_client())
    client.sign_in("supervisor@example.com")
    body = audit_payload(templates["carer1"].id, fail=("stock-matches",), feedback="Count first.")
    assert client.post_json("/api/v1/audits", body).status_code == 201

    sign_in(page, "carer1@example.com")
    section = page.get_by_test_id("feedback-waiting")
    expect(section).to_contain_text("Medication spot check")
    section.get_by_role("link").click()
    expect(page.get_by_text("Count first.")).to_be_visible()
    page.get_by_role("button", name="I have read this feedback").click()
    expect(page.get_by_test_id("acknowledge")).to_contain_text("You confirmed you read this")
    page.goto("/")
    expect(page.get_by_test_id("feedback-waiting")).to_have_count(0)


# --- which layout is faster on a phone ------------------------------------------------


def _tap(page: Page, locator: Any, tally: dict[str, float]) -> None:
    """A tap, plus the swipes a person would need first if the target is not
    on screen (three quarters of a screen per swipe; the sticky progress bar
    at the bottom hides what is under it)."""
    box = locator.evaluate(
        """el => { const r = el.getBoundingClientRect();
                    const bar = document.querySelector('[data-progress]');
                    const bottom = innerHeight - (bar ? bar.getBoundingClientRect().height : 0);
                    return {top: r.top, bottom: r.bottom, limit: bottom, height: innerHeight}; }"""
    )
    if box["bottom"] > box["limit"]:
        distance = box["bottom"] - box["limit"]
    elif box["top"] < 0:
        distance = -box["top"]
    else:
        distance = 0
    if distance:
        tally["swipes"] += math.ceil(distance / (0.75 * box["height"]))
        tally["scrolled_px"] += distance
    tally["taps"] += 1
    locator.click()


def _complete(page: Page, stepped: bool) -> dict[str, float]:
    page.goto("/audits/new/medication-spot-check")
    page.wait_for_load_state("networkidle")
    if stepped:
        page.get_by_role("button", name="One question at a time").click()
    tally = {"taps": 0, "swipes": 0, "scrolled_px": 0.0}
    started = time.perf_counter()
    page.get_by_label("Who are you observing?").select_option(label="Ben Carer (Carer)")
    tally["taps"] += 2  # open the list, pick
    for n, key in enumerate(KEYS):
        if key in FAILED:
            _tap(page, _answer_label(page, n, "no"), tally)
            note = page.locator(f"#field-answers-{n}-note")
            _tap(page, note, tally)
            note.fill(FAILED[key])
            if stepped:
                _tap(page, page.locator("[data-step=next]"), tally)
        else:
            _tap(page, _answer_label(page, n, "yes"), tally)
    _tap(page, page.get_by_role("button", name="Save spot check"), tally)
    expect(page.get_by_test_id("outcome")).to_be_visible()
    tally["seconds"] = round(time.perf_counter() - started, 2)
    return tally


def test_the_scrolling_form_is_no_slower_than_one_question_at_a_time(
    app: Flask, page: Page, live, templates, capsys
):
    """The issue asks for whichever layout tests faster on a phone. Both are
    completed here with the same answers; the default (a single scrolling form
    that brings the next question into view after each answer) must need no
    more taps and swipes than the one-question-at-a-time layout."""
    sign_in(page, "supervisor@example.com")
    scrolling = _complete(page, stepped=False)
    stepped = _complete(page, stepped=True)
    with capsys.disabled():
        print(f"\nspot-check layouts at 360x740: scrolling {scrolling} | one at a time {stepped}")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Audit.id))) == 2
    assert scrolling["taps"] + scrolling["swipes"] <= stepped["taps"] + stepped["swipes"], (
        scrolling,
        stepped,
    )


SMALL_TARGETS = """() => [...document.querySelectorAll(
      'main button, main .nhsuk-button, main input:not([type=hidden]), main select, main textarea,'
      + ' main summary, main .app-links a, main .app-result__link, main .app-choice, main .app-answers__button')]
  .filter(el => el.offsetParent !== null && !el.classList.contains('app-answers__input'))
  .map(el => { const box = (el.type === 'radio' || el.type === 'checkbox')
                 ? el.closest('.nhsuk-radios__item, .nhsuk-checkboxes__item').getBoundingClientRect()
                 : el.getBoundingClientRect();
               return [el.name || el.textContent.trim().slice(0, 40), Math.round(box.height)]; })
  .filter(([, height]) => height < 44)"""


def test_spot_check_pages_fit_a_phone_with_44px_touch_targets(page: Page, live, templates):
    from tests.conftest import Client
    from tests.factories import audit_payload

    sign_in(page, "manager@example.com")
    client = Client(live.app.test_client())
    client.sign_in("supervisor@example.com")
    body = audit_payload(templates["carer1"].id, fail=("right-dose", "stock-matches"))
    assert client.post_json("/api/v1/audits", body).status_code == 201
    for url in (
        "/audits/new",
        "/audits/new/medication-spot-check",
        "/audits",
        f"/audits/{body['id']}",
        "/audits/schedules",
        "/audits/templates",
        "/audits/templates/medication-spot-check/preview?version=1",
        "/audits/failure-rates",
    ):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
        assert page.evaluate(SMALL_TARGETS) == [], url
