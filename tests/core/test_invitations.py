"""Invitations and reset links (core/invitations.py): a new account's owner, or
someone whose password a manager reset, chooses their own password with a
single-use link that expires after 7 days, stored only as a hash."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from core import invitations
from core.models import Branch, Invitation, SignInSession, TrailEvent, User
from core.passwords import NO_PASSWORD
from extensions import db
from tests.conftest import PASSWORD, Client, sign_in_new_account

CHOSEN = "kettle orbit marmalade"
LINK = re.compile(r"data-invitation-link>http://localhost(/invitations/([^<]+))</textarea>")


def _invite(app: Flask, manager: Client, email: str = "dee@example.com") -> str:
    """The manager adds a carer of NORTH; returns the link's path, as shown once."""
    with app.app_context():
        north = db.session.scalar(db.select(Branch.id).where(Branch.code == "NORTH"))
    response = manager.post_form(
        "/users", {"name": "Dee Newcarer", "email": email, "role": "carer", "branch_ids": [north]}
    )
    assert response.status_code == 200
    match = LINK.search(response.get_data(as_text=True))
    assert match is not None
    return match.group(1)


def _choose(client: Client, path: str, password: str = CHOSEN, again: str | None = None) -> Any:
    return client.post_form(
        path, {"new_password": password, "confirm_password": password if again is None else again}
    )


def _user(app: Flask, email: str) -> dict[str, Any]:
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.email == email)).one()
        return {
            "id": user.id,
            "hash": user.password_hash,
            "epoch": user.session_epoch,
            "must_change": user.must_change_password,
        }


def _text(response: Any) -> str:
    return " ".join(response.get_data(as_text=True).split())


@pytest.fixture
def manager(sign_in) -> Client:
    return sign_in("manager")


# --- a new account ---------------------------------------------------------------------


def test_the_staff_page_has_no_password_field_any_more(manager: Client):
    html = manager.get("/users").get_data(as_text=True)
    assert 'name="password"' not in html
    assert "link to pass on" in html


def test_the_manager_sees_the_link_once_with_what_to_do(app: Flask, manager: Client):
    response = manager.post_form(
        "/users",
        {
            "name": "Dee Newcarer",
            "email": "dee@example.com",
            "role": "carer",
            "branch_ids": [1],
        },
    )
    html = _text(response)
    assert "readonly" in html
    assert "<textarea" in html
    assert "Candour cannot send e-mail yet" in html
    assert "You will not see this link again" in html
    token = LINK.search(html).group(2)
    assert token not in manager.get("/users").get_data(as_text=True)


def test_a_new_account_has_no_usable_password_until_it_chooses_one(
    app: Flask, manager: Client, client: Client
):
    _invite(app, manager)
    assert _user(app, "dee@example.com")["hash"] == NO_PASSWORD
    for guess in ("", NO_PASSWORD, "!none", PASSWORD):
        assert client.sign_in("dee@example.com", guess).status_code == 422
    assert "No password yet" in manager.get("/users").get_data(as_text=True)


def test_the_link_shows_a_form_to_choose_a_password(app: Flask, manager: Client, client: Client):
    path = _invite(app, manager)
    response = client.get(path)
    assert response.status_code == 200
    html = _text(response)
    assert "Choose your password" in html
    assert "dee@example.com" in html
    assert 'autocomplete="new-password"' in html


def test_choosing_a_password_sends_them_to_sign_in_and_they_can(
    app: Flask, manager: Client, client: Client
):
    path = _invite(app, manager)
    response = _choose(client, path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Your password is set" in client.get("/login").get_data(as_text=True)
    assert client.sign_in("dee@example.com", CHOSEN).status_code == 302
    assert client.get("/").status_code == 200  # no "choose your own password first"
    assert _user(app, "dee@example.com")["must_change"] is False


def test_a_link_works_once(app: Flask, manager: Client, client: Client):
    path = _invite(app, manager)
    assert _choose(client, path).status_code == 302
    before = _user(app, "dee@example.com")
    for response in (client.get(path), _choose(client, path, "another good passphrase")):
        assert response.status_code == 410
        assert "already been used" in _text(response)
    assert _user(app, "dee@example.com") == before


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("short", "short", "at least 12 characters"),
        ("password1234", "password1234", "common and leaked passwords"),
        ("dee newcarer 1", "dee newcarer 1", "your own name or email address"),
        (CHOSEN, CHOSEN + "x", "The two passwords are not the same"),
        ("", "", "at least 12 characters"),
    ],
)
def test_a_password_the_policy_refuses_gets_422_and_the_link_still_works(
    app: Flask, manager: Client, client: Client, password, again, message
):
    path = _invite(app, manager)
    response = _choose(client, path, password, again)
    assert response.status_code == 422
    html = _text(response)
    assert "There is a problem" in html
    assert message in html
    assert _user(app, "dee@example.com")["hash"] == NO_PASSWORD
    assert _choose(client, path).status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/invitations/not-a-real-token",
        "/invitations/" + "x" * 500,
        "/invitations/%C3%A9%00",
        "/invitations/" + "a" * 43,
    ],
)
def test_an_unknown_link_is_404_with_a_plain_message(client: Client, path):
    for response in (client.get(path), client.post_form(path, {"new_password": CHOSEN})):
        assert response.status_code in (400, 404)
        if response.status_code == 404:
            assert "We could not find that link" in _text(response)


