"""Signing in and out: every role, bad input, limits, session handling."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from flask import Flask

from core.models import LoginFailure, SignInSession, TrailEvent, User
from core.services import ACCOUNT_INACTIVE, SIGN_IN_FAILED, SIGN_IN_MAX_AGE
from extensions import db
from tests.conftest import PASSWORD, Client


@pytest.mark.parametrize(
    ("key", "role_label"),
    [
        ("carer1", "Carer"),
        ("carer2", "Carer"),
        ("carer3", "Carer"),
        ("supervisor", "Supervisor"),
        ("manager", "Registered manager"),
        ("office", "Office staff"),
    ],
)
def test_every_demo_account_signs_in_to_its_home_page(client: Client, seeded, key, role_label):
    response = client.sign_in(f"{key}@example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert role_label in home.get_data(as_text=True)


def test_home_page_needs_sign_in(client: Client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("email", "password"),
    [("carer1@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_bad_credentials_get_one_message_and_no_session(client: Client, seeded, email, password):
    response = client.sign_in(email, password)
    assert response.status_code == 422
    assert SIGN_IN_FAILED in response.get_data(as_text=True)
    assert client.get("/api/v1/session").status_code == 401


def test_unknown_email_does_the_same_hashing_work(app: Flask, seeded, monkeypatch):
    """Same timing class: an unknown account still verifies a (dummy) hash."""
    import core.services as services

    calls: list[str | None] = []
    real = services.verify_password  # type: ignore[attr-defined]  # imported there, patched there

    def spy(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(services, "verify_password", spy)
    c = Client(app.test_client())
    c.sign_in("nobody@example.com", "whatever")
    c.sign_in("carer1@example.com", "wrong")
    assert len(calls) == 2
    assert calls[0] is None  # unknown: verify_password checks its dummy hash


def test_email_is_case_and_space_insensitive(client: Client, seeded):
    assert client.sign_in("  Carer1@Example.COM ").status_code == 302


def test_empty_form_names_both_fields(client: Client, seeded):
    response = client.post_form("/login", {"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#field-email"' in html
    assert 'href="#field-password"' in html


def test_deactivated_account_cannot_sign_in(app: Flask, client: Client, seeded):
    with app.app_context():
        user = db.session.get_one(User, seeded["carer2"].id)
        user.active = False
        db.session.commit()
    response = client.sign_in("carer2@example.com")
    assert response.status_code == 403
    assert ACCOUNT_INACTIVE in response.get_data(as_text=True)
    assert client.get("/api/v1/session").status_code == 401


def test_deactivating_signs_out_existing_sessions(app: Flask, sign_in, seeded):
    carer = sign_in("carer2")
    assert carer.get("/api/v1/session").status_code == 200
    manager = sign_in("manager")
    manager.refresh_csrf()
    with app.app_context():
        north = [b.id for b in db.session.get_one(User, seeded["carer2"].id).branches]
    response = manager.post_form(
        f"/users/{seeded['carer2'].id}",
        {"name": "Ben Carer", "role": "carer", "branch_ids": north},  # "active" unticked
    )
    assert response.status_code == 302
    assert carer.get("/api/v1/session").status_code == 401


def test_failures_outside_the_window_do_not_count(app: Flask, client: Client, seeded):
    from datetime import timedelta

    from core.dates import utcnow

    with app.app_context():
        for _ in range(5):
            db.session.add(
                LoginFailure(
                    email="carer1@example.com",
                    address="127.0.0.1",
                    at=utcnow() - app.config["LOGIN_WINDOW"] - timedelta(minutes=1),
                )
            )
        db.session.commit()
    assert client.sign_in("carer1@example.com").status_code == 302


def test_session_is_new_after_sign_in(client: Client, seeded):
    before = client.refresh_csrf()
    client.sign_in("carer1@example.com")
    after = client.get("/api/v1/session").get_json()["csrf_token"]
    assert before != after
    # The token from before sign-in no longer authorises writes.
    response = client.http.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400


def test_sign_out_ends_the_session(sign_in):
    c = sign_in("office")
    response = c.post_form("/logout")
    assert response.status_code == 302
    assert c.get("/api/v1/session").status_code == 401


def test_sign_in_and_failure_are_in_the_audit_trail(app: Flask, client: Client, seeded):
    client.sign_in("carer1@example.com", "nope")
    client.sign_in("carer1@example.com")
    with app.app_context():
        actions = db.session.scalars(
            db.select(TrailEvent.action)
            .where(TrailEvent.record_type == "user")
            .order_by(TrailEvent.id)
        ).all()
    assert actions == ["sign_in_failed", "sign_in"]


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "javascript:alert(1)"],
)
def test_next_never_leaves_the_site(client: Client, seeded, target):
    client.refresh_csrf()
    response = client.http.post(
        f"/login?next={target}",
        data={"email": "carer1@example.com", "password": PASSWORD, "csrf_token": client.csrf},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_within_the_site_is_followed(client: Client, seeded):
    client.refresh_csrf()
    response = client.http.post(
        "/login?next=/users",
        data={"email": "manager@example.com", "password": PASSWORD, "csrf_token": client.csrf},
    )
    assert response.headers["Location"] == "/users"


def test_passwords_are_stored_as_argon2id(app_ctx, staff):
    for user in staff.values():
        assert re.match(r"^\$argon2id\$v=19\$", user.password_hash)
        assert PASSWORD not in user.password_hash


def _session_cookie(c: Client) -> tuple[str, str]:
    jar = c.http._cookies  # werkzeug's cookie store: (domain, path, name) -> Cookie
    assert jar is not None
    key = next(k for k in jar if k[2] == "session")
    return key[0] or "localhost", jar[key].value


def test_a_cookie_copied_before_sign_out_signs_nobody_in_after_it(sign_in):
    carer = sign_in("carer1")
    domain, copied = _session_cookie(carer)
    carer.refresh_csrf()
    assert carer.post_form("/logout", {}).status_code == 302

    # The copy is still a validly signed cookie: only the server can refuse it.
    carer.http.set_cookie("session", copied, domain=domain)
    assert carer.get("/api/v1/session").status_code == 401
    assert carer.get("/").status_code == 302


def test_signing_out_on_one_phone_leaves_the_other_signed_in(sign_in):
    first, second = sign_in("carer1"), sign_in("carer1")
    first.refresh_csrf()
    first.post_form("/logout", {})
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 200


def test_the_cookie_names_a_sign_in_whose_token_is_kept_only_hashed(app: Flask, sign_in):
    carer = sign_in("carer1")
    carer.refresh_csrf()  # the token is in the session cookie, read back by the app
    with app.test_request_context():
        from flask import current_app

        interface = current_app.session_interface
        serializer = interface.get_signing_serializer(current_app)  # type: ignore[attr-defined]
        token = serializer.loads(_session_cookie(carer)[1])["_user_id"]
        rows = db.session.scalars(db.select(SignInSession)).all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in (r.token_hash, r.address, r.user_agent) for r in rows)


def test_a_sign_in_older_than_the_longest_allowed_signs_nobody_in(app: Flask, sign_in):
    carer = sign_in("carer1")
    with app.app_context():
        row = db.session.scalars(db.select(SignInSession)).one()
        row.started_at = row.started_at - SIGN_IN_MAX_AGE - timedelta(minutes=1)
        db.session.commit()
    assert carer.get("/").status_code == 302


def test_ended_and_too_old_sign_ins_are_pruned_at_the_next_sign_in(app: Flask, sign_in):
    first = sign_in("carer1")
    first.refresh_csrf()
    first.post_form("/logout", {})
    with app.app_context():
        ended = db.session.scalars(db.select(SignInSession)).one()
        ended.ended_at = ended.ended_at - timedelta(days=2)
        db.session.commit()
    sign_in("carer1")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SignInSession.id))) == 1
