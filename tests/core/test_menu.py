"""The header's menu: each role's main task first, the list in the page for
browsers without JavaScript, and the Menu button that shows or hides it."""

from __future__ import annotations

import re

import pytest


def _menu(html: str) -> list[str]:
    block = re.search(
        r'<nav class="app-header__navigation" id="app-menu"[^>]*>(.*?)</nav>', html, re.S
    )
    assert block is not None
    return [label.strip() for label in re.findall(r"<a [^>]*>([^<]+)</a>", block.group(1))]


@pytest.mark.parametrize(
    ("role", "first"),
    [
        ("carer1", "Report"),
        ("supervisor", "Spot checks"),
        ("office", "Incidents"),
        ("manager", "Incidents"),
    ],
)
def test_each_roles_main_task_comes_first(sign_in, role, first):
    assert _menu(sign_in(role).get("/").get_data(as_text=True))[0] == first


def test_the_button_controls_the_list(sign_in):
    html = sign_in("office").get("/").get_data(as_text=True)
    assert re.search(
        r'<button[^>]*aria-controls="app-menu" aria-expanded="false"[^>]*>Menu</button>', html
    )


def test_a_manager_finds_the_audit_trail_in_the_menu(sign_in):
    assert "Audit trail" in _menu(sign_in("manager").get("/").get_data(as_text=True))


@pytest.mark.parametrize("role", ["carer1", "supervisor", "office"])
def test_only_managers_have_the_audit_trail_in_the_menu(sign_in, role):
    assert "Audit trail" not in _menu(sign_in(role).get("/").get_data(as_text=True))


def test_signed_out_there_is_no_menu(client):
    html = client.get("/login").get_data(as_text=True)
    assert "app-menu" not in html