def test_choosing_needs_the_forms_csrf_token(app: Flask, manager: Client, client: Client):
    path = _invite(app, manager)
    response = client.http.post(path, data={"new_password": CHOSEN, "confirm_password": CHOSEN})
    assert response.status_code == 400
    assert _user(app, "dee@example.com")["hash"] == NO_PASSWORD
    assert _choose(client, path).status_code == 302


def test_the_token_is_stored_only_as_its_sha256_and_never_on_the_trail(app: Flask, manager: Client):
    path = _invite(app, manager)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43
    with app.app_context():
        invitation = db.session.scalars(db.select(Invitation)).one()
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        columns = [str(getattr(invitation, c.key)) for c in Invitation.__table__.columns]
        assert not any(token in value for value in columns)
        trail = [
            json.dumps(e.detail) + e.record_id for e in db.session.scalars(db.select(TrailEvent))
        ]
        assert not any(token in entry for entry in trail)


def test_each_step_is_on_the_trail(app: Flask, manager: Client, client: Client, seeded):
    path = _invite(app, manager)
    _choose(client, path)
    dee = _user(app, "dee@example.com")["id"]
    with app.app_context():
        events = db.session.scalars(
            db.select(TrailEvent)
            .where(TrailEvent.record_type == "user", TrailEvent.record_id == str(dee))
            .order_by(TrailEvent.id)
        ).all()
        steps = [(e.action, e.actor_id) for e in events]
    assert steps == [
        ("create", seeded["manager"].id),
        ("invitation_issued", seeded["manager"].id),
        ("invitation_accepted", dee),
    ]


# --- expiry, with a fixed clock ----------------------------------------------------------

ISSUED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def issued(app: Flask, seeded) -> str:
    """A link for carer2, made at ISSUED (a fixed moment)."""
    with app.app_context():
        carer = db.session.get_one(User, seeded["carer2"].id)
        path = invitations.issue_invitation(carer, issued_by=None, now=ISSUED)
        db.session.commit()
    return path


