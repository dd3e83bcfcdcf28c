"""The header on a 360 x 740 phone, for each role: short before any content, a
"Menu" button that opens the list (the role's main task first) with every link
reachable by keyboard, and every link there without JavaScript too."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in

# role's account -> the label of its main task, first in its menu
ROLES = {
    "carer1@example.com": "Report",
    "supervisor@example.com": "Spot checks",
    "office@example.com": "Incidents",
    "manager@example.com": "Incidents",
}
MOST_HEADER = 120  # px before the page's content starts, on a 360 px phone


def _menu_links(page: Page) -> list[str]:
    return page.locator("#app-menu a").evaluate_all("links => links.map(a => a.textContent.trim())")


@pytest.mark.parametrize("email", list(ROLES))
def test_the_header_is_short_on_a_phone(page: Page, live: Any, email: str):
    sign_in(page, email)
    height = page.locator("header").evaluate("h => h.getBoundingClientRect().height")
    assert height <= MOST_HEADER
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    expect(page.locator("#app-menu")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Outbox")).to_be_visible()


@pytest.mark.parametrize("email", list(ROLES))
def test_the_menu_opens_with_the_main_task_first_and_every_link_by_keyboard(
    page: Page, live: Any, email: str
):
    sign_in(page, email)
    toggle = page.get_by_role("button", name="Menu")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    labels = _menu_links(page)
    assert labels[0] == ROLES[email]
    assert "Your password" in labels
    reached = []
    for _ in labels:
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.closest('#app-menu') && document.activeElement.textContent.trim()"
        )
        reached.append(focused)
    assert reached == labels
    for link in page.locator("#app-menu a").all():
        expect(link).to_be_visible()


def test_escape_closes_the_menu_and_returns_to_the_button(page: Page, live: Any):
    sign_in(page, "manager@example.com")
    toggle = page.get_by_role("button", name="Menu")
    toggle.click()
    expect(page.locator("#app-menu")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#app-menu")).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_a_wide_screen_shows_the_list_without_a_menu_button(page: Page, live: Any):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "manager@example.com")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    for link in page.locator("#app-menu a").all():
        expect(link).to_be_visible()


@pytest.mark.parametrize("email", list(ROLES))
def test_without_javascript_every_link_is_there(
    browser: Browser, browser_context_args: dict[str, Any], live: Any, email: str
):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, email)
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        links = page.locator("#app-menu a").all()
        assert len(links) >= 3
        for link in links:
            expect(link).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    finally:
        context.close()
