"""Invitations in real Chromium on a 360 x 740 phone: the manager adds someone and
gets the link, the person chooses a password with it and signs in; the reset on
an account's page; a link that no longer works. Each page fits the phone and
passes axe (WCAG 2.1 A and AA, as tests/browser/test_accessibility.py)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import AXE, CHECK, RULES

CHOSEN = "kettle orbit marmalade"


def _fits_and_passes_axe(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url
    page.evaluate(AXE.read_text())
    assert page.evaluate(CHECK, RULES) == [], page.url


def _signed_out_page(browser: Browser, browser_context_args: dict[str, Any]) -> Page:
    context = browser.new_context(**browser_context_args, bypass_csp=True, service_workers="block")
    return context.new_page()


def test_a_new_carer_chooses_a_password_with_the_link_and_signs_in(
    browser: Browser, browser_context_args: dict[str, Any], live
):
    context = browser.new_context(**browser_context_args, bypass_csp=True, service_workers="block")
    manager = context.new_page()
    sign_in(manager, "manager@example.com")
    manager.goto("/users")
    manager.get_by_label("Full name").fill("Dee Newcarer")
    manager.get_by_label("Email address").fill("dee@example.com")
    manager.get_by_label("Carer", exact=True).check()
    manager.get_by_role("checkbox", name="North branch (NORTH)").check()
    manager.get_by_role("button", name="Add account").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Account made for Dee Newcarer")
    _fits_and_passes_axe(manager)
    link = manager.get_by_label("Link for Dee Newcarer").input_value()
    assert "/invitations/" in link

    dee = _signed_out_page(browser, browser_context_args)
    dee.goto(link)
    expect(dee.get_by_role("heading", level=1)).to_have_text("Choose your password")
    _fits_and_passes_axe(dee)
    dee.get_by_label("Your new password", exact=True).fill("password1234")
    dee.get_by_label("Your new password again").fill("password1234")
    dee.get_by_role("button", name="Set my password").click()
    summary = dee.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("common and leaked passwords")
    _fits_and_passes_axe(dee)
    dee.get_by_label("Your new password", exact=True).fill(CHOSEN)
    dee.get_by_label("Your new password again").fill(CHOSEN)
    dee.get_by_role("button", name="Set my password").click()
    dee.wait_for_url("**/login")
    expect(dee.get_by_text("Your password is set")).to_be_visible()
    sign_in(dee, "dee@example.com", CHOSEN)
    expect(dee.get_by_role("heading", level=1)).to_contain_text("Dee")

    dee.goto(link)  # used once already
    expect(dee.get_by_role("heading", level=1)).to_have_text("This link does not work")
    _fits_and_passes_axe(dee)
    context.close()


def test_the_reset_on_an_accounts_page(page: Page, live, seeded):
    sign_in(page, "manager@example.com")
    page.goto(f"/users/{seeded['carer2'].id}")
    _fits_and_passes_axe(page)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Password reset for")
    _fits_and_passes_axe(page)
