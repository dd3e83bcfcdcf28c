"""The on-call rota: who is on call for which branch, from when to when, and the
managers of a branch in the order escalation tells them. No request here; the
clock is passed in. Times are taken and shown in UK time (Europe/London) and
stored in UTC, so a shift across a clock change lasts what the clocks say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core import trail
from core.dates import UK, within_range
from core.errors import Invalid, OutOfScope
from core.models import Branch, Role, User, user_branches
from extensions import db
from notifications.on_call_models import OnCallShift

# The longest single shift a manager may be put on call for.
LONGEST_SHIFT = timedelta(days=14)
# How far back the rota page lists shifts that have ended.
RECENT = timedelta(days=1)
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class NoSuchLocalTime(ValueError):
    """A UK wall-clock time skipped when the clocks go forward (01:00-01:59 on the
    last Sunday of March)."""


def uk_local_to_utc(text: str) -> datetime:
    """ "2026-03-29T09:00" (UK wall-clock time, as a datetime-local input sends it)
    as a UTC moment. A time the clocks skip raises NoSuchLocalTime; a time that
    happens twice (01:00-01:59 on the last Sunday of October) is the first one
    (British Summer Time). ValueError for anything else that is not such a time."""
    naive = datetime.strptime(text.strip(), LOCAL_FORMAT)  # noqa: DTZ007 (UK wall clock)
    if not within_range(naive.date()):
        raise ValueError(text)
    local = naive.replace(tzinfo=UK, fold=0)
    moment = local.astimezone(UTC)
    if moment.astimezone(UK).replace(tzinfo=None) != naive:
        raise NoSuchLocalTime(text)
    return moment


def managers_of(branch_id: int) -> list[User]:
    """The branch's active registered managers, by name."""
    return list(
        db.session.scalars(
            db.select(User)
            .join(user_branches, user_branches.c.user_id == User.id)
            .where(
                user_branches.c.branch_id == branch_id,
                User.role == Role.MANAGER.value,
                User.active.is_(True),
            )
            .order_by(User.name, User.id)
        )
    )


def on_call_now(branch_id: int, now: datetime) -> list[User]:
    """Who is on call for the branch at `now` (several when shifts overlap, the
    earliest started first); only active managers who still manage the branch."""
    managers = {m.id: m for m in managers_of(branch_id)}
    shifts = db.session.scalars(
        db.select(OnCallShift)
        .where(
            OnCallShift.branch_id == branch_id,
            OnCallShift.starts_at <= now,
            OnCallShift.ends_at > now,
        )
        .order_by(OnCallShift.starts_at, OnCallShift.id)
    )
    on_call: list[User] = []
    for shift in shifts:
        manager = managers.get(shift.user_id)
        if manager is not None and manager not in on_call:
            on_call.append(manager)
    return on_call


def escalation_order(branch_id: int, now: datetime) -> list[User]:
    """The branch's managers in the order escalation goes to them: those on call
    now, then those whose next shift starts soonest, then the rest by name."""
    managers = managers_of(branch_id)
    upcoming: dict[int, datetime] = {}
    for shift in db.session.scalars(
        db.select(OnCallShift)
        .where(OnCallShift.branch_id == branch_id, OnCallShift.ends_at > now)
        .order_by(OnCallShift.starts_at)
    ):
        upcoming.setdefault(shift.user_id, max(shift.starts_at, now))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(managers, key=lambda m: (upcoming.get(m.id, far), m.name, m.id))


@dataclass(frozen=True)
class BranchOnCall:
    branch: Branch
    on_call: list[User]


def on_call_for(user: User, now: datetime) -> list[BranchOnCall]:
    """For the home page: who is on call now in each of the user's branches."""
    return [
        BranchOnCall(branch, on_call_now(branch.id, now))
        for branch in user.branches
        if not branch.archived
    ]


def rota(user: User, now: datetime) -> list[OnCallShift]:
    """Shifts in the user's branches that have not ended (and those that ended in
    the last day), soonest first."""
    ids = user.branch_ids
    if not ids:
        return []
    return list(
        db.session.scalars(
            db.select(OnCallShift)
            .where(OnCallShift.branch_id.in_(ids), OnCallShift.ends_at > now - RECENT)
            .order_by(OnCallShift.starts_at, OnCallShift.id)
        )
    )


def rota_choices(user: User) -> dict[str, Any]:
    """The branches (not archived) and managers a manager may put on the rota."""
    branches = [b for b in user.branches if not b.archived]
    managers: dict[int, User] = {}
    for branch in branches:
        for manager in managers_of(branch.id):
            managers.setdefault(manager.id, manager)
    return {
        "branches": [(b.id, f"{b.name} ({b.code})") for b in branches],
        "managers": [(m.id, m.name) for m in sorted(managers.values(), key=lambda m: m.name)],
    }


def _moment(data: dict[str, Any], key: str, errors: dict[str, list[str]]) -> datetime | None:
    text = str(data.get(key) or "")
    if not text.strip():
        errors[key] = ["Enter a date and time."]
        return None
    try:
        return uk_local_to_utc(text)
    except NoSuchLocalTime:
        errors[key] = ["That time does not exist in the UK: the clocks go forward an hour then."]
    except ValueError:
        errors[key] = ["Enter a date and time, for example 2026-12-24T18:00."]
    return None


def add_shift(actor: User, data: dict[str, Any], now: datetime) -> OnCallShift:
    """Put a manager of one of the actor's branches on call for it. `data` holds
    branch and user (ids) and starts/ends (UK datetime-local text). Invalid: 422."""
    errors: dict[str, list[str]] = {}
    branch_id, user_id = data.get("branch"), data.get("user")
    archived = {b.id for b in actor.branches if b.archived}
    if branch_id not in actor.branch_ids or branch_id in archived:
        errors["branch"] = ["Choose one of your branches."]
    elif user_id not in {m.id for m in managers_of(int(branch_id))}:
        errors["user"] = ["Choose a registered manager of that branch."]
    starts, ends = _moment(data, "starts", errors), _moment(data, "ends", errors)
    if starts is not None and ends is not None:
        if ends <= starts:
            errors["ends"] = ["The end must be after the start."]
        elif ends - starts > LONGEST_SHIFT:
            errors["ends"] = ["A shift can be up to 14 days. Add another for longer."]
        elif ends <= now:
            errors["ends"] = ["That shift has already ended. Enter a time still to come."]
    if errors or starts is None or ends is None or branch_id is None or user_id is None:
        raise Invalid(errors)
    shift = OnCallShift(
        branch_id=int(branch_id),
        user_id=int(user_id),
        starts_at=starts,
        ends_at=ends,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(shift)
    db.session.flush()
    trail.record(
        actor,
        "on_call_added",
        "on_call_shift",
        shift.id,
        branch=shift.branch_id,
        user=shift.user_id,
        starts_at=starts.isoformat(),
        ends_at=ends.isoformat(),
    )
    db.session.commit()
    return shift


def shift_in_scope(actor: User, shift_id: int) -> OnCallShift:
    shift = db.session.get(OnCallShift, shift_id)
    if shift is None or shift.branch_id not in actor.branch_ids:
        raise OutOfScope(shift_id)
    return shift


def remove_shift(actor: User, shift: OnCallShift) -> None:
    trail.record(
        actor,
        "on_call_removed",
        "on_call_shift",
        shift.id,
        branch=shift.branch_id,
        user=shift.user_id,
        starts_at=shift.starts_at.isoformat(),
        ends_at=shift.ends_at.isoformat(),
    )
    db.session.delete(shift)
    db.session.commit()
