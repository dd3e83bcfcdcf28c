"""The session cookie is sent back only when the session changed or on a page the
person opened, so that a background request cannot put back an older cookie; and
the worker's fetches of pages to keep leave waiting messages for the person."""

from __future__ import annotations

import re

from tests.conftest import Client

NAVIGATE = {"Sec-Fetch-Mode": "navigate"}
KEEP = {"X-Candour-Keep": "1"}


def _sets_cookie(response) -> bool:
    return any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))


def _flash_a_message(c: Client) -> None:
    """Signing out and in again leaves "You have signed out." waiting."""
    c.refresh_csrf()
    assert c.post_form("/logout", {}).status_code == 302


def test_a_background_request_does_not_send_the_cookie_back(sign_in):
    carer = sign_in("carer1")
    carer.get("/")  # the CSRF token exists by now
    response = carer.http.get("/api/v1/session")
    assert response.status_code == 200
    assert not _sets_cookie(response)


def test_a_page_the_person_opens_refreshes_the_cookie(sign_in):
    carer = sign_in("carer1")
    response = carer.http.get("/", headers=NAVIGATE)
    assert response.status_code == 200
    assert _sets_cookie(response)


def test_a_change_to_the_session_is_always_sent(client: Client, seeded):
    response = client.sign_in("carer1@example.com")
    assert response.status_code == 302
    assert _sets_cookie(response)


def test_the_csrf_token_exists_from_the_sign_in_answer(client: Client, seeded):
    client.sign_in("carer1@example.com")
    # The first requests after signing in (a page, the worker) need not make a
    # token, so none of them changes the session and they all read the same one.
    api = client.http.get("/api/v1/session")
    page = client.http.get("/outbox")
    assert not _sets_cookie(api)
    assert not _sets_cookie(page)
    assert 'name="csrf_token"' in page.get_data(as_text=True)


def test_the_workers_fetch_leaves_the_message_for_the_next_page(client: Client, seeded):
    client.sign_in("carer1@example.com")
    _flash_a_message(client)
    kept = client.http.get("/login", headers=KEEP).get_data(as_text=True)
    assert "You have signed out." not in kept
    shown = client.http.get("/login").get_data(as_text=True)
    assert "You have signed out." in shown


def test_the_message_is_marked_for_the_worker_to_leave_out(client: Client, seeded):
    client.sign_in("carer1@example.com")
    _flash_a_message(client)
    page = client.http.get("/login").get_data(as_text=True)
    block = re.search(r"<!--flashes-->(.*?)<!--/flashes-->", page, re.S)
    assert block is not None
    assert "You have signed out." in block.group(1)
