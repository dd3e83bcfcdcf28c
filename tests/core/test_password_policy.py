"""The password policy (core/password_policy.py, OWASP ASVS 4.0 section 2.1) and
the places a password is chosen: one's own change and an invitation link (the
command create-manager: tests/core/test_first_run_commands.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core import invitations
from core import password_policy as policy
from core.models import User
from extensions import db
from tests.conftest import PASSWORD, Client

EMAIL = "jo.bloggs@example.com"
NAME = "Joanne Bloggs"


def _problems(password: str) -> list[str]:
    return policy.problems(password, email=EMAIL, name=NAME)


@pytest.mark.parametrize(
    "password",
    [
        "a new password of my own",
        "kettle orbit marmalade",
        "twelve chars",  # exactly 12 characters of two words is enough
        "ünïcödé bäñänä spłït",  # any character counts, one each
        "x7$" + "lantern hedgehog " * 3,  # over 50 characters
        "v" + "é lighthouse crumpet parsnip" * 2 + "tangerine quilt " * 2,  # 64+
    ],
)
def test_a_long_uncommon_password_is_accepted(password):
    assert _problems(password) == []


def test_the_limit_is_well_over_64_characters():
    long = ("walnut-sunrise-pebble " * 6)[: policy.MAX_LENGTH]
    assert len(long) == policy.MAX_LENGTH >= 64
    assert _problems(long) == []
    assert _problems(long + "x") == [policy.TOO_LONG]


@pytest.mark.parametrize("password", ["", "short", "eleven char"])
def test_under_12_characters_is_too_short(password):
    assert _problems(password) == [policy.TOO_SHORT]


@pytest.mark.parametrize(
    "password",
    ["password1234", "qwertyuiop123", "123456789012", "iloveyou1234", "PASSWORD1234"],
)
def test_a_common_or_breached_password_is_refused(password):
    assert _problems(password)[0] in (policy.COMMON, policy.GUESSABLE)


@pytest.mark.parametrize(
    "password", ["Password123!", "aaaaaaaaaaaa", "abcdefghijklmn", "qwertyqwerty", "1q2w3e4r5t6y"]
)
def test_a_guessable_pattern_is_refused(password):
    assert _problems(password) != []


@pytest.mark.parametrize(
    "password",
    [
        EMAIL,
        "JO.BLOGGS@EXAMPLE.COM",
        "jo.bloggs-and-more-words",
        "Joanne Bloggs",
        "joannebloggs1",
        "my name is bloggs honestly",
    ],
)
def test_the_accounts_own_email_or_name_is_refused(password):
    assert _problems(password) == [policy.OWN_DETAILS]


def test_no_composition_rules():
    """Lower-case letters and spaces alone are fine; nothing asks for capitals,
    digits or symbols."""
    assert _problems("purple tractor on the moor") == []


# --- where a password is chosen -----------------------------------------------------


def _change(c: Client, new: str) -> Any:
    return c.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("password1234", "lists of common and leaked passwords"),
        ("carer1@example.com", "Do not use your own name or email address"),
        ("qwertyqwerty", "too easy to guess"),
    ],
)
def test_your_own_new_password_follows_the_policy(app: Flask, sign_in, new, message):
    carer = sign_in("carer1")
    response = _change(carer, new)
    assert response.status_code == 422
    html = " ".join(response.get_data(as_text=True).split())
    assert message in html
    assert "nhsuk-error-summary" in html
    assert Client(app.test_client()).sign_in("carer1@example.com").status_code == 302


def test_a_long_password_is_not_cut_short(app: Flask, sign_in):
    long = "marmalade orbit kettle " * 5
    assert _change(sign_in("carer1"), long).status_code == 302
    assert Client(app.test_client()).sign_in("carer1@example.com", long).status_code == 302
    assert Client(app.test_client()).sign_in("carer1@example.com", long[:72]).status_code == 422


def test_choosing_a_password_with_an_invitation_follows_the_policy(app: Flask, seeded):
    with app.app_context():
        carer = db.session.get_one(User, seeded["carer2"].id)
        path = invitations.issue_invitation(carer, issued_by=None)
        db.session.commit()
    client = Client(app.test_client())
    response = client.post_form(
        path, {"new_password": "password1234", "confirm_password": "password1234"}
    )
    assert response.status_code == 422
    assert policy.COMMON in response.get_data(as_text=True)
    assert client.sign_in("carer2@example.com").status_code == 302
