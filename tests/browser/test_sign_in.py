"""Signing in on a phone-sized screen in real Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in


def test_carer_signs_in_on_a_phone_and_lands_on_their_home_page(page: Page, live):
    sign_in(page, "carer1@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Amina")
    expect(page.get_by_test_id("role")).to_contain_text("Carer")
    # Nothing wider than the phone: no sideways scrolling at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_wrong_password_shows_a_linked_error_summary(page: Page, live):
    page.goto("/login")
    page.get_by_label("Email address").fill("carer1@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Email address")).to_be_focused()


def test_no_content_security_policy_violations(page: Page, live):
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "manager@example.com")
    page.goto("/users")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    assert violations == []


def test_touch_targets_are_at_least_44px(page: Page, live):
    sign_in(page, "manager@example.com")
    page.goto("/users")
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, .nhsuk-button, input:not([type=hidden]), select')]
             .filter(el => el.offsetParent !== null)
             .map(el => { const r = el.getBoundingClientRect(); const target = el.type === 'radio' || el.type === 'checkbox' ? el.closest('.nhsuk-radios__item, .nhsuk-checkboxes__item').getBoundingClientRect() : r; return [el.name || el.textContent.trim(), target.height]; })
             .filter(([, h]) => h < 44)"""
    )
    assert small == []


def test_sign_in_page_fits_a_320px_screen(page: Page, live):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/login")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    button = page.get_by_role("button", name="Sign in").bounding_box()
    assert button is not None
    assert button["height"] >= 44
