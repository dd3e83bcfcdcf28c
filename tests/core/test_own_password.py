"""Changing your own password, and a password a manager typed being changed at
first sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from core.models import TrailEvent, User
from core.passwords import hash_password
from extensions import db
from tests.conftest import PASSWORD, Client

NEW = "a new password of my own"


def _change(c: Client, current: str = PASSWORD, new: str = NEW, again: str | None = None) -> Any:
    return c.post_form(
        "/account/password",
        {"current_password": current, "new_password": new, "confirm_password": again or new},
    )


def _actions(app: Flask, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(TrailEvent.action)
                .where(TrailEvent.record_type == "user", TrailEvent.record_id == str(user_id))
                .order_by(TrailEvent.id)
            )
        )


def test_the_page_is_linked_from_every_signed_in_page(sign_in):
    html = sign_in("carer1").get("/").get_data(as_text=True)
    assert 'href="/account/password"' in html


def test_anyone_changes_their_own_password_with_the_current_one(app: Flask, sign_in, seeded):
    carer = sign_in("carer1")
    response = _change(carer)
    assert response.status_code == 302
    assert "Your password is changed" in carer.get("/").get_data(as_text=True)
    assert Client(app.test_client()).sign_in("carer1@example.com", NEW).status_code == 302
    assert Client(app.test_client()).sign_in("carer1@example.com").status_code == 422
    assert _actions(app, seeded["carer1"].id)[-3:] == [
        "password_change",
        "sign_in",
        "sign_in_failed",
    ]


def test_a_wrong_current_password_changes_nothing(app: Flask, sign_in, seeded):
    carer = sign_in("carer1")
    response = _change(carer, current="not-my-password")
    assert response.status_code == 422
    assert "That is not your current password" in response.get_data(as_text=True)
    assert Client(app.test_client()).sign_in("carer1@example.com").status_code == 302
    assert "password_change_failed" in _actions(app, seeded["carer1"].id)


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("short", "short", "Choose a password of at least 12 characters."),
        (NEW, NEW + "x", "The two new passwords are not the same."),
        (PASSWORD, PASSWORD, "Choose a new password, different from your current one."),
    ],
)
def test_a_new_password_that_breaks_a_rule_is_refused(app: Flask, sign_in, new, again, message):
    carer = sign_in("carer1")
    response = _change(carer, new=new, again=again)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert Client(app.test_client()).sign_in("carer1@example.com").status_code == 302


def test_changing_it_signs_out_other_devices_but_not_this_one(sign_in):
    here, elsewhere = sign_in("carer1"), sign_in("carer1")
    _change(here)
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_guessing_the_current_password_is_limited_like_signing_in(sign_in):
    carer = sign_in("carer1")
    for _ in range(5):
        assert _change(carer, current="guess").status_code == 422
    response = _change(carer)
    assert response.status_code == 429
    assert "wait 30 seconds" in " ".join(response.get_data(as_text=True).split())


# --- a password a manager typed (accounts from before invitations) -------------------
# Managers no longer type passwords (they make invitation links), but accounts that
# still have one a manager typed must change it at their next sign-in.

TYPED = "typed-by-the-manager"


@pytest.fixture
def dee(app: Flask, seeded) -> Client:
    with app.app_context():
        north = db.session.get_one(User, seeded["carer1"].id).branches[0]
        db.session.add(
            User(
                email="dee@example.com",
                name="Dee Newcarer",
                role="carer",
                password_hash=hash_password(TYPED),
                must_change_password=True,
                branches=[north],
            )
        )
        db.session.commit()
    c = Client(app.test_client())
    assert c.sign_in("dee@example.com", TYPED).status_code == 302
    return c


@pytest.mark.parametrize("path", ["/", "/incidents/new", "/incidents", "/outbox", "/bulletins"])
def test_a_typed_password_must_be_changed_before_any_page(dee: Client, path):
    response = dee.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"


def test_the_change_page_says_why(dee: Client):
    html = dee.get("/account/password").get_data(as_text=True)
    assert "Choose your own password before you carry on" in html


def test_an_htmx_request_is_sent_to_the_change_page(dee: Client):
    response = dee.get("/incidents", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/account/password"


def test_the_api_answers_403_with_a_reason_until_it_is_changed(dee: Client):
    response = dee.get("/api/v1/incidents")
    assert response.status_code == 403
    body = response.get_json()
    assert body["reason"] == "password_change"
    assert "Choose your own password first" in body["error"]
    write = dee.post_json("/api/v1/incidents", {})
    assert write.status_code == 403
    assert dee.get("/api/v1/session").status_code == 200  # who is signed in


def test_signing_out_still_works(dee: Client):
    assert dee.post_form("/logout").status_code == 302
    assert dee.get("/api/v1/session").status_code == 401


def test_once_changed_every_page_opens(app: Flask, dee: Client):
    assert _change(dee, current=TYPED).status_code == 302
    assert dee.get("/").status_code == 200
    assert dee.get("/api/v1/incidents").status_code == 200
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.email == "dee@example.com")).one()
        assert user.must_change_password is False
        event = db.session.scalars(
            db.select(TrailEvent).where(TrailEvent.action == "password_change")
        ).one()
        assert event.detail == {"required": True}


def test_demo_and_existing_accounts_are_not_asked_to_change(sign_in):
    assert sign_in("carer1").get("/").status_code == 200