def _clock(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(invitations, "utcnow", lambda: moment)


def test_a_link_works_until_7_days_have_passed(app: Flask, issued: str, client, monkeypatch):
    _clock(monkeypatch, ISSUED + timedelta(days=7) - timedelta(seconds=1))
    assert client.get(issued).status_code == 200


def test_after_7_days_the_link_has_expired_and_changes_nothing(
    app: Flask, issued: str, client: Client, monkeypatch
):
    before = _user(app, "carer2@example.com")
    _clock(monkeypatch, ISSUED + timedelta(days=7))
    for response in (client.get(issued), _choose(client, issued)):
        assert response.status_code == 410
        assert "This link has expired: links work for 7 days" in _text(response)
    assert _user(app, "carer2@example.com") == before
    assert client.sign_in("carer2@example.com").status_code == 302


def test_the_lifetime_is_a_setting(app: Flask, issued: str, client: Client, monkeypatch):
    monkeypatch.setitem(app.config, "INVITATION_DAYS", 14)
    with app.app_context():
        carer = db.session.scalars(db.select(User).where(User.email == "carer2@example.com")).one()
        path = invitations.issue_invitation(carer, issued_by=None, now=ISSUED)
        db.session.commit()
    _clock(monkeypatch, ISSUED + timedelta(days=10))
    assert client.get(path).status_code == 200


# --- for the imports: issue_invitation ---------------------------------------------------


def test_issue_invitation_returns_the_path_and_leaves_the_commit_to_the_caller(
    app_ctx: Flask, staff
):
    path = invitations.issue_invitation(staff["carer1"], issued_by=staff["manager"])
    assert re.fullmatch(r"/invitations/[A-Za-z0-9_-]{43}", path)
    db.session.rollback()  # an import that fails writes nothing, link included
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_a_newer_link_makes_older_ones_unusable(app: Flask, issued: str, client: Client, seeded):
    with app.app_context():
        carer = db.session.get_one(User, seeded["carer2"].id)
        newer = invitations.issue_invitation(carer, issued_by=None)
        db.session.commit()
    response = client.get(issued)
    assert response.status_code == 410
    assert "A newer link has been made" in _text(response)
    assert client.get(newer).status_code == 200


def test_a_switched_off_account_cannot_use_its_link(app: Flask, issued: str, client, seeded):
    with app.app_context():
        db.session.get_one(User, seeded["carer2"].id).active = False
        db.session.commit()
    response = _choose(client, issued)
    assert response.status_code == 410
    assert "switched off" in _text(response)


# --- a manager's reset -------------------------------------------------------------------


def _reset(manager: Client, user_id: int) -> Any:
    return manager.post_form(f"/users/{user_id}/reset-password")


def test_reset_signs_the_account_out_everywhere_and_gives_a_new_link(
    app: Flask, manager: Client, sign_in, seeded
):
    phone, office_pc = sign_in("carer1"), sign_in("carer1")
    response = _reset(manager, seeded["carer1"].id)
    assert response.status_code == 200
    html = _text(response)
    assert "Password reset for" in html
    path = LINK.search(html).group(1)
    for device in (phone, office_pc):
        assert device.get("/").status_code == 302
        assert device.get("/api/v1/session").status_code == 401
    with app.app_context():
        open_sessions = db.session.scalar(
            db.select(db.func.count(SignInSession.id)).where(
                SignInSession.user_id == seeded["carer1"].id, SignInSession.ended_at.is_(None)
            )
        )
    assert open_sessions == 0
    fresh = Client(app.test_client())
    assert fresh.sign_in("carer1@example.com").status_code == 422  # the old password
    assert _choose(fresh, path).status_code == 302
    assert fresh.sign_in("carer1@example.com", CHOSEN).status_code == 302


def test_reset_makes_older_links_unusable(app: Flask, manager: Client, client, seeded):
    first = LINK.search(_text(_reset(manager, seeded["carer1"].id))).group(1)
    second = LINK.search(_text(_reset(manager, seeded["carer1"].id))).group(1)
    assert client.get(first).status_code == 410
    assert _choose(client, first).status_code == 410
    assert _choose(client, second).status_code == 302


def test_reset_is_on_the_trail_without_the_token(app: Flask, manager: Client, sign_in, seeded):
    sign_in("carer1")
    path = LINK.search(_text(_reset(manager, seeded["carer1"].id))).group(1)
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        events = db.session.scalars(
            db.select(TrailEvent)
            .where(TrailEvent.record_id == str(seeded["carer1"].id))
            .order_by(TrailEvent.id.desc())
            .limit(2)
        ).all()
    assert [e.action for e in reversed(events)] == ["password_reset", "invitation_issued"]
    assert events[1].detail["sign_ins_ended"] == 1
    assert events[0].detail["purpose"] == "reset"
    assert all(token not in json.dumps(e.detail) for e in events)


def test_the_edit_page_offers_the_reset(manager: Client, seeded):
    html = manager.get(f"/users/{seeded['carer1'].id}").get_data(as_text=True)
    assert f'action="/users/{seeded["carer1"].id}/reset-password"' in html
    assert 'name="password"' not in html


def test_a_manager_cannot_reset_their_own_password_here(app: Flask, manager: Client, seeded):
    before = _user(app, "manager@example.com")
    response = _reset(manager, seeded["manager"].id)
    assert response.status_code == 302
    assert "You cannot reset your own password here" in _text(manager.get(response.location))
    assert _user(app, "manager@example.com") == before


def test_a_manager_of_another_branch_cannot_reset(app: Flask, seeded):
    south = sign_in_new_account(app, "south.boss@example.com", "South Boss", "manager", ["SOUTH"])
    before = _user(app, "carer1@example.com")
    assert _reset(south, seeded["carer1"].id).status_code == 404
    assert _user(app, "carer1@example.com") == before
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


@pytest.mark.parametrize("key", ["carer1", "supervisor", "office"])
def test_only_managers_reset(app: Flask, sign_in, seeded, key):
    assert _reset(sign_in(key), seeded["carer2"].id).status_code == 403
    assert _user(app, "carer2@example.com")["hash"] != NO_PASSWORD


def test_reset_needs_the_forms_csrf_token(app: Flask, manager: Client, seeded):
    before = _user(app, "carer1@example.com")
    assert manager.http.post(f"/users/{seeded['carer1'].id}/reset-password").status_code == 400
    assert _user(app, "carer1@example.com") == before
