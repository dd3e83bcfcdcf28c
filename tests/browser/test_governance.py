"""The governance dashboard in a real browser: on a 360 px phone and a 1280 px
screen nothing is wider than the screen and nothing breaks the Content-Security-
Policy; the manager changes the period with htmx, records a meeting and agrees an
action from it."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from core import dates
from extensions import db
from tests.browser.conftest import SCREENS, open_menu, sign_in
from tests.governance.conftest import in_month, user
from tests.learning.conftest import complete_review, make_incident


@pytest.fixture
def world(app: Flask, live: Any) -> None:
    """Some months of reports and a completed review, so every section has rows."""
    with app.app_context():
        carer = user("carer1")
        for months_back in range(1, 9):
            for _ in range(months_back % 3 + 1):
                make_incident(carer, in_month(months_back), kind="near_miss")
        fall = make_incident(carer, in_month(1), kind="incident", category="fall", harm="low")
        complete_review(user("manager"), [fall], conditions=["handover", "equipment"])
        db.session.remove()


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("screen", list(SCREENS), indirect=True)
def test_the_manager_uses_the_dashboard_records_a_meeting_and_agrees_an_action(world, screen):
    name, page, violations = screen
    width = SCREENS[name]["width"]
    sign_in(page, "manager@example.com")
    open_menu(page)
    page.get_by_role("link", name="Governance").first.click()
    # Until the page has loaded, htmx may not be listening for the branch change.
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1, name="Governance")).to_be_visible()
    expect(page.locator("svg.app-gov-chart__svg")).to_be_visible()
    assert page.locator("[data-month]").count() == 12
    _fits(page, width)

    # htmx: choosing a branch and a period swaps the figures only, and the URL follows.
    page.get_by_label("Branch").select_option("NORTH")
    expect(page).to_have_url(re.compile(r"branch=NORTH"))
    page.get_by_label("Last 6 months").check()
    expect(page.locator("[data-month]")).to_have_count(6)
    expect(page).to_have_url(re.compile(r"months=6"))
    expect(page.get_by_test_id("gov-period")).to_contain_text("NORTH")
    _fits(page, width)

    page.get_by_test_id("record-meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a governance meeting")
    start = dates.uk_today().replace(day=1)
    for _ in range(5):
        start = (start - timedelta(days=1)).replace(day=1)
    expect(page.get_by_label("First day of the period looked at")).to_have_value(start.isoformat())
    _fits(page, width)
    page.get_by_label("Who attended").fill("Registered manager, supervisor, a carer representative")
    page.get_by_label("Minutes").fill(
        "Falls were within ordinary variation. Handover came up twice."
    )
    page.get_by_role("button", name="Record meeting").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Governance meeting")
    expect(page.get_by_test_id("minutes")).to_contain_text("Handover came up twice.")
    expect(page.get_by_test_id("gov-themes")).to_contain_text("Handover")
    _fits(page, width)

    page.get_by_test_id("raise-action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an action")
    page.get_by_label("What will be done?").fill("Introduce a written handover checklist")
    page.get_by_label("Due date").fill((dates.uk_today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Agree action").click()
    expect(page.get_by_test_id("meeting-actions")).to_contain_text(
        "Introduce a written handover checklist"
    )
    _fits(page, width)
    assert violations == []


SECTIONS = [
    "The figures the meeting saw",
    "Incidents and near misses",
    "Themes from learning reviews",
    "Regulatory duties",
    "Actions",
    "Spot checks",
    "Learning shared",
    "Open patterns",
]


def test_the_meeting_pack_prints_on_a4_with_each_section_on_its_own_page(
    world, app: Flask, page: Page
):
    """Printed by Chromium's own print engine (as "Save as PDF" does) and read
    back: no menus or buttons, the minutes there, each section starting a page."""
    from pypdf import PdfReader

    from tests.governance.conftest import record

    with app.app_context():
        meeting_id = record(
            user("manager"), branch="NORTH", minutes="Falls were within ordinary variation."
        ).id
        db.session.remove()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "manager@example.com")
    page.goto(f"/governance/meetings/{meeting_id}/pack")
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))

    width_mm = float(pdf.pages[0].mediabox.width) / 72 * 25.4
    assert round(width_mm) == 210
    # NFKC: the print engine sets "fi" as one ligature glyph.
    texts = [" ".join(unicodedata.normalize("NFKC", p.extract_text()).split()) for p in pdf.pages]
    whole = " ".join(texts)
    assert "Falls were within ordinary variation." in whole
    for menu_word in ("Sign out", "Back to the meeting", "Print this page", "(Link:"):
        assert menu_word not in whole
    starts = {}
    for heading in SECTIONS:
        [number] = [n for n, text in enumerate(texts) if text.startswith(heading)]
        starts[heading] = number
    # In order, each on a later page than the one before.
    assert list(starts.values()) == sorted(set(starts.values()))
    # The meeting's record (details, minutes, decisions, actions) is the first page.
    assert starts[SECTIONS[0]] == 1
    for part in ("Held on", "Minutes", "Decisions", "Actions agreed"):
        assert part in texts[0]
