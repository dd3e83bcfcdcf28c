"""Rules for signing in and for managing staff accounts. No request objects here."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core import invitations, password_policy, scoping, sign_in_limits, trail
from core.dates import utcnow
from core.errors import Invalid
from core.models import Branch, Role, SignInSession, Team, User
from core.passwords import NO_PASSWORD, hash_password, verify_password
from core.sign_in_limits import SignInPolicy
from extensions import db

SIGN_IN_FAILED = "Check your email address and password and try again."
ACCOUNT_INACTIVE = "Your account is switched off. Ask your manager to switch it back on."


class AccountInactive(Exception):
    """Right password, but a manager has deactivated the account."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str, address: str, policy: SignInPolicy) -> User | None:
    """Return the user for good credentials, None for bad ones.

    Raises SignInLimited (core.sign_in_limits) while the account or the address
    must wait after recent failures: then the password is not checked at all.
    After the wait, the right password signs in.
    """
    email = normalise_email(email)
    now = utcnow()
    user: User | None = db.session.scalar(db.select(User).where(User.email == email))
    sign_in_limits.check(email, user, address, policy, now)
    # verify_password checks a dummy hash for unknown accounts: same work, same time.
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and not user.active:
        raise AccountInactive()
    if ok and user is not None:
        trail.record(user, "sign_in", "user", user.id)
        # Old failures stay (they are evidence); the window lets them expire.
        db.session.commit()
        return user

    sign_in_limits.record_failure(email, address, policy, now)
    if user is not None:
        trail.record(None, "sign_in_failed", "user", user.id, address=address)
    db.session.commit()
    return None


# A sign-in ends when the person signs out, after 12 hours unused (the cookie's
# own lifetime) or, however busy, after this long: then they sign in again.
SIGN_IN_MAX_AGE = timedelta(days=30)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_sign_in_session(user: User, address: str, user_agent: str) -> str:
    """A new sign-in for this device; returns the token the session cookie keeps."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(
        SignInSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            epoch=user.session_epoch,
            started_at=now,
            address=address[:64],
            user_agent=user_agent[:200],
        )
    )
    # Ended or too old sign-ins are of no further use; keep the table small.
    db.session.execute(
        db.delete(SignInSession).where(
            or_(
                SignInSession.ended_at < now - timedelta(days=1),
                SignInSession.started_at < now - SIGN_IN_MAX_AGE,
            )
        )
    )
    db.session.commit()
    user.sign_in_token = token
    user.sign_in_started_at = now
    return token


def record_sign_out(user: User) -> None:
    """Ends this device's sign-in on the server, so no copy of its cookie works again."""
    if user.sign_in_token is not None:
        db.session.execute(
            db.update(SignInSession)
            .where(
                SignInSession.token_hash == _token_hash(user.sign_in_token),
                SignInSession.ended_at.is_(None),
            )
            .values(ended_at=utcnow())
        )
    trail.record(user, "sign_out", "user", user.id)
    db.session.commit()


def sign_in_seconds_left(user: User, idle_lifetime: timedelta) -> int:
    """How long, at most, this sign-in can still last: until the session cookie
    lapses unused (`idle_lifetime` from now; each page opened renews it) or the
    sign-in reaches SIGN_IN_MAX_AGE, whichever is sooner. A phone with no signal
    uses it to know a sign-in has ended (static/js/offline/store.js)."""
    left = idle_lifetime
    started = user.sign_in_started_at
    if started is not None:
        left = min(left, started + SIGN_IN_MAX_AGE - utcnow())
    return max(0, int(left.total_seconds()))


