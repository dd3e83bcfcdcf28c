"""In real Chromium on a phone: a manager goes from a team hotspot on /patterns to
that team's incidents in one tap, changes the team in the list (htmx, no reload),
and both pages pass axe-core with the team filter and the hotspot link on them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from core import demo
from extensions import db
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import AXE, CHECK, RULES
from tests.learning.conftest import NOW, make_incident


def _user(key: str) -> Any:
    from core.models import User

    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


def _hotspot(app: Flask) -> None:
    """Moorside round (carer2): 4 falls; Town centre (carer1, supervisor): 1 fall."""
    with app.app_context():
        demo.seed_teams()
        for days in (2, 5, 9, 14):
            make_incident(_user("carer2"), NOW - timedelta(days=days), category="fall")
        make_incident(_user("carer1"), NOW - timedelta(days=3), category="fall")
        db.session.remove()


def test_from_a_team_hotspot_to_its_incidents_and_another_team(page: Page, live: Any, app: Flask):
    _hotspot(app)
    sign_in(page, "manager@example.com")
    page.goto("/patterns")
    page.get_by_role(
        "link", name=re.compile(r"Open these in the incident list.*Moorside round team")
    ).click()
    expect(page).to_have_url(re.compile(r"/incidents\?.*team=\d+"))
    cards = page.get_by_test_id("incident-card")
    expect(cards).to_have_count(4)
    expect(page.get_by_label("Reporter's team")).to_have_value(re.compile(r"\d+"))

    # Another team, with htmx: the results change without a reload.
    page.evaluate("window.__samePage = true")
    page.get_by_label("Reporter's team").select_option(label="North branch – Town centre")
    expect(cards).to_have_count(1)
    assert page.evaluate("window.__samePage") is True
    page.reload()
    expect(cards).to_have_count(1)


def test_the_team_filter_and_the_hotspot_link_pass_axe(page: Page, live: Any, app: Flask):
    _hotspot(app)
    source = AXE.read_text()
    sign_in(page, "manager@example.com")
    for path in ("/incidents", "/patterns"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        page.evaluate(source)
        assert page.evaluate(CHECK, RULES) == [], path
