"""Two-factor sign-in: after the right password, a 6-digit code from an
authenticator app (TOTP, RFC 6238) or one of ten single-use recovery codes.

Rules only; no request objects here (the pages are core/routes/two_factor.py).

- Who must have one: accounts whose role is in the setting TWO_FACTOR_ROLES,
  except the demo accounts (exempt, core/demo.py). Anyone else may switch one on.
- A code is accepted within one 30-second step either side of now (phones'
  clocks drift), and only once: the last step used is kept, and a code of that
  step or an earlier one is refused, so a code seen over a shoulder is no use.
- Wrong codes count as failed sign-ins (core/sign_in_limits.py): the same
  growing waits as for passwords, per account and per address.
- Recovery codes: 80 random bits each, kept only as SHA-256. A slow hash (argon2)
  protects what people choose, which a list of guesses can cover; no list covers
  2**80 random values, and one fast hash lets a code be found with one query
  instead of checking ten argon2 hashes per attempt.
- The secret is shown only while being set up, never logged, never in the trail.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

import pyotp
import segno
from sqlalchemy import func, or_

from core import sign_in_limits, trail
from core.errors import Invalid
from core.models import User
from core.sign_in_limits import SignInPolicy
from core.two_factor_models import RecoveryCode, TwoFactor
from extensions import db

ISSUER = "Candour"
STEP_SECONDS = 30
# Steps either side of now that are still accepted (±30 s).
WINDOW_STEPS = 1
RECOVERY_CODE_COUNT = 10
# 16 base32 characters: 80 random bits, written in groups of four.
_RECOVERY_LENGTH = 16
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

WRONG_CODE = "That code is not right. Check the code in your authenticator app and try again."
USED_CODE = (
    "That code has been used already. Wait for your authenticator app to show a new "
    "code, then enter that one."
)
WRONG_RECOVERY = "That recovery code is not right, or it has been used already."
NOT_A_CODE = "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
MUST_KEEP = "Your role must use two-step sign-in, so it cannot be switched off."
SETUP_CODE = "Enter the 6-digit code your authenticator app shows for Candour."


class CodeRefused(Invalid, ValueError):
    """The code was wrong, used already or not a code; `errors` says which."""

    def __init__(self, message: str) -> None:
        super().__init__({"code": [message]})


@dataclass(frozen=True)
class Accepted:
    """A second factor passed. `recovery_left`: how many recovery codes remain
    when one of them was used, else None."""

    recovery_left: int | None = None


# --- who must have one -----------------------------------------------------------


def factor_of(user: User) -> TwoFactor | None:
    return db.session.get(TwoFactor, user.id)


def is_on(user: User) -> bool:
    factor = factor_of(user)
    return factor is not None and factor.enabled_at is not None


def is_required(user: User, roles: Iterable[str]) -> bool:
    if user.role not in set(roles):
        return False
    factor = factor_of(user)
    return factor is None or not factor.exempt


def needs_setup(user: User, roles: Iterable[str]) -> bool:
    """Must have a second factor and has none yet: set one up before anything else."""
    return is_required(user, roles) and not is_on(user)


def mark_exempt(users: Iterable[User]) -> None:
    """The demo accounts: never required to have a second factor (they may still)."""
    for user in users:
        factor = factor_of(user)
        if factor is None:
            db.session.add(TwoFactor(user_id=user.id, exempt=True))
        else:
            factor.exempt = True


# --- codes ------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, interval=STEP_SECONDS)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the window whose code this is, or None."""
    totp = _totp(secret)
    current = totp.timecode(now)
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _is_totp(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def _is_recovery(code: str) -> bool:
    return len(code) == _RECOVERY_LENGTH and all(c in _BASE32 for c in code)


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    text = "".join(secrets.choice(_BASE32) for _ in range(_RECOVERY_LENGTH))
    return "-".join(text[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)).lower()


def recovery_codes_left(user: User) -> int:
    return int(
        db.session.scalar(
            db.select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(c)) for c in codes)
    return codes


def _use_step(user: User, step: int) -> bool:
    """Record `step` as used, unless it or a later one was already (one UPDATE, so
    two requests racing with the same code cannot both pass)."""
    result = db.session.execute(
        db.update(TwoFactor)
        .where(
            TwoFactor.user_id == user.id,
            or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step),
        )
        .values(last_step=step)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    result = db.session.execute(
        db.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _limit_key(user: User) -> str:
    # Counted apart from the password's failures (those are keyed by address
    # email, which always holds an "@"), so typos in one do not hold up the other.
    return f"second-factor:{user.id}"


def _refuse(
    user: User, address: str, policy: SignInPolicy, now: datetime, message: str
) -> NoReturn:
    sign_in_limits.record_failure(_limit_key(user), address, policy, now)
    trail.record(None, "two_factor_failed", "user", user.id, address=address)
    db.session.commit()
    raise CodeRefused(message)


def check_code(
    user: User, code: str, address: str, policy: SignInPolicy, now: datetime
) -> Accepted:
    """The second step of signing in (or proof before changing the factor):
    accept a current code or an unused recovery code.

    Raises SignInLimited while this account or address must wait (the code is not
    checked then), CodeRefused for anything else that is not accepted."""
    factor = factor_of(user)
    if factor is None or factor.enabled_at is None or factor.secret is None:
        raise CodeRefused(WRONG_CODE)
    sign_in_limits.check(_limit_key(user), user, address, policy, now)
    text = _normalise(code)
    if _is_totp(text):
        step = matching_step(factor.secret, text, now)
        if step is None:
            _refuse(user, address, policy, now, WRONG_CODE)
        if not _use_step(user, step):
            _refuse(user, address, policy, now, USED_CODE)
        trail.record(user, "two_factor_passed", "user", user.id, method="app")
        db.session.commit()
        return Accepted()
    if _is_recovery(text) and _use_recovery_code(user, text, now):
        left = recovery_codes_left(user)
        trail.record(user, "two_factor_passed", "user", user.id, method="recovery_code", left=left)
        db.session.commit()
        return Accepted(recovery_left=left)
    _refuse(user, address, policy, now, WRONG_RECOVERY if _is_recovery(text) else NOT_A_CODE)


# --- setting one up ---------------------------------------------------------------


def pending_secret(user: User) -> str:
    """The secret being set up: the same one until it is confirmed, so a page
    opened again still matches what the phone scanned. Only while the factor is
    off; never once it is on."""
    factor = factor_of(user)
    if factor is None:
        factor = TwoFactor(user_id=user.id)
        db.session.add(factor)
    if factor.enabled_at is not None:
        raise CodeRefused("Two-step sign-in is already on for this account.")
    if factor.secret is None:
        factor.secret = pyotp.random_base32(32)
    db.session.commit()
    return factor.secret


def setup_uri(user: User, secret: str) -> str:
    return _totp(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code as an inline SVG element (no JavaScript, no image request)."""
    qr = segno.make(uri, error="m")
    svg: str = qr.svg_inline(
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        title="QR code for your authenticator app",
        svgclass="app-qr-code",
    )
    # An image with a name, for screen readers (the <title> names it).
    return svg.replace("<svg ", '<svg role="img" ', 1)


def key_for_typing(secret: str) -> str:
    """The secret in groups of four, as people type it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_setup(user: User, code: str, now: datetime) -> list[str]:
    """Switch the factor on once a code from it is right; returns the ten
    recovery codes, to be shown once (only their hashes are kept)."""
    factor = factor_of(user)
    if factor is None or factor.secret is None or factor.enabled_at is not None:
        raise CodeRefused("Open the page to set up two-step sign-in again.")
    text = _normalise(code)
    if not _is_totp(text):
        raise CodeRefused(SETUP_CODE)
    step = matching_step(factor.secret, text, now)
    if step is None:
        raise CodeRefused(WRONG_CODE)
    factor.enabled_at = now
    factor.last_step = step
    codes = _replace_recovery_codes(user)
    trail.record(user, "two_factor_on", "user", user.id)
    db.session.commit()
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes in place of the old (after a code was accepted)."""
    codes = _replace_recovery_codes(user)
    trail.record(user, "recovery_codes_replaced", "user", user.id)
    db.session.commit()
    return codes


def switch_off(user: User, roles: Iterable[str]) -> None:
    """Someone who need not have one switches theirs off (after a code was accepted)."""
    if is_required(user, roles):
        raise CodeRefused(MUST_KEEP)
    _clear(user)
    trail.record(user, "two_factor_off", "user", user.id)
    db.session.commit()


def _clear(user: User) -> None:
    factor = factor_of(user)
    if factor is not None:
        factor.secret = None
        factor.enabled_at = None
        factor.last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def reset(manager: User, user: User) -> bool:
    """A manager clears someone's second factor (lost phone): they set one up
    again at their next sign-in if their role must have one, and every sign-in
    of theirs ends now. `user` must be one the manager manages
    (core.services.get_managed_user). Returns whether there was one to clear."""
    had = is_on(user)
    _clear(user)
    # Every sign-in of theirs ends: the session loader compares epochs.
    user.session_epoch += 1
    trail.record(manager, "two_factor_reset", "user", user.id, was_on=had)
    db.session.commit()
    return had
