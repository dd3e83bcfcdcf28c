"""Invitations: a single-use link with which someone chooses their own password,
instead of a manager typing one. A new account gets one (the staff page, the
imports); a manager's "reset password" makes a new one and signs the account out
everywhere. No request here.

- The token is `secrets.token_urlsafe(32)`; only its SHA-256 is stored, so the
  table alone lets nobody in, and the token is never on the audit trail.
- A link works once, for INVITATION_DAYS (7) days, and only while it is the
  account's newest: issuing one revokes those before it.
- Until its owner chooses a password the account has none that works
  (core.passwords.NO_PASSWORD).

The manager is shown the link once, to pass on. A package above core that can
send it (notifications, when mail is set up) listens with `on_link_issued`: core
itself sends nothing and imports nothing above it.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app

from core import password_policy, trail
from core.dates import utcnow
from core.errors import Invalid
from core.models import Invitation, SignInSession, User
from core.passwords import NO_PASSWORD, hash_password
from extensions import db

PATH_PREFIX = "/invitations/"
# secrets.token_urlsafe(32) is 43 characters; anything much longer is not ours.
_LONGEST_TOKEN = 100


class Purpose(enum.StrEnum):
    INVITATION = "invitation"  # a new account
    RESET = "reset"  # a manager's password reset


class LinkState(enum.StrEnum):
    USABLE = "usable"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REPLACED = "replaced"
    ACCOUNT_OFF = "account_off"


GONE_MESSAGES = {
    LinkState.UNKNOWN: (
        "We could not find that link. Check that you copied all of it, or ask your "
        "manager for a new one."
    ),
    LinkState.USED: (
        "This link has already been used to choose a password, and works only once. "
        "Sign in with that password, or ask your manager to reset it."
    ),
    LinkState.EXPIRED: (
        "This link has expired: links work for {days} days. Ask your manager for a new one."
    ),
    LinkState.REPLACED: (
        "A newer link has been made for this account since, so this one no longer "
        "works. Use the newest link you were given, or ask your manager for a new one."
    ),
    LinkState.ACCOUNT_OFF: (
        "This account is switched off, so the link does not work. Ask your manager."
    ),
}


class ChoosePasswordError(Invalid, ValueError):
    """The password chosen breaks the policy; nothing was changed."""


class LinkNotUsable(Exception):
    """The link cannot be used (any more): `state` says why."""

    def __init__(self, state: LinkState):
        super().__init__(state.value)
        self.state = state


@dataclass(frozen=True)
class IssuedLink:
    """A link just issued (in the current transaction, not yet committed)."""

    user: User
    path: str
    purpose: Purpose
    invitation_id: int


_LISTENERS = "core.invitation_link_listeners"


def on_link_issued(app: Flask, listener: Callable[[IssuedLink], None]) -> None:
    """Call `listener` for every link issued, inside the issuing transaction (so
    what it adds commits, or rolls back, with the link)."""
    app.extensions.setdefault(_LISTENERS, []).append(listener)


def announce(link: IssuedLink) -> None:
    for listener in current_app.extensions.get(_LISTENERS, []):
        listener(link)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(days=int(current_app.config.get("INVITATION_DAYS", 7)))


def lifetime_days() -> int:
    return _lifetime().days


def path_for(token: str) -> str:
    return f"{PATH_PREFIX}{token}"


def _revoke_open_links(user: User, now: datetime) -> int:
    result = db.session.execute(
        db.update(Invitation)
        .where(
            Invitation.user_id == user.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def issue_invitation(
    user: User,
    *,
    issued_by: User | None,
    purpose: Purpose = Purpose.INVITATION,
    now: datetime | None = None,
) -> str:
    """A new single-use link for `user` to choose their password; returns its
    path ("/invitations/<token>"), the only place the token ever appears.

    Earlier links of the account stop working. Added to the current transaction
    with its trail event: the caller commits (so an import of many accounts is
    still all or nothing). Does not change the account's password: a new
    account is made with core.passwords.NO_PASSWORD, and reset_password
    removes the old one."""
    now = now or utcnow()
    if getattr(user, "id", None) is None:
        db.session.flush()
    revoked = _revoke_open_links(user, now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_token_hash(token),
        user_id=user.id,
        issued_by_id=issued_by.id if issued_by is not None else None,
        purpose=Purpose(purpose).value,
        created_at=now,
        expires_at=now + _lifetime(),
    )
    db.session.add(invitation)
    db.session.flush()
    trail.record(
        issued_by,
        "invitation_issued",
        "user",
        user.id,
        invitation=invitation.id,
        purpose=invitation.purpose,
        expires_at=invitation.expires_at.isoformat(),
        earlier_links_revoked=revoked,
    )
    path = path_for(token)
    announce(IssuedLink(user, path, Purpose(purpose), invitation.id))
    return path


@dataclass(frozen=True)
class OpenLink:
    invitation: Invitation
    user: User


def open_link(token: str, now: datetime | None = None) -> OpenLink:
    """The invitation and account a link is for, when it can still be used;
    raises LinkNotUsable saying why not. Changes nothing."""
    now = now or utcnow()
    if not token or len(token) > _LONGEST_TOKEN:
        raise LinkNotUsable(LinkState.UNKNOWN)
    invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None:
        raise LinkNotUsable(LinkState.UNKNOWN)
    if invitation.used_at is not None:
        raise LinkNotUsable(LinkState.USED)
    if invitation.revoked_at is not None:
        raise LinkNotUsable(LinkState.REPLACED)
    if invitation.expires_at <= now:
        raise LinkNotUsable(LinkState.EXPIRED)
    if not invitation.user.active:
        raise LinkNotUsable(LinkState.ACCOUNT_OFF)
    return OpenLink(invitation, invitation.user)


def gone_message(state: LinkState) -> str:
    return GONE_MESSAGES[state].format(days=lifetime_days())


def choose_password(token: str, password: str, now: datetime | None = None) -> User:
    """The person with the link sets their password (the policy applies). The
    link is used up, every sign-in of the account ends, and the account need not
    change its password again. Raises LinkNotUsable or ChoosePasswordError, and
    then changes nothing."""
    now = now or utcnow()
    link = open_link(token, now)
    user = link.user
    refused = password_policy.problems(password, email=user.email, name=user.name)
    if refused:
        raise ChoosePasswordError({"new_password": refused})
    # Used once, even when two requests race with the same link.
    claimed = db.session.execute(
        db.update(Invitation)
        .where(
            Invitation.id == link.invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(used_at=now)
    )
    if not getattr(claimed, "rowcount", 0):
        db.session.rollback()
        raise LinkNotUsable(LinkState.USED)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.session_epoch += 1  # any earlier sign-in ends
    trail.record(
        user,
        "invitation_accepted",
        "user",
        user.id,
        invitation=link.invitation.id,
        purpose=link.invitation.purpose,
    )
    db.session.commit()
    return user


def end_sign_ins(user: User, now: datetime) -> int:
    """Ends every sign-in of the account, on every device. Returns how many."""
    user.session_epoch += 1
    result = db.session.execute(
        db.update(SignInSession)
        .where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class ResetRefused(Invalid, ValueError):
    """A manager may not reset this account's password here (their own)."""


OWN_RESET = "You cannot reset your own password here: change it on the Your password page."


def reset_password(manager: User, user: User, now: datetime | None = None) -> str:
    """A manager's reset of an account they manage (the caller has checked that,
    with core.services.get_managed_user): its password stops working, it is
    signed out everywhere, earlier links stop working, and a new link is made.
    Returns the new link's path."""
    if user.id == manager.id:
        raise ResetRefused({"reset": [OWN_RESET]})
    now = now or utcnow()
    user.password_hash = NO_PASSWORD
    user.must_change_password = False
    ended = end_sign_ins(user, now)
    trail.record(manager, "password_reset", "user", user.id, sign_ins_ended=ended)
    path = issue_invitation(user, issued_by=manager, purpose=Purpose.RESET, now=now)
    db.session.commit()
    return path


def waiting_for_password(users: list[User]) -> set[int]:
    """Of these accounts, those that have not chosen a password yet."""
    return {u.id for u in users if u.password_hash == NO_PASSWORD}
