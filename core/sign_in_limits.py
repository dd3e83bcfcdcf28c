"""Sign-in limits: growing waits that slow guessing down without locking anyone out.

Per account: after `account_failures` failed sign-ins within the window (counted
since the account's last successful sign-in), each further attempt must wait,
after the latest failure, `first_wait`, then twice that, then four times, … up to
`longest_wait`. An attempt during the wait is answered "wait N seconds" without
the password being checked (so guessing gains nothing by it, and the wait does
not grow); the right password after the wait always signs in.

Per address: the same, counting failures from one address (the one the trusted
proxy saw: see PROXY_HOPS) for any account, with a threshold high enough that an
office or a care agency behind one address is not held up by a few typos.

Failures are rows in the database (core.models.LoginFailure), so every worker and
every instance sees the same counts. No request objects here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func

from core.models import LoginFailure, SignInSession, User
from extensions import db

# Beyond this many doublings the wait is the longest anyway (and 2**n stays small).
_MAX_DOUBLINGS = 20


@dataclass(frozen=True)
class SignInPolicy:
    account_failures: int
    address_failures: int
    window: timedelta
    first_wait: timedelta
    longest_wait: timedelta


class SignInLimited(Exception):
    """Too many recent failures: try again after `seconds`."""

    def __init__(self, seconds: int, by_address: bool) -> None:
        super().__init__(seconds)
        self.seconds = seconds
        self.by_address = by_address

    @property
    def message(self) -> str:
        wait = describe_wait(self.seconds)
        if self.by_address:
            return (
                "There have been too many failed sign-ins from this network. For "
                f"everyone's security, wait {wait} and try again."
            )
        return (
            "There have been too many failed attempts to sign in to this account. For "
            f"your security, wait {wait} and try again. Forgotten your password? Ask "
            "your manager to set a new one."
        )


def describe_wait(seconds: int) -> str:
    """How a wait reads: 1 second, 45 seconds, 2 minutes (minutes rounded up)."""
    if seconds < 120:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def wait_after(
    failures: int, threshold: int, latest: datetime | None, policy: SignInPolicy, now: datetime
) -> int:
    """Whole seconds still to wait, 0 when an attempt may be checked."""
    if latest is None or failures < threshold:
        return 0
    doublings = min(failures - threshold, _MAX_DOUBLINGS)
    wait = min(policy.longest_wait, policy.first_wait * (1 << doublings))
    remaining = (latest + wait - now).total_seconds()
    return max(0, math.ceil(remaining))


def _failures(*conditions: object) -> tuple[int, datetime | None]:
    count, latest = db.session.execute(
        db.select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(*conditions)
    ).one()
    return int(count or 0), latest


def check(email: str, user: User | None, address: str, policy: SignInPolicy, now: datetime) -> None:
    """Raise SignInLimited while this account or address must wait."""
    since = now - policy.window
    by_address, latest = _failures(LoginFailure.address == address, LoginFailure.at >= since)
    seconds = wait_after(by_address, policy.address_failures, latest, policy, now)
    if seconds:
        raise SignInLimited(seconds, by_address=True)
    if user is not None:
        # A successful sign-in starts the count again: the owner's old typos do not
        # make their next one wait longer.
        last_success = db.session.scalar(
            db.select(func.max(SignInSession.started_at)).where(SignInSession.user_id == user.id)
        )
        if last_success is not None:
            since = max(since, last_success)
    by_account, latest = _failures(LoginFailure.email == email, LoginFailure.at >= since)
    seconds = wait_after(by_account, policy.account_failures, latest, policy, now)
    if seconds:
        raise SignInLimited(seconds, by_address=False)


def record_failure(email: str, address: str, policy: SignInPolicy, now: datetime) -> None:
    db.session.add(LoginFailure(email=email, address=address[:64], at=now))
    # Failures far outside any window are of no further use; keep the table small.
    db.session.execute(
        db.delete(LoginFailure).where(LoginFailure.at < now - max(policy.window, timedelta(days=1)))
    )
