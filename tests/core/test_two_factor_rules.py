"""core/two_factor.py's rules on a clock the test sets: the window of ±1 step,
codes used once, recovery codes single-use and kept only hashed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask

from core import two_factor
from core.models import TrailEvent, User
from core.sign_in_limits import SignInPolicy
from core.two_factor_models import RecoveryCode, TwoFactor
from extensions import db

NOW = datetime(2026, 12, 7, 16, 0, 15, tzinfo=UTC)  # 15 s into a step
POLICY = SignInPolicy(
    account_failures=5,
    address_failures=50,
    window=timedelta(hours=1),
    first_wait=timedelta(seconds=30),
    longest_wait=timedelta(minutes=10),
)


def _carer(staff: dict[str, User]) -> User:
    return staff["carer1"]


def _switched_on(user: User) -> tuple[str, list[str]]:
    secret = two_factor.pending_secret(user)
    codes = two_factor.confirm_setup(user, pyotp.TOTP(secret).at(NOW), NOW)
    return secret, codes


def _check(user: User, code: str, now: datetime) -> two_factor.Accepted:
    return two_factor.check_code(user, code, "192.0.2.1", POLICY, now)


@pytest.mark.parametrize("offset", [-30, 30])
def test_a_code_one_step_either_side_is_accepted(offset: int):
    secret = pyotp.random_base32(32)
    code = pyotp.TOTP(secret).at(NOW + timedelta(seconds=offset))
    assert two_factor.matching_step(secret, code, NOW) == (NOW.timestamp() + offset) // 30


@pytest.mark.parametrize("offset", [-60, 60, -3600])
def test_a_code_two_steps_away_is_not(offset: int):
    secret = pyotp.random_base32(32)
    code = pyotp.TOTP(secret).at(NOW + timedelta(seconds=offset))
    assert two_factor.matching_step(secret, code, NOW) is None


def test_setup_needs_a_code_from_the_secret_shown(app_ctx: Flask, staff: dict[str, User]):
    user = _carer(staff)
    secret = two_factor.pending_secret(user)
    assert two_factor.pending_secret(user) == secret  # the same until confirmed
    with pytest.raises(two_factor.CodeRefused):
        two_factor.confirm_setup(user, "000000", NOW)
    assert not two_factor.is_on(user)
    _switched_on(user)
    assert two_factor.is_on(user)
    with pytest.raises(two_factor.CodeRefused):  # never shown again once on
        two_factor.pending_secret(user)


def test_the_code_that_confirmed_setup_cannot_sign_in(app_ctx: Flask, staff: dict[str, User]):
    user = _carer(staff)
    secret, _codes = _switched_on(user)
    with pytest.raises(two_factor.CodeRefused, match="used already"):
        _check(user, pyotp.TOTP(secret).at(NOW), NOW + timedelta(seconds=5))
    later = NOW + timedelta(seconds=30)
    assert _check(user, pyotp.TOTP(secret).at(later), later).recovery_left is None


def test_recovery_codes_are_kept_hashed_and_work_once(app_ctx: Flask, staff: dict[str, User]):
    user = _carer(staff)
    _secret, codes = _switched_on(user)
    stored = set(db.session.scalars(db.select(RecoveryCode.code_hash)))
    plain = codes[3].replace("-", "").upper()
    assert hashlib.sha256(plain.encode()).hexdigest() in stored
    assert not {c for c in codes if c in stored}
    assert _check(user, codes[3], NOW).recovery_left == 9
    with pytest.raises(two_factor.CodeRefused, match="used already"):
        _check(user, codes[3], NOW)
    assert two_factor.recovery_codes_left(user) == 9


def test_the_secret_is_never_in_the_trail(app_ctx: Flask, staff: dict[str, User]):
    user = _carer(staff)
    secret, codes = _switched_on(user)
    _check(user, codes[0], NOW)
    with pytest.raises(two_factor.CodeRefused):
        _check(user, "123456", NOW)
    trail = " ".join(str(e.detail) for e in db.session.scalars(db.select(TrailEvent)))
    assert secret not in trail
    assert not any(code in trail for code in codes)


def test_reset_clears_the_factor_and_ends_sign_ins(app_ctx: Flask, staff: dict[str, User]):
    user, manager = _carer(staff), staff["manager"]
    _switched_on(user)
    epoch = user.session_epoch
    assert two_factor.reset(manager, user) is True
    factor = db.session.get_one(TwoFactor, user.id)
    assert (factor.secret, factor.enabled_at, factor.last_step) == (None, None, None)
    assert user.session_epoch == epoch + 1
    assert two_factor.recovery_codes_left(user) == 0


def test_the_demo_accounts_are_exempt(app_ctx: Flask, staff: dict[str, User]):
    roles = ["carer", "supervisor", "manager", "office"]
    assert not any(two_factor.is_required(user, roles) for user in staff.values())


def test_the_qr_code_is_an_svg_image_with_a_name(app_ctx: Flask, staff: dict[str, User]):
    user = _carer(staff)
    uri = two_factor.setup_uri(user, two_factor.pending_secret(user))
    assert uri.startswith("otpauth://totp/Candour:carer1%40example.com?secret=")
    svg = two_factor.qr_svg(uri)
    assert svg.startswith('<svg role="img" ')
    assert "<title>QR code for your authenticator app</title>" in svg
    assert "<script" not in svg
