"""The body map on a phone (360 x 740, touch), with no signal: a carer taps two
places on the outlines, says what each mark is, saves the report on the phone,
and back online it arrives exactly once with both marks."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import Browser, Page, expect

from extensions import db
from incidents.models import BodyMark
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
from tests.browser.test_accessibility import AXE, CHECK, RULES
from tests.conftest import report_as
from tests.factories import incident_payload

THUMB = 44  # px: the smallest target for a gloved thumb


def _server_marks(app: Flask, incident_id: str) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(BodyMark).where(BodyMark.incident_id == incident_id).order_by(BodyMark.id)
        ).all()
        found = [row.as_json() for row in rows]
        db.session.remove()
        return found


def test_two_places_tapped_with_no_signal_arrive_once_with_both_marks(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    wire = Wire()
    watch_api(page.context, wire)
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Report an incident or near miss")).to_be_visible()
    fill_quickly(page, "Bruise on her arm and a sore at the base of her spine.", category="skin")

    # Every place on the front outline is big enough for a thumb, bar the neck.
    for box in page.locator('[data-body-side="front"] [data-region]').evaluate_all(
        "els => els.map(e => [e.dataset.region, e.getBoundingClientRect().width,"
        " e.getBoundingClientRect().height])"
    ):
        if box[0] != "front_neck":
            assert min(box[1], box[2]) >= THUMB, box

    page.locator('[data-region="front_right_forearm"]').tap()
    first = page.locator("[data-body-mark]").nth(0)
    expect(first.get_by_label("Where on the body")).to_have_value("front_right_forearm")
    expect(first.get_by_label("What kind of mark")).to_be_focused()
    first.get_by_label("What kind of mark").select_option("bruise")
    first.get_by_label("Size (optional)").fill("3 cm by 2 cm")
    # Not pressure damage: its questions are not asked.
    expect(first.get_by_label("Category of the pressure damage")).to_be_hidden()

    page.get_by_role("button", name="Back", exact=True).tap()
    expect(page.locator('[data-region="front_right_forearm"]')).to_be_hidden()
    page.locator('[data-region="back_sacrum"]').tap()
    second = page.locator("[data-body-mark]").nth(1)
    expect(second.get_by_label("Where on the body")).to_have_value("back_sacrum")
    second.get_by_label("What kind of mark").select_option("pressure_damage")
    second.get_by_label("Category of the pressure damage").select_option("3")
    second.get_by_role(
        "group", name="Did this develop while we were caring for them?"
    ).get_by_label("Yes").check()
    # The outline shows both places marked, numbered as the list.
    expect(page.locator(".app-body-region--marked")).to_have_count(2)
    expect(page.locator('[data-body-side="back"] [data-body-numbers] text')).to_have_text("2")

    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    entries = device_entries(page)
    assert [e["status"] for e in entries] == ["waiting"]
    assert [m["region"] for m in entries[0]["payload"]["body_map"]] == [
        "front_right_forearm",
        "back_sacrum",
    ]
    assert wire.posts == []

    made = entries[0]["id"]
    sent_once_back_online(page, app, wire, made)
    assert _server_marks(app, made) == [
        {
            "region": "front_right_forearm",
            "side": "front",
            "kind": "bruise",
            "pressure_category": None,
            "developed_in_care": None,
            "size": "3 cm by 2 cm",
            "note": "",
        },
        {
            "region": "back_sacrum",
            "side": "back",
            "kind": "pressure_damage",
            "pressure_category": "3",
            "developed_in_care": True,
            "size": "",
            "note": "",
        },
    ]


def test_pressure_damage_without_its_answers_is_caught_on_the_phone(
    page: Page, live: LiveServer, app: Flask
):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    page.reload()
    fill_quickly(page, "A sore on her heel.", category="skin")
    page.get_by_role("button", name="Back", exact=True).tap()
    page.locator('[data-region="back_left_heel"]').tap()
    page.locator("[data-body-mark]").nth(0).get_by_label("What kind of mark").select_option(
        "pressure_damage"
    )
    page.get_by_role("button", name=SEND).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Choose the category of the pressure damage.")
    expect(summary).to_contain_text(
        "Say whether this pressure damage developed while we were caring for them."
    )
    assert device_entries(page) == []


def test_the_form_with_marks_and_a_record_with_marks_pass_axe(
    browser: Browser, browser_context_args: dict[str, Any], live: LiveServer, app: Flask, seeded
):
    # /incidents/new is in test_accessibility.py blank; here with its marks shown.
    body = incident_payload(
        body_map=[
            {"region": "front_chest", "side": "front", "kind": "burn", "note": "Red patch."},
            {
                "region": "back_right_heel",
                "side": "back",
                "kind": "pressure_damage",
                "pressure_category": "unstageable",
                "developed_in_care": True,
            },
        ]
    )
    incident_id, _ = report_as(app, seeded["carer1"].id, body)
    context = browser.new_context(**browser_context_args, bypass_csp=True, service_workers="block")
    page = context.new_page()
    sign_in(page, "carer1@example.com")
    page.goto("/incidents/new")
    page.locator('[data-region="front_left_hand"]').tap()
    page.get_by_role("button", name="Back", exact=True).tap()
    page.locator('[data-region="back_sacrum"]').tap()
    page.locator("[data-body-mark]").nth(1).get_by_label("What kind of mark").select_option(
        "pressure_damage"
    )
    source = AXE.read_text()
    found = {}
    for path in (None, f"/incidents/{incident_id}"):
        if path:
            page.goto(path)
        page.evaluate(source)
        violations = page.evaluate(CHECK, RULES)
        if violations:
            found[path or "/incidents/new with marks"] = violations
    context.close()
    assert found == {}


def test_marks_in_a_half_filled_form_survive_the_app_being_closed(page: Page, live: LiveServer):
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.locator('[data-region="front_left_knee"]').tap()
    page.locator("[data-body-mark]").nth(0).get_by_label("What kind of mark").select_option("wound")
    page.get_by_role("button", name="Back", exact=True).tap()
    page.locator('[data-region="back_right_heel"]').tap()
    second = page.locator("[data-body-mark]").nth(1)
    second.get_by_label("What kind of mark").select_option("pressure_damage")
    second.get_by_label("Category of the pressure damage").select_option("deep_tissue")
    page.get_by_label("What happened?").fill("Sore heel found at the morning call.")
    context = page.context
    context.set_offline(True)
    page.close()

    again = context.new_page()
    again.goto("/incidents/new")
    again.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    expect(again.locator("[data-offline-notice=draft]")).to_contain_text(
        "We kept what you had typed"
    )
    marks = again.locator("[data-body-mark]")
    expect(marks).to_have_count(2)
    expect(marks.nth(0).get_by_label("Where on the body")).to_have_value("front_left_knee")
    expect(marks.nth(0).get_by_label("What kind of mark")).to_have_value("wound")
    expect(marks.nth(1).get_by_label("Where on the body")).to_have_value("back_right_heel")
    expect(marks.nth(1).get_by_label("Category of the pressure damage")).to_have_value(
        "deep_tissue"
    )
    expect(again.locator(".app-body-region--marked")).to_have_count(2)
