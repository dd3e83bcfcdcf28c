"""Between the right password and the second factor: the session holds only who
is signing in, until when, and where to go after; nobody is signed in (no
`login_user`, no sign-in session), so every other page still asks to sign in.

Apart from core/routes/sign_in.py and core/routes/two_factor.py so that both can
use it without importing each other."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, redirect, session, url_for

from core import two_factor
from core.dates import utcnow
from core.models import User
from extensions import db

PENDING = "second_factor"
# Long enough to find the phone, or to install an app and scan the code.
PENDING_FOR = timedelta(minutes=15)


def required_roles() -> list[str]:
    roles: list[str] = current_app.config.get("TWO_FACTOR_ROLES", [])
    return roles


def after_password(user: User, next_target: str) -> Any:
    """Where a right password leads when a second step is needed: the code, or
    setting one up first when the account must have one and has none. None when
    the password alone signs in."""
    if two_factor.is_on(user):
        endpoint = "core.sign_in_code"
    elif two_factor.needs_setup(user, required_roles()):
        endpoint = "core.sign_in_setup"
    else:
        return None
    # A new session: nothing from before (CSRF token included) carries over.
    session.clear()
    session[PENDING] = {
        "user": user.id,
        "epoch": user.session_epoch,
        "until": int((utcnow() + PENDING_FOR).timestamp()),
        "next": next_target,
    }
    return redirect(url_for(endpoint))


def pending_user() -> User | None:
    """The account half-way through signing in, while that lasts: not after
    PENDING_FOR, nor once it is switched off or its sign-ins were ended."""
    state = session.get(PENDING)
    if not isinstance(state, dict):
        return None
    user_id, epoch, until = state.get("user"), state.get("epoch"), state.get("until")
    if not isinstance(user_id, int) or not isinstance(until, int):
        return None
    if until < utcnow().timestamp():
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return user


def pending_next() -> str:
    state = session.get(PENDING)
    target = state.get("next") if isinstance(state, dict) else None
    return target if isinstance(target, str) else url_for("core.home")
