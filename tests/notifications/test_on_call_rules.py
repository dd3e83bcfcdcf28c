"""The on-call rota's rules on a fixed clock: UK times in and out across the clock
changes, who is on call, the escalation order, and what a manager may add."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Invalid, OutOfScope
from core.models import Branch, Role, TrailEvent, User
from core.passwords import hash_password
from extensions import db
from notifications import on_call
from notifications.on_call_models import OnCallShift

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2026-12-24T18:00", datetime(2026, 12, 24, 18, 0, tzinfo=UTC)),  # GMT
        ("2026-07-01T18:00", datetime(2026, 7, 1, 17, 0, tzinfo=UTC)),  # BST
        # Last Sunday of March: 00:59 GMT, then 02:00 BST.
        ("2026-03-29T00:59", datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        ("2026-03-29T02:00", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        # Last Sunday of October: 01:30 happens twice; the first (BST) is meant.
        ("2026-10-25T01:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-10-25T02:30", datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),
    ],
)
def test_uk_local_times_become_utc_across_clock_changes(local: str, utc: datetime) -> None:
    assert on_call.uk_local_to_utc(local) == utc


def test_a_time_the_clocks_skip_is_refused() -> None:
    with pytest.raises(on_call.NoSuchLocalTime):
        on_call.uk_local_to_utc("2026-03-29T01:30")


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01T10:00", "1800-01-01T10:00"])
def test_what_is_not_a_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        on_call.uk_local_to_utc(text)


def _branch(code: str) -> Branch:
    return db.session.scalars(db.select(Branch).where(Branch.code == code)).one()


def _manager(name: str, *codes: str) -> User:
    user = User(
        email=f"{name.lower().replace(' ', '.')}@example.com",
        name=name,
        role=Role.MANAGER.value,
        password_hash=hash_password("x" * 16),
        branches=[_branch(c) for c in codes],
    )
    db.session.add(user)
    db.session.flush()
    return user


def _shift(user: User, code: str, start: datetime, end: datetime) -> OnCallShift:
    shift = OnCallShift(
        branch_id=_branch(code).id,
        user_id=user.id,
        starts_at=start,
        ends_at=end,
        created_by_id=user.id,
    )
    db.session.add(shift)
    db.session.flush()
    return shift


def test_nobody_is_on_call_without_a_shift(staff: dict[str, User]) -> None:
    assert on_call.on_call_now(_branch("NORTH").id, NOW) == []


def test_the_manager_whose_shift_covers_now_is_on_call(staff: dict[str, User]) -> None:
    manager = staff["manager"]
    _shift(manager, "NORTH", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert on_call.on_call_now(_branch("NORTH").id, NOW) == [manager]
    assert on_call.on_call_now(_branch("SOUTH").id, NOW) == []


def test_a_shift_ends_at_its_end(staff: dict[str, User]) -> None:
    _shift(staff["manager"], "NORTH", NOW - timedelta(hours=2), NOW)
    assert on_call.on_call_now(_branch("NORTH").id, NOW) == []


def test_a_manager_no_longer_of_the_branch_is_not_on_call(staff: dict[str, User]) -> None:
    other = _manager("Ola Other", "NORTH")
    _shift(other, "NORTH", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    other.active = False
    db.session.flush()
    assert on_call.on_call_now(_branch("NORTH").id, NOW) == []


def test_escalation_order_is_on_call_then_next_shift_then_by_name(staff: dict[str, User]) -> None:
    demo = staff["manager"]
    zed = _manager("Zed Zephyr", "NORTH")
    abe = _manager("Abe Able", "NORTH")
    later = _manager("Mo Later", "NORTH")
    _shift(zed, "NORTH", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    _shift(later, "NORTH", NOW + timedelta(hours=3), NOW + timedelta(hours=9))
    order = on_call.escalation_order(_branch("NORTH").id, NOW)
    rest = sorted([demo, abe], key=lambda m: m.name)
    assert order == [zed, later, *rest]


def test_the_home_page_rota_lists_each_of_the_users_branches(staff: dict[str, User]) -> None:
    _shift(staff["manager"], "SOUTH", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    rows = {r.branch.code: r.on_call for r in on_call.on_call_for(staff["office"], NOW)}
    assert rows == {"NORTH": [], "SOUTH": [staff["manager"]]}


def _data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "branch": _branch("NORTH").id,
        "starts": "2026-12-07T18:00",
        "ends": "2026-12-08T08:00",
    }
    data.update(changes)
    return data


def test_a_manager_puts_a_manager_of_the_branch_on_call(staff: dict[str, User]) -> None:
    manager = staff["manager"]
    shift = on_call.add_shift(manager, _data(user=manager.id), NOW)
    assert (shift.starts_at, shift.ends_at) == (
        datetime(2026, 12, 7, 18, 0, tzinfo=UTC),
        datetime(2026, 12, 8, 8, 0, tzinfo=UTC),
    )
    event = db.session.scalars(
        db.select(TrailEvent).where(TrailEvent.action == "on_call_added")
    ).one()
    assert event.actor_id == manager.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends": "2026-12-07T17:00"}, "ends"),  # before the start
        ({"starts": "2026-12-01T08:00", "ends": "2026-12-07T11:00"}, "ends"),  # over
        ({"ends": "2026-12-30T08:00"}, "ends"),  # longer than 14 days
        ({"starts": "2027-03-28T01:30"}, "starts"),  # skipped by the clocks
        ({"starts": "soon"}, "starts"),
    ],
)
def test_a_shift_that_makes_no_sense_is_refused(
    staff: dict[str, User], changes: dict[str, object], field: str
) -> None:
    manager = staff["manager"]
    with pytest.raises(Invalid) as refused:
        on_call.add_shift(manager, _data(user=manager.id, **changes), NOW)
    assert field in refused.value.errors
    assert db.session.scalar(db.select(db.func.count(OnCallShift.id))) == 0


def test_only_a_manager_of_that_branch_can_be_put_on_call(staff: dict[str, User]) -> None:
    south_only = _manager("Sam South", "SOUTH")
    with pytest.raises(Invalid) as refused:
        on_call.add_shift(staff["manager"], _data(user=south_only.id), NOW)
    assert "user" in refused.value.errors
    with pytest.raises(Invalid) as refused:
        on_call.add_shift(staff["manager"], _data(user=staff["office"].id), NOW)
    assert "user" in refused.value.errors


def test_a_manager_cannot_make_a_rota_for_a_branch_not_theirs(staff: dict[str, User]) -> None:
    south_only = _manager("Sam South", "SOUTH")
    with pytest.raises(Invalid) as refused:
        on_call.add_shift(south_only, _data(user=staff["manager"].id), NOW)
    assert "branch" in refused.value.errors


def test_a_shift_of_another_branch_is_out_of_scope(staff: dict[str, User]) -> None:
    south_only = _manager("Sam South", "SOUTH")
    shift = _shift(staff["manager"], "NORTH", NOW, NOW + timedelta(hours=8))
    with pytest.raises(OutOfScope):
        on_call.shift_in_scope(south_only, shift.id)
