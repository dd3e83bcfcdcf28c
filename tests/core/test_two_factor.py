"""Two-factor sign-in through the pages: the code after the password, setting one
up, recovery codes, the limits on guessing, who must have one, a manager's reset.

Codes are made with pyotp from the key the setup page shows, at a time the test
chooses; moving the clock on is done as the sign-in limit tests do, by ageing
what is stored (the last step used, the failures)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask

import settings
from core.models import Branch, LoginFailure, Role, TrailEvent, User
from core.passwords import hash_password
from core.two_factor import USED_CODE, WRONG_CODE, WRONG_RECOVERY
from core.two_factor_models import RecoveryCode, TwoFactor
from extensions import db
from tests.conftest import PASSWORD, Client

MANAGER = "north.manager@example.com"
OFFICE = "north.office@example.com"
CARER = "north.carer@example.com"


@pytest.fixture
def required(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default setting: managers and office staff must use a second factor."""
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", ["manager", "office"])


def _account(app: Flask, email: str, role: Role, codes: tuple[str, ...] = ("NORTH",)) -> int:
    """An account made as a provider makes them (not by seed-demo)."""
    with app.app_context():
        branches = list(db.session.scalars(db.select(Branch).where(Branch.code.in_(codes))))
        user = User(
            email=email,
            name=email.split("@")[0].replace(".", " ").title(),
            role=role.value,
            password_hash=hash_password(PASSWORD),
            branches=branches,
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def _text(response: Any) -> str:
    return " ".join(response.get_data(as_text=True).split())


def _code(secret: str, at: datetime | None = None) -> str:
    return pyotp.TOTP(secret).at(at or datetime.now(UTC))


def _signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def _set_up(client: Client, url: str = "/login/two-factor") -> tuple[str, list[str]]:
    """Set up a second factor on the page at `url`: (the key, the recovery codes)."""
    page = client.get(url)
    assert page.status_code == 200
    secret = re.search(r'class="app-secret-key"><code>([A-Z2-7 ]+)</code>', _text(page))
    assert secret is not None
    key = secret.group(1).replace(" ", "")
    shown = client.post_form(url, {"code": _code(key)})
    assert shown.status_code == 200, _text(shown)
    codes = re.findall(r"<li><code>([a-z2-7-]+)</code></li>", shown.get_data(as_text=True))
    client.csrf = None  # a new session began: a new token
    return key, codes


def _next_step(app: Flask, email: str) -> None:
    """As if 30 seconds passed: the step last used is one earlier."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        factor = db.session.get_one(TwoFactor, user.id)
        factor.last_step = (factor.last_step or 0) - 1
        db.session.commit()


def _with_factor(app: Flask, email: str, role: Role) -> tuple[str, list[str]]:
    """An account that has set up its second factor (then signed out)."""
    _account(app, email, role)
    client = Client(app.test_client())
    if client.sign_in(email).headers["Location"] == "/":  # optional for its role
        key, codes = _set_up(client, "/account/two-factor")
    else:
        key, codes = _set_up(client)
    _next_step(app, email)
    return key, codes


def _at_code_step(app: Flask, email: str) -> Client:
    client = Client(app.test_client())
    response = client.sign_in(email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/code"
    return client


def _enter(client: Client, code: str) -> Any:
    response = client.post_form("/login/code", {"code": code})
    if response.status_code == 302:
        client.csrf = None
    return response


# --- who must have one ------------------------------------------------------------


def test_a_manager_without_a_second_factor_is_sent_to_set_one_up(app: Flask, seeded, required):
    _account(app, MANAGER, Role.MANAGER)
    client = Client(app.test_client())
    response = client.sign_in(MANAGER)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/two-factor"
    page = client.get("/login/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.get_data(as_text=True)  # the QR code, drawn on the server


@pytest.mark.parametrize(
    "url", ["/", "/users", "/incidents", "/account/password", "/api/v1/session"]
)
def test_nothing_else_is_reachable_before_the_second_factor_is_set_up(
    app: Flask, seeded, required, url: str
):
    _account(app, MANAGER, Role.MANAGER)
    client = Client(app.test_client())
    client.sign_in(MANAGER)
    assert client.get(url).status_code in {302, 401}
    assert client.get(url).headers.get("Location", "/login").startswith("/login")


def test_setting_up_signs_in_and_shows_ten_recovery_codes_once(app: Flask, seeded, required):
    _account(app, MANAGER, Role.MANAGER)
    client = Client(app.test_client())
    client.sign_in(MANAGER)
    _key, codes = _set_up(client)
    assert len(codes) == len(set(codes)) == 10
    assert _signed_in(client)
    assert client.get("/login/two-factor").headers["Location"] == "/"
    with app.app_context():
        stored = [c.code_hash for c in db.session.scalars(db.select(RecoveryCode))]
        assert len(stored) == 10
        assert not set(codes) & set(stored)


def test_a_wrong_code_at_set_up_leaves_it_off(app: Flask, seeded, required):
    user_id = _account(app, MANAGER, Role.MANAGER)
    client = Client(app.test_client())
    client.sign_in(MANAGER)
    client.get("/login/two-factor")
    response = client.post_form("/login/two-factor", {"code": "000000"})
    assert response.status_code == 422
    assert "There is a problem" in _text(response)
    assert WRONG_CODE in _text(response)
    with app.app_context():
        assert db.session.get_one(TwoFactor, user_id).enabled_at is None
    assert not _signed_in(client)


def test_a_signed_in_account_that_must_have_one_sets_it_up_before_anything_else(
    app: Flask, seeded, sign_in, required
):
    carer_id = _account(app, CARER, Role.CARER)
    carer = Client(app.test_client())
    assert carer.sign_in(CARER).headers["Location"] == "/"
    with app.app_context():  # promoted while signed in
        db.session.get_one(User, carer_id).role = Role.OFFICE.value
        db.session.commit()
    assert carer.get("/").headers["Location"] == "/account/two-factor"
    assert carer.get("/api/v1/incidents").status_code == 403
    _set_up(carer, "/account/two-factor")
    assert _signed_in(carer)


def test_a_carer_need_not_have_one(app: Flask, seeded, required):
    _account(app, CARER, Role.CARER)
    client = Client(app.test_client())
    assert client.sign_in(CARER).headers["Location"] == "/"
    assert _signed_in(client)


def test_a_carer_may_switch_one_on_from_their_account_page(app: Flask, seeded, required):
    _account(app, CARER, Role.CARER)
    client = Client(app.test_client())
    client.sign_in(CARER)
    assert "Two-step sign-in" in _text(client.get("/account/password"))
    key, _codes = _set_up(client, "/account/two-factor")
    _next_step(app, CARER)
    client = _at_code_step(app, CARER)
    assert _enter(client, _code(key)).status_code == 302
    assert _signed_in(client)


def test_a_carer_may_switch_theirs_off_with_a_code(app: Flask, seeded, required):
    key, _codes = _with_factor(app, CARER, Role.CARER)
    client = _at_code_step(app, CARER)
    _enter(client, _code(key))
    _next_step(app, CARER)
    response = client.post_form("/account/two-factor/off", {"code": _code(key)})
    assert response.headers["Location"] == "/account/two-factor"
    client.post_form("/logout")
    assert Client(app.test_client()).sign_in(CARER).headers["Location"] == "/"


def test_no_roles_in_the_setting_means_none_is_required(
    app: Flask, seeded, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", [])
    _account(app, MANAGER, Role.MANAGER)
    client = Client(app.test_client())
    assert client.sign_in(MANAGER).headers["Location"] == "/"
    assert _signed_in(client)


@pytest.mark.parametrize("key", ["manager", "office"])
def test_demo_accounts_are_exempt(app: Flask, sign_in, required, key: str):
    client = sign_in(key)
    assert _signed_in(client)


@pytest.mark.parametrize(
    ("value", "roles"),
    [(None, ["manager", "office"]), ("", []), (" Manager , supervisor", ["manager", "supervisor"])],
)
def test_the_setting_names_the_roles(monkeypatch: pytest.MonkeyPatch, value, roles):
    if value is None:
        monkeypatch.delenv("TWO_FACTOR_ROLES", raising=False)
    else:
        monkeypatch.setenv("TWO_FACTOR_ROLES", value)
    assert settings.load({"ENV_NAME": "testing"})["TWO_FACTOR_ROLES"] == roles


def test_a_role_candour_does_not_have_stops_the_app(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TWO_FACTOR_ROLES", "manager,admin")
    with pytest.raises(settings.SettingsError, match="admin"):
        settings.load({"ENV_NAME": "testing"})


# --- the code after the password --------------------------------------------------


def test_the_password_alone_does_not_sign_in(app: Flask, seeded, required):
    _with_factor(app, MANAGER, Role.MANAGER)
    client = _at_code_step(app, MANAGER)
    assert not _signed_in(client)
    assert client.get("/users").headers["Location"].startswith("/login")


def test_the_right_code_signs_in_and_goes_where_asked(app: Flask, seeded, required):
    key, _codes = _with_factor(app, MANAGER, Role.MANAGER)
    client = Client(app.test_client())
    client.refresh_csrf()
    response = client.post_form("/login?next=/users", {"email": MANAGER, "password": PASSWORD})
    assert response.headers["Location"] == "/login/code"
    client.csrf = None  # a new session: a new token
    assert _enter(client, _code(key)).headers["Location"] == "/users"
    assert client.get("/users").status_code == 200


def test_a_wrong_code_is_refused_with_a_plain_message(app: Flask, seeded, required):
    _with_factor(app, MANAGER, Role.MANAGER)
    client = _at_code_step(app, MANAGER)
    response = _enter(client, "123456")
    assert response.status_code == 422
    assert WRONG_CODE in _text(response)
    assert "There is a problem" in _text(response)
    assert not _signed_in(client)


def test_a_code_used_already_is_refused(app: Flask, seeded, required):
    key, _codes = _with_factor(app, MANAGER, Role.MANAGER)
    code = _code(key)
    first = _at_code_step(app, MANAGER)
    assert _enter(first, code).status_code == 302
    second = _at_code_step(app, MANAGER)
    response = _enter(second, code)
    assert response.status_code == 422
    assert USED_CODE in _text(response)
    assert not _signed_in(second)


def test_a_code_earlier_than_the_last_used_is_refused(app: Flask, seeded, required):
    key, _codes = _with_factor(app, MANAGER, Role.MANAGER)
    now = datetime.now(UTC)
    assert _enter(_at_code_step(app, MANAGER), _code(key, now)).status_code == 302
    response = _enter(_at_code_step(app, MANAGER), _code(key, now - timedelta(seconds=30)))
    assert response.status_code == 422


@pytest.mark.parametrize("seconds", [-90, 90])
def test_a_code_outside_the_window_is_refused(app: Flask, seeded, required, seconds: int):
    key, _codes = _with_factor(app, MANAGER, Role.MANAGER)
    client = _at_code_step(app, MANAGER)
    response = _enter(client, _code(key, datetime.now(UTC) + timedelta(seconds=seconds)))
    assert response.status_code == 422
    assert WRONG_CODE in _text(response)


def test_guessing_codes_is_limited_like_passwords(app: Flask, seeded, required):
    key, _codes = _with_factor(app, MANAGER, Role.MANAGER)
    client = _at_code_step(app, MANAGER)
    for guess in ("111111", "222222", "333333", "444444", "555555"):
        assert _enter(client, guess).status_code == 422
    response = _enter(client, _code(key))  # even the right code waits
    assert response.status_code == 429
    assert response.headers["Retry-After"] in {"29", "30"}
    assert "too many wrong codes" in _text(response)
    with app.app_context():  # the wait passes
        for failure in db.session.scalars(db.select(LoginFailure)):
            failure.at = failure.at - timedelta(seconds=31)
        db.session.commit()
    assert _enter(client, _code(key)).status_code == 302
    assert _signed_in(client)


def test_the_half_signed_in_state_ends_after_fifteen_minutes(app: Flask, seeded, required):
    key, _codes = _with_factor(app, MANAGER, Role.MANAGER)
    client = _at_code_step(app, MANAGER)
    with client.http.session_transaction() as session:
        state = dict(session["second_factor"])
        state["until"] -= 15 * 60 + 1
        session["second_factor"] = state
    response = _enter(client, _code(key))
    assert response.headers["Location"] == "/login"
    assert not _signed_in(client)


# --- recovery codes ---------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(app: Flask, seeded, required):
    _key, codes = _with_factor(app, MANAGER, Role.MANAGER)
    client = _at_code_step(app, MANAGER)
    assert _enter(client, codes[0].upper().replace("-", " ")).status_code == 302
    assert "You have 9 recovery codes left." in _text(client.get("/"))
    again = _at_code_step(app, MANAGER)
    response = _enter(again, codes[0])
    assert response.status_code == 422
    assert WRONG_RECOVERY in _text(response)
    assert not _signed_in(again)


def test_new_recovery_codes_replace_the_old_ones(app: Flask, seeded, required):
    key, codes = _with_factor(app, MANAGER, Role.MANAGER)
    client = _at_code_step(app, MANAGER)
    _enter(client, _code(key))
    _next_step(app, MANAGER)
    page = client.post_form("/account/two-factor/recovery-codes", {"code": _code(key)})
    assert page.status_code == 200
    fresh = re.findall(r"<li><code>([a-z2-7-]+)</code></li>", page.get_data(as_text=True))
    assert len(fresh) == 10
    assert not set(fresh) & set(codes)
    assert _enter(_at_code_step(app, MANAGER), codes[1]).status_code == 422
    assert _enter(_at_code_step(app, MANAGER), fresh[0]).status_code == 302


def test_a_manager_cannot_switch_theirs_off(app: Flask, seeded, required):
    key, _codes = _with_factor(app, MANAGER, Role.MANAGER)
    client = _at_code_step(app, MANAGER)
    _enter(client, _code(key))
    _next_step(app, MANAGER)
    response = client.post_form("/account/two-factor/off", {"code": _code(key)})
    assert response.status_code == 422
    assert "cannot be switched off" in _text(response)


# --- a manager's reset ------------------------------------------------------------


def test_a_manager_resets_a_second_factor_audited_and_signing_them_out(
    app: Flask, sign_in, required
):
    key, _codes = _with_factor(app, OFFICE, Role.OFFICE)
    office = _at_code_step(app, OFFICE)
    _enter(office, _code(key))
    assert _signed_in(office)
    with app.app_context():
        office_id = db.session.scalar(db.select(User.id).where(User.email == OFFICE))
    manager = sign_in("manager")
    assert "Reset two-step sign-in" in _text(manager.get(f"/users/{office_id}"))
    response = manager.post_form(f"/users/{office_id}/two-factor/reset")
    assert response.status_code == 303
    assert not _signed_in(office)  # every sign-in of theirs ended
    with app.app_context():
        event = db.session.scalar(
            db.select(TrailEvent).where(TrailEvent.action == "two_factor_reset")
        )
        assert event is not None
        assert event.record_id == str(office_id)
        assert event.actor.email == "manager@example.com"
        assert db.session.scalar(db.select(RecoveryCode.id)) is None
    again = Client(app.test_client())
    assert again.sign_in(OFFICE).headers["Location"] == "/login/two-factor"


def test_a_manager_cannot_reset_outside_their_branches(app: Flask, seeded, required):
    _key, _codes = _with_factor(app, OFFICE, Role.OFFICE)  # NORTH
    _account(app, "south.boss@example.com", Role.MANAGER, ("SOUTH",))
    south = Client(app.test_client())
    south.sign_in("south.boss@example.com")
    _set_up(south)
    with app.app_context():
        office_id = db.session.scalar(db.select(User.id).where(User.email == OFFICE))
    assert south.post_form(f"/users/{office_id}/two-factor/reset").status_code == 404
    with app.app_context():
        assert db.session.get_one(TwoFactor, office_id).enabled_at is not None


@pytest.mark.parametrize("key", ["carer1", "supervisor", "office"])
def test_only_managers_reset(app: Flask, sign_in, required, key: str):
    _with_factor(app, OFFICE, Role.OFFICE)
    with app.app_context():
        office_id = db.session.scalar(db.select(User.id).where(User.email == OFFICE))
    assert sign_in(key).post_form(f"/users/{office_id}/two-factor/reset").status_code == 403


def test_a_password_the_manager_typed_is_changed_after_setting_up(app: Flask, seeded, required):
    user_id = _account(app, OFFICE, Role.OFFICE)
    with app.app_context():
        db.session.get_one(User, user_id).must_change_password = True
        db.session.commit()
    client = Client(app.test_client())
    assert client.sign_in(OFFICE).headers["Location"] == "/login/two-factor"
    _set_up(client)
    assert client.get("/").headers["Location"] == "/account/password"
    assert client.get("/account/password").status_code == 200