def load_session_user(token: str) -> User | None:
    """flask-login's user loader: the sign-in the cookie names, if it has not ended,
    is not too old, and its account is active with the same session epoch."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        db.select(User, SignInSession.epoch, SignInSession.started_at)
        .join(SignInSession, SignInSession.user_id == User.id)
        .where(
            SignInSession.token_hash == _token_hash(token),
            SignInSession.ended_at.is_(None),
            SignInSession.started_at >= utcnow() - SIGN_IN_MAX_AGE,
        )
    ).first()
    if row is None:
        return None
    user, epoch, started_at = row
    if not user.active or user.session_epoch != epoch:
        return None
    user.sign_in_token = token
    user.sign_in_started_at = started_at
    return user  # type: ignore[no-any-return]


class PasswordChangeError(Invalid, ValueError):
    """The current password was wrong, or the new one breaks a rule."""


WRONG_CURRENT = "That is not your current password. Check it and try again."
SAME_AS_BEFORE = "Choose a new password, different from your current one."


def change_own_password(
    user: User, current: str, new: str, address: str, policy: SignInPolicy
) -> None:
    """A signed-in person sets their own password, proving they know the current
    one (checked under the same limits as signing in). Every other sign-in of the
    account ends; this one carries on. Clears must_change_password."""
    now = utcnow()
    sign_in_limits.check(user.email, user, address, policy, now)
    if not verify_password(user.password_hash, current):
        sign_in_limits.record_failure(user.email, address, policy, now)
        trail.record(user, "password_change_failed", "user", user.id, address=address)
        db.session.commit()
        raise PasswordChangeError({"current_password": [WRONG_CURRENT]})
    if new == current:
        raise PasswordChangeError({"new_password": [SAME_AS_BEFORE]})
    refused = password_policy.problems(new, email=user.email, name=user.name)
    if refused:
        raise PasswordChangeError({"new_password": refused})
    forced = user.must_change_password
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_epoch += 1  # signs the account out everywhere else
    if user.sign_in_token is not None:
        db.session.execute(
            db.update(SignInSession)
            .where(SignInSession.token_hash == _token_hash(user.sign_in_token))
            .values(epoch=user.session_epoch)
        )
    trail.record(user, "password_change", "user", user.id, required=forced)
    db.session.commit()


# --- managing staff -------------------------------------------------------------


class UserAdminError(Invalid, ValueError):
    """A rule about accounts was broken; the message says which, per field."""


def manageable_branches(manager: User) -> list[Branch]:
    """The manager's branches that staff forms offer (not archived ones)."""
    return sorted((b for b in manager.branches if b.archived_at is None), key=lambda b: b.code)


def _managed_by(manager: User) -> ColumnElement[bool]:
    """The accounts a manager manages: those whose branches are all among the
    manager's own. An account with no branch belongs to no branch's manager in
    particular, so only a manager of every branch manages it."""
    condition = scoping.all_branches_among(manager, User.branches)
    if scoping.holds_every_branch(manager):
        condition = or_(condition, ~User.branches.any())
    return condition


def users_for_manager(manager: User) -> list[User]:
    stmt = (
        db.select(User)
        .where(_managed_by(manager))
        .options(selectinload(User.team))
        .order_by(User.active.desc(), User.name)
    )
    return list(db.session.scalars(stmt))


def get_managed_user(manager: User, user_id: int) -> User | None:
    """The account with this id if `manager` manages it, else None (a 404:
    accounts beyond the manager's branches are as if they did not exist)."""
    user: User | None = db.session.scalar(
        db.select(User).where(User.id == user_id).where(_managed_by(manager))
    )
    return user


def _branches_from_ids(manager: User, branch_ids: Iterable[int]) -> list[Branch]:
    allowed = {b.id: b for b in manageable_branches(manager)}
    chosen = [allowed[i] for i in branch_ids if i in allowed]
    if not chosen or len(chosen) != len(set(branch_ids)):
        raise UserAdminError({"branch_ids": ["Choose at least one of your branches."]})
    return chosen


def add_account(
    actor: User | None,
    *,
    email: str,
    name: str,
    role: Role,
    branches: list[Branch],
    password_hash: str = NO_PASSWORD,
    **detail: Any,
) -> User:
    """A new account, on the trail as made by `actor` (None: a command). The one
    place accounts are made one at a time (imports make them in bulk)."""
    user = User(
        email=email,
        name=name,
        role=role.value,
        password_hash=password_hash,
        must_change_password=False,
        branches=branches,
    )
    db.session.add(user)
    db.session.flush()
    trail.record(
        actor,
        "create",
        "user",
        user.id,
        email=email,
        role=user.role,
        branches=[b.code for b in branches],
        **detail,
    )
    return user


def create_user(
    manager: User,
    *,
    email: str,
    name: str,
    role: str,
    branch_ids: Iterable[int],
) -> tuple[User, str]:
    """A new account with no password yet, and the single-use link with which its
    owner chooses one (core/invitations.py). Returns both: the link's path is
    shown to the manager once, and never stored."""
    email = normalise_email(email)
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise UserAdminError({"email": ["Someone already has this email address."]})
    branches = _branches_from_ids(manager, list(branch_ids))
    user = add_account(manager, email=email, name=name.strip(), role=Role(role), branches=branches)
    path = invitations.issue_invitation(user, issued_by=manager)
    db.session.commit()
    return user, path


