"""Rules for signing in and for managing staff accounts. No request objects here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_

from core import audit
from core.models import Branch, LoginFailure, Role, User, utcnow
from core.passwords import hash_password, verify_password
from extensions import db

SIGN_IN_FAILED = "Check your email address and password and try again."
TOO_MANY_ATTEMPTS = (
    "Too many attempts to sign in. For your security, wait 15 minutes and try again, "
    "or ask your manager to reset your password."
)


ACCOUNT_INACTIVE = "Your account is switched off. Ask your manager to switch it back on."


class SignInLimited(Exception):
    """Too many recent failures for this account or address."""


class AccountInactive(Exception):
    """Right password, but a manager has deactivated the account."""


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int
    window: timedelta


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _recent_failures(email: str, address: str, since: datetime) -> tuple[int, int]:
    by_email = db.session.scalar(
        db.select(func.count(LoginFailure.id)).where(
            LoginFailure.email == email, LoginFailure.at >= since
        )
    )
    by_address = db.session.scalar(
        db.select(func.count(LoginFailure.id)).where(
            LoginFailure.address == address, LoginFailure.at >= since
        )
    )
    return int(by_email or 0), int(by_address or 0)


def authenticate(email: str, password: str, address: str, policy: SignInPolicy) -> User | None:
    """Return the user for good credentials, None for bad ones.

    Raises SignInLimited once an account or an address has had `max_failures`
    failures within the window; a correct password does not get past that, or
    the limit would only slow guessing down.
    """
    email = normalise_email(email)
    now = utcnow()
    by_email, by_address = _recent_failures(email, address, now - policy.window)
    if by_email >= policy.max_failures or by_address >= policy.max_failures:
        raise SignInLimited()

    user: User | None = db.session.scalar(db.select(User).where(User.email == email))
    # verify_password checks a dummy hash for unknown accounts: same work, same time.
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and not user.active:
        raise AccountInactive()
    if ok and user is not None:
        audit.record(user, "sign_in", "user", user.id)
        # Old failures stay (they are evidence); the window lets them expire.
        db.session.commit()
        return user

    db.session.add(LoginFailure(email=email, address=address, at=now))
    if user is not None:
        audit.record(None, "sign_in_failed", "user", user.id, address=address)
    # Prune failures far outside any window so the table stays small.
    db.session.execute(
        db.delete(LoginFailure).where(LoginFailure.at < now - max(policy.window, timedelta(days=1)))
    )
    db.session.commit()
    return None


def record_sign_out(user: User) -> None:
    audit.record(user, "sign_out", "user", user.id)
    db.session.commit()


def load_session_user(session_id: str) -> User | None:
    """flask-login's user loader: `<id>:<epoch>`; a stale epoch signs nobody in."""
    user_id, _, epoch = session_id.partition(":")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user: User | None = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


# --- managing staff -------------------------------------------------------------


class UserAdminError(ValueError):
    """A rule about accounts was broken; the message says which, per field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def manageable_branches(manager: User) -> list[Branch]:
    return sorted(manager.branches, key=lambda b: b.code)


def users_for_manager(manager: User) -> list[User]:
    ids = manager.branch_ids
    stmt = (
        db.select(User)
        .where(or_(User.branches.any(Branch.id.in_(ids)), ~User.branches.any()))
        .order_by(User.active.desc(), User.name)
    )
    return list(db.session.scalars(stmt))


def get_managed_user(manager: User, user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or user not in users_for_manager(manager):
        return None
    return user


def _branches_from_ids(manager: User, branch_ids: Iterable[int]) -> list[Branch]:
    allowed = {b.id: b for b in manageable_branches(manager)}
    chosen = [allowed[i] for i in branch_ids if i in allowed]
    if not chosen or len(chosen) != len(set(branch_ids)):
        raise UserAdminError({"branch_ids": ["Choose at least one of your branches."]})
    return chosen


def create_user(
    manager: User,
    *,
    email: str,
    name: str,
    role: str,
    branch_ids: Iterable[int],
    password: str,
) -> User:
    email = normalise_email(email)
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise UserAdminError({"email": ["Someone already has this email address."]})
    branches = _branches_from_ids(manager, list(branch_ids))
    user = User(
        email=email,
        name=name.strip(),
        role=Role(role).value,
        password_hash=hash_password(password),
        branches=branches,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        manager,
        "create",
        "user",
        user.id,
        email=email,
        role=user.role,
        branches=[b.code for b in branches],
    )
    db.session.commit()
    return user


def update_user(
    manager: User,
    user: User,
    *,
    name: str,
    role: str,
    branch_ids: Iterable[int],
    active: bool,
    password: str | None = None,
) -> User:
    if user.id == manager.id and (not active or role != Role.MANAGER):
        raise UserAdminError(
            {"active": ["You cannot deactivate yourself or change your own role."]}
        )
    # Branches the manager does not hold are kept as they were.
    mine = manager.branch_ids
    kept = [b for b in user.branches if b.id not in mine]
    chosen = _branches_from_ids(manager, list(branch_ids))
    before = {
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "branches": [b.code for b in user.branches],
    }
    user.name = name.strip()
    user.role = Role(role).value
    user.branches = sorted(kept + chosen, key=lambda b: b.code)
    if user.active and not active:
        user.session_epoch += 1  # signs the account out everywhere
    user.active = active
    if password:
        user.password_hash = hash_password(password)
        user.session_epoch += 1
    after = {
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "branches": [b.code for b in user.branches],
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if password:
        changes["password"] = ["(set)", "(set)"]
    audit.record(manager, "update", "user", user.id, changes=changes)
    db.session.commit()
    return user
