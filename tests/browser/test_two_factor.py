"""Two-factor sign-in in real Chromium on a 360 px phone: a manager who must have
a second factor sets it up straight after the password (the QR code is an SVG
drawn by the server, no JavaScript), keeps the recovery codes, and signs in
with a code next time. Each page on the way, and each refusal of a wrong code,
fits the phone and passes the accessibility check (axe, as test_accessibility).

These pages are reached only through the sign-in flow, so they are checked here
rather than listed in test_accessibility.py (which lists the account page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from core.models import Branch, Role, User
from core.passwords import hash_password
from core.two_factor_models import TwoFactor
from extensions import db
from tests.browser.test_accessibility import AXE, CHECK, RULES
from tests.conftest import PASSWORD

EMAIL = "new.manager@example.com"


@pytest.fixture
def manager_without_factor(app: Flask, live: Any, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", ["manager", "office"])
    with app.app_context():
        north = db.session.scalar(db.select(Branch).where(Branch.code == "NORTH"))
        user = User(
            email=EMAIL,
            name="Nia New-Manager",
            role=Role.MANAGER.value,
            password_hash=hash_password(PASSWORD),
            branches=[north],
        )
        db.session.add(user)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


@pytest.fixture
def phone(browser: Browser, browser_context_args: dict[str, Any]) -> Any:
    context = browser.new_context(**browser_context_args, bypass_csp=True, service_workers="block")
    yield context.new_page()
    context.close()


def _checked(page: Page) -> None:
    """The page as it is: no axe violations, nothing wider than the phone."""
    page.evaluate(AXE.read_text())
    assert page.evaluate(CHECK, RULES) == [], page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def _password(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _step_passed(app: Flask, user_id: int) -> None:
    """As if 30 seconds passed since the last code (see tests/core/test_two_factor.py)."""
    with app.app_context():
        factor = db.session.get_one(TwoFactor, user_id)
        factor.last_step = (factor.last_step or 0) - 1
        db.session.commit()
        db.session.remove()


def test_a_manager_sets_up_two_step_sign_in_and_uses_it_on_a_phone(
    app: Flask, phone: Page, manager_without_factor: int
):
    page = phone
    _password(page)
    page.wait_for_url("**/login/two-factor")
    expect(page.locator("svg.app-qr-code")).to_be_visible()
    _checked(page)

    page.get_by_label("Enter the 6-digit code the app now shows").fill("000000")
    page.get_by_role("button", name="Switch on two-step sign-in").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    _checked(page)

    key = page.locator(".app-secret-key code").inner_text().replace(" ", "")
    page.get_by_label("Enter the 6-digit code the app now shows").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Switch on two-step sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    assert page.locator(".app-recovery-codes li").count() == 10
    _checked(page)
    page.get_by_role("link", name="I have kept my codes, continue").click()
    page.wait_for_url("**/")

    page.goto("/account/two-factor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    _checked(page)
    page.get_by_role("button", name="Make new recovery codes").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    _checked(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    _step_passed(app, manager_without_factor)
    _password(page)
    page.wait_for_url("**/login/code")
    _checked(page)
    earlier = pyotp.TOTP(key).at(datetime.now(UTC) - timedelta(minutes=5))
    page.get_by_label("6-digit code").fill(earlier)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("[data-error-summary]")).to_contain_text("That code is not right")
    _checked(page)
    page.get_by_label("6-digit code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/")


def test_the_staff_page_offers_a_reset_that_fits_the_phone(
    app: Flask, phone: Page, manager_without_factor: int
):
    with app.app_context():
        factor = TwoFactor(
            user_id=manager_without_factor,
            secret=pyotp.random_base32(32),
            enabled_at=datetime.now(UTC),
        )
        db.session.add(factor)
        db.session.commit()
        db.session.remove()
    page = phone
    page.goto("/login")
    page.get_by_label("Email address").fill("manager@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto(f"/users/{manager_without_factor}")
    _checked(page)
    page.get_by_role("button", name="Reset two-step sign-in").click()
    expect(page.get_by_text("two-step sign-in is cleared")).to_be_visible()
    _checked(page)
