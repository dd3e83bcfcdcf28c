"""Every learning page on a 360 px phone and on an office screen: nothing wider
than the screen, controls at least 44 px tall, no Content-Security-Policy
violations; and acknowledging a bulletin without JavaScript."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from core.models import User
from extensions import db
from learning import bulletins
from learning.models import Bulletin
from tests.browser.conftest import SCREENS, sign_in
from tests.browser.offline_support import hold_the_outbox, let_go_of_the_outbox

SMALL_CONTROLS = """() => [...document.querySelectorAll(
    'main button, main .nhsuk-button, main input:not([type=hidden]), main select, main textarea, .app-tabs a')]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const box = (el.type === 'radio' || el.type === 'checkbox')
      ? el.closest('.nhsuk-radios__item, .nhsuk-checkboxes__item').getBoundingClientRect()
      : el.getBoundingClientRect();
    return [el.name || el.textContent.trim().slice(0, 40), Math.round(box.height)];
  })
  .filter(([, h]) => h < 44)"""


def _user(key: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == f"{key}@example.com"))


def _manager_pages(ids: dict[str, Any]) -> list[str]:
    return [
        "/",
        "/reviews",
        "/reviews/new",
        f"/reviews/{ids['review']}",
        f"/reviews/{ids['thematic']}",
        "/actions?view=all",
        f"/actions/new?source_type=review&source_id={ids['review']}",
        "/actions/new?source_type=meeting",
        f"/actions/{ids['action']}",
        "/patterns",
        "/bulletins",
        "/bulletins/new",
        f"/bulletins/{ids['bulletin']}",
        "/case-studies",
        f"/case-studies/{ids['case_study']}",
        f"/case-studies/{ids['case_study']}/check?format=md",
        f"/incidents/{ids['incident']}/learning",
        "/branches",
        f"/branches/{ids['branch']}",
        "/people",
        f"/people/{ids['person']}",
        "/trail",
        "/trail?action=create",
        "/on-call",
        "/account/messages",
        "/messages/not-delivered",
        "/exports",
    ]


@pytest.mark.parametrize("screen", list(SCREENS), indirect=True)
def test_every_manager_page_fits_the_screen_with_big_controls(world, screen):
    name, page, violations = screen
    width = SCREENS[name]["width"]
    sign_in(page, "manager@example.com")
    for url in _manager_pages(world):
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, url
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, url)
        assert page.evaluate(SMALL_CONTROLS) == [], (name, url)
    assert violations == []


@pytest.mark.parametrize("screen", ["phone"], indirect=True)
def test_the_office_pages_fit_a_phone(world, screen):
    _, page, violations = screen
    sign_in(page, "office@example.com")
    for url in ("/", "/incidents?work=new", "/incidents?work=late", "/exports"):
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, url
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
        assert page.evaluate(SMALL_CONTROLS) == [], url
    assert violations == []


@pytest.mark.parametrize("screen", ["phone"], indirect=True)
def test_the_carer_pages_fit_a_phone(world, screen):
    _, page, violations = screen
    sign_in(page, "carer1@example.com")
    for url in (
        "/",
        "/actions",
        f"/actions/{world['action']}",
        "/bulletins",
        f"/bulletins/{world['bulletin']}",
    ):
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, url
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
        assert page.evaluate(SMALL_CONTROLS) == [], url
    assert violations == []


def test_a_bulletin_is_acknowledged_without_javascript(
    world, browser: Browser, browser_context_args: dict[str, Any], app: Flask
):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "carer1@example.com")
        page.get_by_role("link", name="Small falls are a warning").click()
        page.get_by_role("button", name="I have read and understood this").click()
        expect(page.get_by_test_id("acknowledged")).to_contain_text("You confirmed you read this")
        expect(
            page.get_by_text("Thank you: your manager can see you have read this.")
        ).to_be_visible()
    finally:
        context.close()
    with app.app_context():
        bulletin = bulletins.get_bulletin(_user("manager"), world["bulletin"])
        read = {r.user.email: r.read_at for r in bulletins.readership(bulletin)}
        assert read["carer1@example.com"] is not None


def test_a_carer_reads_bulletins_with_no_signal(world, page: Page):
    from tests.browser.offline_support import open_ready

    sign_in(page, "carer1@example.com")
    open_ready(page, "/bulletins")
    page.context.set_offline(True)
    page.goto("/bulletins")
    card = page.locator(f'[data-bulletin-id="{world["bulletin"]}"]')
    expect(card).to_contain_text("Small falls are a warning")
    expect(card).to_contain_text("New slippers and a non-slip mat; spot checks at night.")
    page.context.set_offline(False)


def test_acknowledging_with_no_signal_says_so_and_works_later(world, page: Page, app: Flask):
    sign_in(page, "carer1@example.com")
    page.goto(f"/bulletins/{world['bulletin']}")
    button = page.get_by_role("button", name="I have read and understood this")
    page.context.set_offline(True)
    button.click()
    problem = page.get_by_role("alert").filter(has_text="there is no signal")
    expect(problem).to_contain_text("Nothing was changed")
    expect(problem).to_be_focused()
    with app.app_context():
        bulletin = bulletins.get_bulletin(_user("manager"), world["bulletin"])
        assert bulletins.acknowledged_at(_user("carer1"), bulletin) is None

    page.context.set_offline(False)
    button.click()
    expect(page.get_by_test_id("acknowledged")).to_contain_text("You confirmed you read this")
    expect(page.locator("[data-request-problem]")).to_have_count(0)


def test_a_server_failure_on_an_htmx_form_is_shown_in_plain_words(world, page: Page):
    sign_in(page, "carer1@example.com")
    page.goto(f"/bulletins/{world['bulletin']}")
    # On the context, not the page: once the worker controls the page, its POST can
    # reach the network through the worker, which a page route does not see.
    page.context.route("**/acknowledge*", lambda route: route.fulfill(status=500, body="boom"))
    page.get_by_role("button", name="I have read and understood this").click()
    expect(page.get_by_role("alert")).to_contain_text("Something went wrong on our side")
    expect(page.get_by_test_id("acknowledged")).to_have_count(0)


def _acknowledged(app: Flask, bulletin_id: int) -> list[Any]:
    from learning.models import Acknowledgement

    with app.app_context():
        return list(
            db.session.scalars(
                db.select(Acknowledgement.at).where(Acknowledgement.bulletin_id == bulletin_id)
            )
        )


def test_a_carer_confirms_a_bulletin_on_the_list_with_signal(world, page: Page, app: Flask):
    sign_in(page, "carer1@example.com")
    page.goto("/bulletins")
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    card = page.locator(f'[data-bulletin-id="{world["bulletin"]}"]')
    card.get_by_role("button", name="I have read and understood this").click()
    expect(card.locator("[data-offline-sent]")).to_contain_text(
        "Thank you: your manager can see you have read this."
    )
    expect(card.get_by_role("link", name="Report another")).to_have_count(0)
    assert len(_acknowledged(app, world["bulletin"])) == 1


def test_a_bulletin_confirmed_while_the_outbox_is_busy_waits_its_turn_and_is_sent(
    world, page: Page, app: Flask
):
    sign_in(page, "carer1@example.com")
    page.goto("/bulletins")
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    # The page's own start, another window or the worker is sending just then.
    hold_the_outbox(page)
    card = page.locator(f'[data-bulletin-id="{world["bulletin"]}"]')
    card.get_by_role("button", name="I have read and understood this").click()
    page.wait_for_timeout(1000)
    assert _acknowledged(app, world["bulletin"]) == []
    expect(card.locator("[data-offline-saved]")).to_have_count(0)
    let_go_of_the_outbox(page)
    expect(card.locator("[data-offline-sent]")).to_contain_text(
        "Thank you: your manager can see you have read this."
    )
    assert len(_acknowledged(app, world["bulletin"])) == 1


def test_a_carer_confirms_a_bulletin_with_no_signal_and_it_arrives_once(
    world, page: Page, app: Flask
):
    from tests.browser.offline_support import device_entries, open_ready, wait_until

    # Published a minute ago: a read can't be before it was published, and the phone
    # counts whole seconds, so one tapped within the second it was published is kept
    # at the moment of publishing.
    with app.app_context():
        bulletin = db.session.get(Bulletin, world["bulletin"])
        bulletin.published_at -= timedelta(minutes=1)
        db.session.commit()
        db.session.remove()
    sign_in(page, "carer1@example.com")
    open_ready(page, "/bulletins")
    page.context.set_offline(True)
    page.goto("/bulletins")  # the page kept on the phone
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    card = page.locator(f'[data-bulletin-id="{world["bulletin"]}"]')
    card.get_by_role("button", name="I have read and understood this").click()
    expect(card.locator("[data-offline-saved]")).to_contain_text("Saved on this phone")
    [entry] = device_entries(page)
    assert entry["payload"]["read_at"]
    assert _acknowledged(app, world["bulletin"]) == []
    page.goto("/outbox")
    expect(page.locator("main")).to_contain_text("Read: Small falls are a warning")

    page.context.set_offline(False)
    page.evaluate("CandourOffline.page.kick(true)")
    wait_until(page, lambda: device_entries(page) == [], what="the outbox to empty")
    [read_at] = _acknowledged(app, world["bulletin"])
    # The time it was tapped on the phone, not when it arrived.
    assert read_at == datetime.fromisoformat(entry["payload"]["read_at"])


def test_the_kept_bulletins_page_remembers_a_confirmation_before_and_after_it_is_sent(
    world, page: Page, app: Flask
):
    from tests.browser.offline_support import device_entries, open_ready, wait_until

    sign_in(page, "carer1@example.com")
    open_ready(page, "/bulletins")
    card_of = f'[data-bulletin-id="{world["bulletin"]}"]'
    confirm = "I have read and understood this"
    page.context.set_offline(True)
    page.goto("/bulletins")
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    page.locator(card_of).get_by_role("button", name=confirm).click()
    expect(page.locator(card_of).locator("[data-offline-saved]")).to_be_visible()

    # Opened again with no signal, the kept copy does not ask a second time.
    page.goto("/bulletins")
    page.wait_for_function("() => document.documentElement.dataset.offlineForms === 'ready'")
    card = page.locator(card_of)
    expect(card.locator('[data-offline-saved="earlier"]')).to_contain_text("Done on this phone")
    expect(card.get_by_role("button", name=confirm)).to_have_count(0)

    # Once it is sent, the phone keeps the page again: read, with no button.
    page.context.set_offline(False)
    page.evaluate("CandourOffline.page.kick(true)")
    wait_until(page, lambda: device_entries(page) == [], what="the outbox to empty")
    assert len(_acknowledged(app, world["bulletin"])) == 1

    def kept_copy_says_read() -> bool:
        html = page.evaluate(
            """async () => {
                 for (const name of await caches.keys()) {
                   if (!name.startsWith('candour-pages-u')) continue;
                   const kept = await (await caches.open(name)).match('/bulletins');
                   if (kept) return kept.text();
                 }
                 return '';
               }"""
        )
        return confirm not in html and ">Read<" in html

    wait_until(page, kept_copy_says_read, what="the kept /bulletins to show it read")
    page.context.set_offline(True)
    page.goto("/bulletins")
    expect(page.locator(card_of).get_by_text("Read", exact=True)).to_be_visible()
    expect(page.locator(card_of).get_by_role("button", name=confirm)).to_have_count(0)


THANKS = "Thank you: your manager can see you have read this."

REFRESH_KEPT_PAGES = """async () => {
  const reg = await navigator.serviceWorker.ready;
  const userId = Number(document.querySelector('meta[name=candour-user]').content);
  return new Promise((resolve, reject) => {
    // Bounded: a reply that never comes must fail the test, not hold it.
    const timer = setTimeout(() => reject(new Error('the worker never said offline-ready')), 30000);
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data && event.data.type === 'offline-ready') {
        clearTimeout(timer);
        resolve(event.data.pages);
      }
    });
    reg.active.postMessage({ type: 'signed-in', userId, force: true });
  });
}"""


def _flash_thanks(page: Page, bulletin_id: int) -> None:
    """Confirm through the plain form's post without following it: "Thank you"
    now waits in the session for the next page."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(
        f"/bulletins/{bulletin_id}/acknowledge", form={"csrf_token": token or ""}, max_redirects=0
    )
    assert answer.status == 302


def test_the_worker_keeping_pages_leaves_the_message_for_the_person(world, page: Page):
    from tests.browser.offline_support import open_ready

    sign_in(page, "carer1@example.com")
    open_ready(page, "/bulletins")
    _flash_thanks(page, world["bulletin"])
    kept = page.evaluate(REFRESH_KEPT_PAGES)  # the worker fetches every page it keeps
    assert "/bulletins" in kept
    page.goto(f"/bulletins/{world['bulletin']}")
    expect(page.get_by_text(THANKS)).to_be_visible()


def test_a_kept_page_does_not_keep_the_message_shown_with_it(world, page: Page):
    from tests.browser.offline_support import open_ready

    sign_in(page, "carer1@example.com")
    open_ready(page, "/bulletins")
    _flash_thanks(page, world["bulletin"])
    page.goto("/bulletins")  # seen now, and kept by the worker on the way
    expect(page.get_by_text(THANKS)).to_be_visible()
    page.wait_for_timeout(500)  # the worker stores its copy after answering
    page.context.set_offline(True)
    page.goto("/bulletins")
    expect(page.locator("main h1")).to_have_text("Learning bulletins")
    expect(page.get_by_text(THANKS)).to_have_count(0)
    page.context.set_offline(False)
