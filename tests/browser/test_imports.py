"""The imports page in real Chromium on a 360 px phone: upload, preview, confirm
without JavaScript; each step fits the screen, has big controls and passes axe."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import Browser, FilePayload, Page, expect

from core.models import PersonSupported
from extensions import db
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import AXE, CHECK, RULES
from tests.browser.test_learning_pages import SMALL_CONTROLS
from tests.imports.conftest import PEOPLE_HEADER, excel_csv

GOOD = excel_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "P-0001,ZZ,NORTH", "P-0002,CD,NORTH")
BAD = excel_csv(PEOPLE_HEADER, "X-1,AB,NORTH", "X-2,CD,EAST")


def _upload(page: Page, data: bytes) -> None:
    page.goto("/imports")
    page.get_by_label("CSV file of people supported").set_input_files(
        files=FilePayload(name="people.csv", mimeType="text/csv", buffer=data)
    )
    page.get_by_role("button", name="Preview people import").click()


def _ref(app: Flask, ref: str) -> str | None:
    with app.app_context():
        person = db.session.scalar(db.select(PersonSupported).where(PersonSupported.ref == ref))
        initials = person.initials if person else None
        db.session.remove()
    return initials


def test_upload_preview_and_confirm_without_javascript(
    live: Any, app: Flask, browser: Browser, browser_context_args: dict[str, Any]
):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "office@example.com")
    _upload(page, GOOD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the people supported import")
    expect(page.get_by_test_id("counts")).to_contain_text("1 to add, 1 to update, 1 unchanged")
    assert _ref(app, "X-1") is None
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_test_id("summary")).to_contain_text("1 added, 1 updated, 1 unchanged")
    assert _ref(app, "X-1") == "AB"
    assert _ref(app, "P-0001") == "ZZ"
    context.close()


def test_each_step_fits_a_phone_and_passes_the_accessibility_check(
    live: Any, browser: Browser, browser_context_args: dict[str, Any]
):
    assert AXE.exists(), "run make setup: axe-core comes from npm"
    context = browser.new_context(**browser_context_args, bypass_csp=True, service_workers="block")
    page = context.new_page()
    sign_in(page, "manager@example.com")
    found: dict[str, Any] = {}

    def check(step: str) -> None:
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.evaluate(AXE.read_text())
        found[step] = {
            "axe": page.evaluate(CHECK, RULES),
            "width": page.evaluate("document.documentElement.scrollWidth"),
            "small": page.evaluate(SMALL_CONTROLS),
        }

    page.goto("/imports")
    check("upload")
    _upload(page, BAD)
    expect(page.get_by_role("alert")).to_contain_text("Line 3: No branch has the code EAST.")
    check("preview with an error")
    _upload(page, GOOD)
    check("preview")
    page.get_by_role("button", name="Confirm import").click()
    check("done")
    context.close()
    assert {
        step: f for step, f in found.items() if f["axe"] or f["width"] > 360 or f["small"]
    } == {}