def update_user(
    manager: User,
    user: User,
    *,
    name: str,
    role: str,
    branch_ids: Iterable[int],
    active: bool,
) -> User:
    if user.id == manager.id and (not active or role != Role.MANAGER):
        raise UserAdminError(
            {"active": ["You cannot deactivate yourself or change your own role."]}
        )
    # A managed account's branches are all the manager's (get_managed_user), so
    # the branches chosen here are the whole of its branches.
    chosen = _branches_from_ids(manager, list(branch_ids))
    before = {
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "branches": [b.code for b in user.branches],
    }
    user.name = name.strip()
    user.role = Role(role).value
    # Archived branches are not offered, so the form cannot send them: the
    # account keeps those it has (and with them their records).
    kept = [b for b in user.branches if b.archived_at is not None and b not in chosen]
    user.branches = sorted([*chosen, *kept], key=lambda b: b.code)
    before["team"] = user.team.name if user.team else None
    if user.team is not None and user.team.branch_id not in user.branch_ids:
        user.team = None  # a team is always one of the user's own branches
    if user.active and not active:
        user.session_epoch += 1  # signs the account out everywhere
    user.active = active
    after = {
        "name": user.name,
        "role": user.role,
        "active": user.active,
        "branches": [b.code for b in user.branches],
        "team": user.team.name if user.team else None,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    trail.record(manager, "update", "user", user.id, changes=changes)
    db.session.commit()
    return user


# --- teams ------------------------------------------------------------------------

NO_SUCH_TEAM = "Choose one of the teams of their branches, or no team."


def teams_for_manager(manager: User) -> list[Team]:
    """Teams of the manager's branches, active ones first, by branch then name."""
    stmt = (
        db.select(Team)
        .join(Branch, Branch.id == Team.branch_id)
        .where(Team.branch_id.in_(manager.branch_ids))
        .order_by(Branch.code, Team.active.desc(), Team.name)
    )
    return list(db.session.scalars(stmt))


def team_choices(manager: User, user: User, teams: Iterable[Team] | None = None) -> list[Team]:
    """The teams a manager may put `user` in: active teams of the user's branches
    that the manager also holds (`teams`: the manager's, when already loaded)."""
    mine = teams_for_manager(manager) if teams is None else teams
    return [t for t in mine if t.active and t.branch_id in user.branch_ids]


def create_team(manager: User, *, branch_id: int, name: str) -> Team:
    branch = next((b for b in manageable_branches(manager) if b.id == branch_id), None)
    if branch is None:
        raise UserAdminError({"team_branch_id": ["Choose one of your branches."]})
    name = " ".join(name.split())
    if not name:
        raise UserAdminError({"team_name": ["Enter a team name of up to 80 characters."]})
    taken = db.session.scalar(
        db.select(Team.id).where(Team.branch_id == branch.id, func.lower(Team.name) == name.lower())
    )
    duplicate = UserAdminError({"team_name": [f"{branch.name} already has a team called {name}."]})
    if taken is not None:
        raise duplicate
    team = Team(branch_id=branch.id, name=name)
    db.session.add(team)
    try:
        db.session.flush()
    except IntegrityError:  # made at the same moment by someone else
        db.session.rollback()
        raise duplicate from None
    trail.record(manager, "create", "team", team.id, branch=branch.code, name=name)
    db.session.commit()
    return team


def get_managed_team(manager: User, team_id: int) -> Team | None:
    team = db.session.get(Team, team_id)
    if team is None or team.branch_id not in manager.branch_ids:
        return None
    return team


def set_team_active(manager: User, team: Team, active: bool) -> int:
    """Switch a team off (everyone in it is left with no team, so no new report
    is counted against it) or back on. Returns how many people left it."""
    if team.active == active:
        return 0
    members = list(db.session.scalars(db.select(User).where(User.team_id == team.id)))
    for member in members:
        member.team = None
    team.active = active
    trail.record(
        manager,
        "update",
        "team",
        team.id,
        changes={"active": [not active, active]},
        members_removed=[m.id for m in members],
    )
    db.session.commit()
    return len(members)


def set_user_team(manager: User, user: User, team_id: int | None) -> User:
    """Put a user in one team of their branches (one the manager holds), or in
    none. Anything else is refused and nothing changes."""
    if team_id is not None and team_id == user.team_id:
        return user  # the form sent back unchanged
    team = None
    if team_id is not None:
        team = next((t for t in team_choices(manager, user) if t.id == team_id), None)
        if team is None:
            raise UserAdminError({f"team_id-{user.id}": [NO_SUCH_TEAM]})
    before = user.team.name if user.team else None
    after = team.name if team else None
    if user.team_id != (team.id if team else None):
        user.team = team
        trail.record(manager, "update", "user", user.id, changes={"team": [before, after]})
        db.session.commit()
    return user
